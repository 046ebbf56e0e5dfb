import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { AmchaosError } from '../errors/index.js';
import type { NodeId } from '../history/types.js';
import type { FaultSpec, LinkSelection, Schedule, ScheduledFault } from './types.js';

/** What randomSchedule may pick from. Each expands to a concrete FaultSpec with random targets. */
export const SCHEDULE_FAULTS = [
  'isolate',
  'bisect',
  'bridge',
  'majorities-ring',
  'udp-cut',
  'tcp-cut',
  'latency',
  'loss',
  'client-cut',
  'receiver-cut',
  'receiver-5xx',
  'receiver-slow',
  'receiver-drop',
  'receiver-down',
  'kill',
  'terminate',
  'pause',
  'restart',
  'restart-wipe',
  'disconnect',
] as const;
export type ScheduleFault = (typeof SCHEDULE_FAULTS)[number];

/** Faults randomSchedule offers that work without a fabric (the process runtime). */
export const PROCESS_SCHEDULE_FAULTS: readonly ScheduleFault[] = ['receiver-5xx', 'receiver-slow', 'receiver-drop', 'receiver-down', 'kill', 'terminate', 'pause', 'restart', 'restart-wipe'];

export interface Range {
  min: number;
  max: number;
}

export interface RandomScheduleOptions {
  nodes: NodeId[];
  /** The menu; every entry is equally likely. */
  faults: readonly ScheduleFault[];
  /** Number of faults (default 5). */
  count?: number;
  /** How long each fault stays (default 5..15 s). */
  durationMs?: Range;
  /** Quiet time before each fault (default 3..8 s). */
  gapMs?: Range;
  /** For latency faults (default 50..500 ms, jitter 0..latency/4). */
  latencyMs?: Range;
  /** For loss faults (default 0.1..0.5). */
  lossProbability?: Range;
}

function bad(message: string): AmchaosError {
  return new AmchaosError('AMCHAOS_INVALID_SCENARIO', `randomSchedule: ${message}`, {
    hint: `faults are any of ${SCHEDULE_FAULTS.join(', ')}; ranges need 0 <= min <= max`,
  });
}

function checkRange(r: Range, what: string, max = Number.MAX_SAFE_INTEGER): void {
  if (!(Number.isFinite(r.min) && Number.isFinite(r.max) && r.min >= 0 && r.max >= r.min && r.max <= max)) {
    throw bad(`${what} ${JSON.stringify(r)} is not a range with 0 <= min <= max${max < Number.MAX_SAFE_INTEGER ? ` <= ${max}` : ''}`);
  }
}

function minNodes(f: ScheduleFault): number {
  if (f === 'majorities-ring') return 4;
  if (f === 'bridge') return 3;
  if (['isolate', 'bisect', 'udp-cut', 'tcp-cut', 'latency', 'loss'].includes(f)) return 2;
  return 1;
}

/**
 * A seeded schedule: the same seed and options give the same faults, targets and times on every
 * machine. Faults run one at a time (gap, fault, gap, fault, ...), the Jepsen default that keeps
 * every verdict attributable to one fault.
 */
export function randomSchedule(seed: number, opts: RandomScheduleOptions): Schedule {
  if (!Number.isInteger(seed)) throw bad(`seed must be an integer, got ${seed}`);
  const nodes = opts.nodes;
  if (nodes.length === 0) throw bad('no nodes');
  if (opts.faults.length === 0) throw bad('the fault menu is empty');
  for (const f of opts.faults) if (!(SCHEDULE_FAULTS as readonly string[]).includes(f)) throw bad(`unknown fault ${JSON.stringify(f)}`);
  const menu = opts.faults.filter((f) => nodes.length >= minNodes(f));
  if (menu.length === 0) throw bad(`none of ${opts.faults.join(', ')} works with ${nodes.length} node(s)`);
  const count = opts.count ?? 5;
  if (!Number.isInteger(count) || count < 0) throw bad(`count must be a non-negative integer, got ${count}`);
  const duration = opts.durationMs ?? { min: 5_000, max: 15_000 };
  const gap = opts.gapMs ?? { min: 3_000, max: 8_000 };
  const latency = opts.latencyMs ?? { min: 50, max: 500 };
  const loss = opts.lossProbability ?? { min: 0.1, max: 0.5 };
  checkRange(duration, 'durationMs');
  checkRange(gap, 'gapMs');
  checkRange(latency, 'latencyMs');
  checkRange(loss, 'lossProbability', 1);

  // xoroshiro128+ seeds are 32-bit (larger integers are taken modulo 2^32), as in workload/.
  const rng = xoroshiro128plus(seed | 0);
  const int = (min: number, max: number) => uniformInt(rng, Math.round(min), Math.round(max));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const shuffled = (): NodeId[] => {
    const a = [...nodes];
    for (let i = a.length - 1; i > 0; i--) {
      const j = int(0, i);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  const someNodes = (): NodeId[] => shuffled().slice(0, int(1, Math.max(1, nodes.length - 1)));
  const linkSet = (): LinkSelection => {
    if (int(0, 1) === 0) return 'all';
    const [a, b] = shuffled();
    return { between: [[a!], [b!]] };
  };

  const make = (f: ScheduleFault): FaultSpec => {
    switch (f) {
      case 'isolate':
        return { kind: 'partition', mode: 'isolate', node: pick(nodes) };
      case 'bisect':
      case 'bridge':
      case 'majorities-ring':
        return { kind: 'partition', mode: f, order: shuffled() };
      case 'udp-cut':
        return { kind: 'link-cut', links: linkSet(), transport: 'udp' };
      case 'tcp-cut':
        return { kind: 'link-cut', links: linkSet(), transport: 'tcp' };
      case 'latency': {
        const l = int(latency.min, latency.max);
        return { kind: 'latency', links: linkSet(), latencyMs: l, jitterMs: int(0, Math.floor(l / 4)) };
      }
      case 'loss':
        return { kind: 'loss', links: linkSet(), probability: Math.round((loss.min + (int(0, 1000) / 1000) * (loss.max - loss.min)) * 1000) / 1000 };
      case 'client-cut':
        return { kind: 'client-cut', nodes: someNodes() };
      case 'receiver-cut':
        return { kind: 'receiver-cut', nodes: someNodes() };
      case 'receiver-5xx':
        return { kind: 'receiver', mode: 'status', status: pick([500, 502, 503]) };
      case 'receiver-slow':
        return { kind: 'receiver', mode: 'slow', delayMs: int(1_000, 15_000) };
      case 'receiver-drop':
        return { kind: 'receiver', mode: 'drop' };
      case 'receiver-down':
        return { kind: 'receiver', mode: 'down' };
      case 'kill':
        return { kind: 'kill', node: pick(nodes) };
      case 'terminate':
        return { kind: 'terminate', node: pick(nodes) };
      case 'pause':
        return { kind: 'pause', node: pick(nodes) };
      case 'restart':
        return { kind: 'restart', node: pick(nodes), signal: pick(['SIGTERM', 'SIGKILL'] as const) };
      case 'restart-wipe':
        return { kind: 'restart', node: pick(nodes), signal: pick(['SIGTERM', 'SIGKILL'] as const), wipe: true };
      case 'disconnect':
        return { kind: 'disconnect', node: pick(nodes) };
    }
  };

  const faults: ScheduledFault[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += int(gap.min, gap.max);
    const d = int(duration.min, duration.max);
    faults.push({ atMs: t, durationMs: d, fault: make(pick(menu)) });
    t += d;
  }
  return { seed, faults };
}
