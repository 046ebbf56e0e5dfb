import { formatGoDuration } from '../../topology/timers.js';
import type { NodeSpec } from '../types.js';

export interface NodeAddresses {
  /** host:port the web API binds. */
  web: string;
  /** host:port the cluster listener binds (ignored for unclustered nodes). */
  cluster: string;
  /** host:port other nodes should dial for this node (differs from `cluster` when proxied). */
  advertise: string;
  /** The external URL (distinct per node: how the capture attributes a notification). */
  externalURL: string;
}

/**
 * The command-line flags every runtime passes to a node. The same for real binaries and tsam,
 * which is a drop-in; flags a build lacks (--cluster.peer-name before 0.30) are left out.
 */
export function nodeArgs(spec: NodeSpec, paths: { config: string; storage: string }, addr: NodeAddresses, peers: string[]): string[] {
  const t = spec.timers;
  const args = [
    `--config.file=${paths.config}`,
    `--storage.path=${paths.storage}`,
    `--web.listen-address=${addr.web}`,
    `--web.external-url=${addr.externalURL}`,
    `--log.level=${spec.logLevel}`,
  ];
  if (spec.clustered) {
    args.push(
      `--cluster.listen-address=${addr.cluster}`,
      `--cluster.advertise-address=${addr.advertise}`,
      ...peers.map((p) => `--cluster.peer=${p}`),
      `--cluster.peer-timeout=${formatGoDuration(t.peerTimeoutMs)}`,
      `--cluster.gossip-interval=${formatGoDuration(t.gossipIntervalMs)}`,
      `--cluster.pushpull-interval=${formatGoDuration(t.pushPullIntervalMs)}`,
      `--cluster.settle-timeout=${formatGoDuration(t.settleTimeoutMs)}`,
    );
    if (spec.version.features.peerName) args.push(`--cluster.peer-name=${spec.peerName}`);
  } else {
    // An empty listen address disables clustering: the node's status says "disabled".
    args.push('--cluster.listen-address=');
  }
  args.push(...spec.version.extraArgs, ...spec.extraArgs);
  return args;
}
