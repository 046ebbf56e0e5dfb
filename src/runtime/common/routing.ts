import { request } from 'undici';
import { AmchaosError } from '../../errors/index.js';

/**
 * Proof that a fabric-backed cluster gossips only through the fabric: every node advertises the
 * address the fabric controls (the one its peers' redirects send to a link proxy), every peer a node
 * lists is at such an address, and no packet tried to skip the proxies (each node's bypass guard
 * dropped nothing). A node advertising another address — a second interface, a NAT — would let
 * gossip go around a cut; this refuses link faults then, before they could mean nothing.
 */
export interface RoutedNode {
  id: string;
  /** ip:port the fabric controls for this node's cluster traffic. */
  clusterAddress: string;
  /** The node's API, straight (not through a link that a fault may cut). */
  directURL: string;
  running: boolean;
}

export interface RoutingProof {
  /** What each running node says it is, and the addresses of the peers it lists. */
  advertised: Record<string, { self: string | undefined; peers: string[] }>;
  bypass: Record<string, { packets: number; bytes: number }>;
}

export async function verifyRouting(nodes: readonly RoutedNode[], bypassCounters: () => Promise<Record<string, { packets: number; bytes: number }>>): Promise<RoutingProof> {
  const controlled = new Set(nodes.map((n) => n.clusterAddress));
  const advertised: RoutingProof['advertised'] = {};
  const problems: string[] = [];
  for (const n of nodes.filter((x) => x.running)) {
    let j: { cluster?: { name?: string; peers?: { name: string; address: string }[] } };
    try {
      const res = await request(`${n.directURL}/api/v2/status`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
      j = (await res.body.json()) as typeof j;
    } catch (e) {
      problems.push(`${n.id} did not answer its status (${(e as Error).message})`);
      continue;
    }
    const peers = j.cluster?.peers ?? [];
    const self = peers.find((p) => p.name === j.cluster?.name)?.address;
    advertised[n.id] = { self, peers: peers.map((p) => p.address) };
    if (self !== undefined && self !== n.clusterAddress) problems.push(`${n.id} advertises ${self}, not ${n.clusterAddress}`);
    for (const p of peers) if (!controlled.has(p.address)) problems.push(`${n.id} lists peer ${p.name} at ${p.address}, outside the fabric`);
  }
  const bypass = await bypassCounters();
  for (const [id, c] of Object.entries(bypass)) if (c.packets > 0) problems.push(`${id} sent ${c.packets} packet(s) to a peer directly (bypass guard)`);
  if (problems.length > 0) {
    throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `gossip could go around the link proxies: ${problems.join('; ')}`, {
      hint: 'Every node must advertise and be reached at the address the fabric redirects; a link fault here would not be what it claims.',
      details: { advertised, bypass },
    });
  }
  return { advertised, bypass };
}
