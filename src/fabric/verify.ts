import type { ProxyStats } from '../proxy/index.js';
import type { LinkTraffic, StatsSnapshot, Transport } from './types.js';

/**
 * Counter arithmetic that proves a fault is in place or gone. Pure functions over two snapshots of
 * the proxies' counters, so they are tested on hand-made numbers (verify.test.ts) and the fabric only
 * adds the polling.
 *
 * - attempted: bytes (or TCP connections) a node handed to the link's proxy;
 * - delivered: bytes the proxy handed to the far side.
 *
 * A cut is VERIFIED when no cut link delivered anything on a cut transport while traffic was
 * attempted on it. A removal is VERIFIED when every link that attempted traffic also delivered some.
 */
export function transportsOf(t: Transport): ('tcp' | 'udp')[] {
  return t === 'both' ? ['tcp', 'udp'] : [t];
}

export function delivered(s: ProxyStats, t: 'tcp' | 'udp'): number {
  const x = t === 'tcp' ? s.tcp : s.udp;
  return x.upstream.bytes_sent + x.downstream.bytes_sent;
}

export function attempted(s: ProxyStats, t: 'tcp' | 'udp'): number {
  if (t === 'tcp') return s.tcp.upstream.bytes_received + s.tcp.downstream.bytes_received + s.tcp.connections_total;
  return s.udp.upstream.bytes_received + s.udp.downstream.bytes_received;
}

export function traffic(s: ProxyStats): LinkTraffic {
  return {
    tcpBytes: delivered(s, 'tcp'),
    udpBytes: delivered(s, 'udp'),
    udpPackets: s.udp.upstream.packets_sent + s.udp.downstream.packets_sent,
    droppedBytes: s.tcp.upstream.bytes_dropped + s.tcp.downstream.bytes_dropped + s.udp.upstream.bytes_dropped + s.udp.downstream.bytes_dropped,
    droppedPackets: s.udp.upstream.packets_dropped + s.udp.downstream.packets_dropped,
    tcpConnections: s.tcp.connections_total,
  };
}

export interface LinkDelta {
  link: string;
  attempted: { tcp: number; udp: number };
  delivered: { tcp: number; udp: number };
}

export function linkDeltas(before: StatsSnapshot, after: StatsSnapshot, links: readonly string[]): LinkDelta[] {
  return links.map((link) => {
    const b = before[link];
    const a = after[link];
    if (!a || !b) return { link, attempted: { tcp: 0, udp: 0 }, delivered: { tcp: 0, udp: 0 } };
    return {
      link,
      attempted: { tcp: attempted(a, 'tcp') - attempted(b, 'tcp'), udp: attempted(a, 'udp') - attempted(b, 'udp') },
      delivered: { tcp: delivered(a, 'tcp') - delivered(b, 'tcp'), udp: delivered(a, 'udp') - delivered(b, 'udp') },
    };
  });
}

export interface CutVerdict {
  /** Links that delivered bytes on a cut transport: the cut does not hold. */
  leaked: string[];
  /** Links on which traffic was attempted on a cut transport (and none delivered). */
  held: string[];
  /** Links with no attempt yet: nothing proves or disproves the cut there. */
  idle: string[];
  /** `held`, per cut transport (a link may appear under both). */
  heldBy: { tcp: string[]; udp: string[] };
}

export function judgeCut(deltas: readonly LinkDelta[], transport: Transport): CutVerdict {
  const ts = transportsOf(transport);
  const v: CutVerdict = { leaked: [], held: [], idle: [], heldBy: { tcp: [], udp: [] } };
  for (const d of deltas) {
    if (ts.some((t) => d.delivered[t] > 0)) v.leaked.push(d.link);
    else if (ts.some((t) => d.attempted[t] > 0)) {
      v.held.push(d.link);
      for (const t of ts) if (d.attempted[t] > 0) v.heldBy[t].push(d.link);
    } else v.idle.push(d.link);
  }
  return v;
}

/**
 * Whether a cut is proven: every link held an attempt (`complete`), or, once observed long enough,
 * every cut transport held an attempt on at least one link (`quorum`; TCP between Alertmanagers is
 * rare — push/pull, joins — so waiting for TCP on every link would take minutes). Never with a leak.
 */
export function cutProven(v: CutVerdict, transport: Transport): 'complete' | 'quorum' | undefined {
  if (v.leaked.length > 0) return undefined;
  if (v.idle.length === 0 && v.held.length > 0) return 'complete';
  if (transportsOf(transport).every((t) => v.heldBy[t].length > 0)) return 'quorum';
  return undefined;
}

export interface FlowVerdict {
  /** Links that delivered bytes on a healed transport. */
  flowing: string[];
  /** Links where traffic was attempted but nothing was delivered: still cut. */
  blocked: string[];
  idle: string[];
  /** `flowing`, per healed transport. */
  flowingBy: { tcp: string[]; udp: string[] };
}

export function judgeFlow(deltas: readonly LinkDelta[], transport: Transport): FlowVerdict {
  const ts = transportsOf(transport);
  const v: FlowVerdict = { flowing: [], blocked: [], idle: [], flowingBy: { tcp: [], udp: [] } };
  for (const d of deltas) {
    if (ts.some((t) => d.delivered[t] > 0)) {
      v.flowing.push(d.link);
      for (const t of ts) if (d.delivered[t] > 0) v.flowingBy[t].push(d.link);
    } else if (ts.some((t) => d.attempted[t] > 0)) v.blocked.push(d.link);
    else v.idle.push(d.link);
  }
  return v;
}

/** Whether a removal is proven: every link delivers again, or (observed long enough) each healed transport delivers somewhere and no link swallows attempts. */
export function flowProven(v: FlowVerdict, transport: Transport): 'complete' | 'quorum' | undefined {
  if (v.blocked.length > 0) return undefined;
  if (v.idle.length === 0 && v.flowing.length > 0) return 'complete';
  if (transportsOf(transport).every((t) => v.flowingBy[t].length > 0)) return 'quorum';
  return undefined;
}

/** A cut as the fabric proved it: the verdict, how it was proven, and the per-link deltas it saw. */
export interface CutResult extends CutVerdict {
  ok: boolean;
  /** How it was proven: every link (complete), each transport somewhere (quorum), or the timeout's fallback rule. */
  proof?: 'complete' | 'quorum' | 'timeout';
  elapsedMs: number;
  /** Per-link deltas over the observation window (attempted vs delivered), for the history. */
  deltas: ReturnType<typeof linkDeltas>;
}

export interface FlowResult extends FlowVerdict {
  ok: boolean;
  proof?: 'complete' | 'quorum' | 'timeout';
  elapsedMs: number;
  deltas: ReturnType<typeof linkDeltas>;
}
