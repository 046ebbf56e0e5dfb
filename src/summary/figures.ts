/**
 * Figures the report knows how to draw, as a contract between a suite that records them and the
 * report that charts them (the report imports these types, never a suite's string keys).
 */

/** One probe of a latency sweep. */
export interface LatencyProbe {
  latencyMs: number;
  /** Copies beyond the first, over every group transition of this probe's fresh groups. */
  duplicates: number;
  transitions: number;
  /** The fewest peers any node listed while the latency was in place (memberlist declared nodes dead below N). */
  minPeers: number;
}

/** A sweep of injected gossip latency for the smallest one at which duplicates appear (charted by the report). */
export interface LatencySweepFigures {
  /** Every probe, in the order it ran. */
  latencySweep: LatencyProbe[];
  /** The smallest probed latency with duplicates; null when none up to the largest probed. */
  latencyThresholdMs: number | null;
  /** The peer timeout the threshold is compared with. */
  peerTimeoutMs: number;
}

/** The figure keys of a LatencySweepFigures record (what the report reads). */
export const LATENCY_SWEEP_KEYS = { probes: 'latencySweep', threshold: 'latencyThresholdMs', peerTimeout: 'peerTimeoutMs' } as const satisfies Record<string, keyof LatencySweepFigures>;
