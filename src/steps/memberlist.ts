import { AM_DEFAULTS } from '../checkers/scenario.js';
import type { ScenarioContext } from '../run/suite.js';

/**
 * memberlist's DefaultLANConfig values that decide how fast a silent peer is declared dead.
 * Alertmanager overrides only gossip/push-pull/TCP timeouts and keeps these (reference
 * alertmanager-ha.md §2.7), in every version we run; they are not flags, so not in Timers.
 */
export const MEMBERLIST = {
  probeIntervalMs: 1_000,
  probeTimeoutMs: 500,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
} as const;

/**
 * How long a suspected peer stays suspect before it is declared dead, in a cluster of `n`:
 * suspicionMult × max(1, log10 n) × probe interval. memberlist starts the timer at
 * suspicionMaxTimeoutMult times that and shrinks it as independent confirmations arrive, unless
 * fewer than (suspicionMult − 2) other nodes could confirm (n − 2 < 2, i.e. n ≤ 3): then it is the
 * flat minimum (4 s for three nodes).
 */
export function suspicionTimeoutMs(n: number): number {
  const min = MEMBERLIST.suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * MEMBERLIST.probeIntervalMs;
  const confirmations = MEMBERLIST.suspicionMult - 2;
  return Math.round(n - 2 < confirmations ? min : min * MEMBERLIST.suspicionMaxTimeoutMult);
}

/**
 * An upper bound for "a peer that went silent is dead everywhere": every member is probed once per
 * round of (n − 1) probe intervals (a round can straddle two shuffles, hence 2 rounds), the probe
 * fails after its timeout and the indirect probes by the end of the interval; then the suspicion
 * timeout; then the dead message needs a few gossip rounds to reach the rest. Suites wait for the
 * status samples to show it and use this bound (with slack) only as the give-up time.
 */
export function deathDetectionBoundMs(n: number, gossipIntervalMs: number): number {
  const detection = 2 * Math.max(1, n - 1) * MEMBERLIST.probeIntervalMs + MEMBERLIST.probeTimeoutMs;
  return detection + suspicionTimeoutMs(n) + 5 * gossipIntervalMs;
}

/**
 * How long after a fault ends the exactly-once checker still counts the cluster as disturbed:
 * reconnect interval + gossip margin (src/checkers/README.md, settleMargin). A transition that
 * must be judged as healthy starts after this (and after the status samples show every member
 * with all peers again).
 */
export function settleMarginMs(ctx: Pick<ScenarioContext, 'timers'>): number {
  return AM_DEFAULTS.reconnectIntervalMs + gossipMarginMs(ctx);
}

export function gossipMarginMs(ctx: Pick<ScenarioContext, 'timers'>): number {
  return Math.max(1_000, 5 * ctx.timers.gossipIntervalMs);
}
