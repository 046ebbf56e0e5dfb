import type { Redirect } from '../../fabric/types.js';

/**
 * The rules a pod's sidecar installs in its node's network namespace (one iptables-restore input,
 * applied with --noflush next to Docker's own DNS rules), before the node starts:
 *
 * - nat OUTPUT DNAT: the node's TCP and UDP to each peer's cluster address, and its webhooks to the
 *   fixed receiver address, go to the link proxy of that directed link on the network's gateway;
 * - filter OUTPUT bypass guard: anything else leaving eth0 for the cluster subnet, except the
 *   gateway, is dropped (and counted), so no gossip can go around a cut.
 *
 * The same shape as the netns runtime's rules (runtime/netns/network.ts), in a namespace the
 * harness reaches only through a container with NET_ADMIN in it — no host root.
 */
export interface PodRulesInput {
  gateway: string;
  /** CIDR of the cluster network. */
  subnet: string;
  /** Comment on every rule: `amchaos run=<runId> scenario=<scenarioId> tag=<tag>`. */
  comment: string;
  redirects: Redirect[];
  /** The node's interface on the cluster network (Docker names it eth0). */
  iface?: string;
}

function quote(a: string): string {
  return /^[A-Za-z0-9_./:!-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, '\\$1')}"`;
}

export function podRules(o: PodRulesInput): string {
  const iface = o.iface ?? 'eth0';
  const comment = ['-m', 'comment', '--comment', o.comment];
  const nat = o.redirects.map((r) => [
    '-A', 'OUTPUT', '-d', `${r.dest.ip}/32`, '-p', r.proto, '-m', r.proto, '--dport', String(r.dest.port), ...comment, '-j', 'DNAT', '--to-destination', `${r.to.ip}:${r.to.port}`,
  ]);
  const filter = [
    ['-A', 'OUTPUT', '-o', iface, '-d', `${o.gateway}/32`, ...comment, '-j', 'ACCEPT'],
    ['-A', 'OUTPUT', '-o', iface, '-d', o.subnet, ...comment, '-j', 'DROP'],
  ];
  const line = (r: string[]) => r.map(quote).join(' ');
  return ['*nat', ...nat.map(line), 'COMMIT', '*filter', ...filter.map(line), 'COMMIT', ''].join('\n');
}

/** The bypass guard's counters from `iptables-save -c -t filter` output: packets and bytes dropped. */
export function bypassCounter(save: string, comment: string): { packets: number; bytes: number } | undefined {
  const line = save.split('\n').find((l) => l.includes('-j DROP') && l.includes(comment));
  const m = line ? /^\[(\d+):(\d+)\]/.exec(line) : null;
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : undefined;
}
