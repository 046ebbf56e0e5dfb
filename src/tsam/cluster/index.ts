/**
 * tsam's memberlist cluster layer. The Alertmanager half of tsam imports only this file and
 * peer-api.ts: `createClusterPeer(opts)` gives a ClusterPeer that real Alertmanagers gossip with.
 */
import { AlertmanagerPeer } from './peer.js';
import type { ClusterPeer, ClusterPeerOptions, CreateClusterPeer } from './peer-api.js';

export type * from './peer-api.js';
export { AlertmanagerPeer, CLUSTER_DEFAULTS, type MemberInfo } from './peer.js';
export type { PacketFaults } from './transport.js';
export type { ProbeStats } from './memberlist.js';

/**
 * Go's Alertmanager runs without a peer when --cluster.listen-address is "": nothing is gossiped,
 * status is "disabled", the peer list is empty and the position is 0.
 */
class DisabledPeer implements ClusterPeer {
  readonly name = '';
  readonly address = '';
  addState(): { broadcast(data: Uint8Array): void } {
    return { broadcast: () => {} };
  }
  async join(): Promise<void> {}
  async settle(): Promise<void> {}
  status(): 'disabled' {
    return 'disabled';
  }
  peers(): [] {
    return [];
  }
  position(): number {
    return 0;
  }
  async leave(): Promise<void> {}
}

export const createClusterPeer: CreateClusterPeer = async (opts: ClusterPeerOptions) =>
  opts.listenAddress === '' ? new DisabledPeer() : AlertmanagerPeer.create(opts);
