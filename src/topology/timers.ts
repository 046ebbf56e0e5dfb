import { AmchaosError } from '../errors/index.js';
import type { Timers } from '../history/types.js';

/**
 * Short defaults so a suite runs in seconds, not minutes. Every one can be raised up to
 * Alertmanager's production defaults (peer timeout 15 s, group_wait 30 s, pushpull 1 m, ...).
 */
export const DEFAULT_TIMERS: Timers = {
  peerTimeoutMs: 2_000,
  gossipIntervalMs: 200,
  pushPullIntervalMs: 10_000,
  settleTimeoutMs: 0,
  groupWaitMs: 1_000,
  groupIntervalMs: 2_000,
  repeatIntervalMs: 3_600_000,
  resendIntervalMs: 2_000,
  silencePropagationMs: 5_000,
};

/**
 * The timers of one cluster of `nodes` nodes: the defaults, then the user's overrides. The
 * default group_interval grows with the cluster: the position-k node waits k × peer_timeout before
 * each flush, and a flush still waiting when the next one starts can send a stale state after a
 * newer one (observed with 0.25.0: a stale "firing" after "resolved", then duplicate "resolved"s).
 * So group_interval defaults to (N−1) × peer_timeout plus one more peer_timeout of margin.
 */
export function timersFor(nodes: number, overrides: Partial<Timers> = {}): Timers {
  const peerTimeoutMs = overrides.peerTimeoutMs ?? DEFAULT_TIMERS.peerTimeoutMs;
  const groupIntervalMs = overrides.groupIntervalMs ?? Math.max(DEFAULT_TIMERS.groupIntervalMs, nodes * peerTimeoutMs);
  return validateTimers({ ...DEFAULT_TIMERS, ...overrides, peerTimeoutMs, groupIntervalMs });
}

/**
 * Why exactly-once cannot be promised for these timers, or undefined when it can: a later
 * position's flush outlives the next group_interval tick (upstream #3551, #4008, #2447).
 */
export function timerOverlapReason(nodes: number, peerTimeoutMs: number, groupIntervalMs: number): string | undefined {
  const lastWait = Math.max(0, nodes - 1) * peerTimeoutMs;
  if (groupIntervalMs > lastWait) return undefined;
  return `group_interval ${formatGoDuration(groupIntervalMs)} ≤ (N−1) × peer_timeout = ${formatGoDuration(lastWait)}: the last position's flush outlives the next tick and can send a stale state (upstream #3551/#4008)`;
}

/** Go duration syntax as Alertmanager's flags and config take it: "1h2m3s", "200ms", "0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Parses "1h30m", "200ms", "2s" (Prometheus/Go style) into milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== t.length || t.length === 0) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `${what}: "${text}" is not a duration`, {
      hint: 'Write durations like 200ms, 2s, 1m30s, 1h.',
    });
  }
  return Math.round(total);
}

/** Validates a timer set: each positive where it must be, with the constraints Alertmanager needs. */
export function validateTimers(t: Timers): Timers {
  const bad = (msg: string) => new AmchaosError('AMCHAOS_BAD_ARGUMENT', `timers: ${msg}`, { hint: 'See `amchaos run --help` for the timer flags.' });
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isFinite(v) || v < 0) throw bad(`${k} must be a non-negative duration, got ${v}`);
  }
  for (const k of ['peerTimeoutMs', 'gossipIntervalMs', 'pushPullIntervalMs', 'groupIntervalMs', 'repeatIntervalMs', 'resendIntervalMs'] as const) {
    if (t[k] <= 0) throw bad(`${k} must be greater than zero`);
  }
  return t;
}
