import { combineDecisions, decision, duplicates, FAILURE_MODES, type Claim } from '../src/claims/index.js';
import type { ScenarioView } from '../src/checkers/scenario.js';
import type { LatencyProbe, LatencySweepFigures } from '../src/summary/figures.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { ClusterWatch, firePhase, holdFiringSince, mark, newAlertSource, settleMarginMs, summariseStatus } from '../src/steps/index.js';

/** At most this many probes: the sweep stays bounded (about 8 s per probe with default timers). */
export const LATENCY_PROBES = 6;

/** What latency-sweep records: the sweep the report charts (src/summary/figures.ts) and its bracket. */
export interface LatencySweepSuiteFigures extends LatencySweepFigures {
  latencyThresholdBracketMs: [number, number];
  latencyThresholdRatio: number | null;
  latencySweepMs: number[];
  probesWithPeersDeclaredDead: number[];
}

/**
 * latency-sweep: the smallest one-way gossip latency at which duplicates appear, for the
 * configured peer timeout, found by bisection. Each probe puts `latency` on every peer link (both
 * transports, both directions; client and receiver links untouched), fires a fresh alert group at
 * every node and counts its duplicates; between probes the cluster must be formed again.
 * Probes bisect [0, 2 × peer_timeout], starting at peer_timeout: duplicates at L → the threshold
 * is ≤ L; none → it is above. At most LATENCY_PROBES probes, so the bracket is 2 × peer_timeout / 2^6 wide (62.5 ms
 * at the default 2 s).
 *
 * What the threshold means: the position-1 node waits one peer_timeout after its flush, then looks
 * for position 0's nflog entry. Position 0 logs after its webhook succeeded and gossips the entry
 * on its next gossip tick; the entry crosses one link, so it arrives after ≈ webhook + ≤ gossip
 * interval + latency. Duplicates therefore start at a one-way latency of about
 * peer_timeout − gossip_interval … peer_timeout (a little less when flushes are skewed): the
 * threshold measures how much of the peer timeout the real pipeline leaves for gossip. It is a
 * sampled boundary, not a sharp one (the gossip tick is not aligned with the flush), so repeated
 * runs vary by about one gossip interval. Measured here (peer_timeout 2 s, gossip 200 ms, netns):
 * 1875–2000 ms on 0.25.0, 0.28.1 and 0.33.1 alike (5 runs), i.e. 0.94–1.0 × peer_timeout — a
 * one-way gossip delay just under the peer timeout already duplicates. Above roughly half a probe timeout memberlist also
 * starts suspecting peers (`minPeers` per probe shows whether any was declared dead, which would
 * duplicate for a different reason).
 *
 * Figures: `latencyThresholdMs` (smallest probed latency with duplicates; null if none up to
 * 2 × peer_timeout), `latencyThresholdBracketMs` [largest without, smallest with],
 * `latencyThresholdRatio` (threshold / peer_timeout), `latencySweep` (every probe, in order),
 * `latencySweepMs` (the probed latencies). Check: no-loss — no latency loses a notification; every
 * probe's alerts keep firing for a whole flush window after the last probe, so each owes one (they
 * are left firing at the end: their resolution would say nothing about latency).
 * Which control proves the counting can fail: the sweep itself (probes below the threshold count
 * 0, above it > 0; the vitest file asserts both exist); for no-loss, src/checkers/no-loss.test.ts.
 */
/** The probes of a sweep as the history recorded them: the i-th latency fault and phase latency-i. */
export function sweepProbes(view: ScenarioView): { phase: string; latencyMs: number }[] {
  return view.faults
    .filter((f) => f.kind === 'latency' && f.applied)
    .map((f, i) => ({ phase: `latency-${i + 1}`, latencyMs: Number((f.spec as { latencyMs?: unknown } | undefined)?.latencyMs ?? NaN) }))
    .filter((p) => Number.isFinite(p.latencyMs));
}

/**
 * The claim of the sweep: probes at or above the peer timeout have duplicates (fault part); probes
 * at or below half of it have none (control part). Probes in between are the threshold's search,
 * judged by neither; a sweep that never probed one side leaves that part unknown.
 */
export function latencyClaim(): Claim {
  const dup = duplicates({ what: 'gossip latency on every peer link' });
  const part = (view: ScenarioView, keep: (ms: number) => boolean, side: string) => {
    const probes = sweepProbes(view).filter((p) => keep(p.latencyMs));
    if (probes.length === 0) return decision('unknown', `the sweep probed no latency ${side}`);
    return combineDecisions(probes.map((p) => ({ phase: `${p.phase} (${p.latencyMs} ms)`, d: dup(view, p.phase) })));
  };
  return {
    mode: FAILURE_MODES.latency,
    statement: 'with one-way gossip latency at or above the peer timeout on every peer link, transitions are delivered more than once',
    control: 'probes of the same sweep at or below half the peer timeout: each transition once',
    decide({ view }) {
      const pt = view.timers.peerTimeoutMs;
      return { fault: part(view, (ms) => ms >= pt, `at or above the peer timeout (${pt} ms)`), control: part(view, (ms) => ms <= pt / 2, `at or below half the peer timeout (${pt / 2} ms)`) };
    },
  };
}

export const latencySweep: SuiteDefinition<LatencySweepSuiteFigures> = {
  name: 'latency-sweep',
  summary: 'bisect the gossip latency (all peer links) at which duplicates start, for the configured peer timeout; none lost',
  checks: ['no-loss', 'validity'],
  needs: { linkFaults: true },
  claim: latencyClaim(),
  async drive(ctx) {
    const watch = new ClusterWatch(ctx);
    const source = newAlertSource(ctx);
    try {
      const n = ctx.nodes.length;
      const pt = ctx.timers.peerTimeoutMs;
      let lo = 0;
      let hi = 2 * pt;
      let threshold: number | null = null;
      const probes: LatencyProbe[] = [];
      let lastHealAt = ctx.history.clock.now();
      for (let i = 0; i < LATENCY_PROBES; i++) {
        // Each probe starts from a formed cluster (a high latency may have had peers declared dead;
        // they re-join on the next reconnect tick).
        const formed = await watch.waitFormed(settleMarginMs(ctx) + ctx.timers.pushPullIntervalMs, lastHealAt);
        if (formed === undefined) mark(ctx, `the cluster did not re-form within ${settleMarginMs(ctx) + ctx.timers.pushPullIntervalMs} ms; probing anyway (minPeers will show it)`);
        const latencyMs = Math.round((lo + hi) / 2);
        const fault = await ctx.nemesis.apply({ kind: 'latency', links: 'all', latencyMs });
        watch.openWindow('probe');
        const phase = await firePhase(ctx, source, { name: `latency-${i + 1}` });
        const samples = watch.takeWindow('probe');
        await ctx.nemesis.remove(fault);
        lastHealAt = ctx.history.clock.now();
        const count = phase.count();
        const status = summariseStatus(samples);
        const minPeers = Math.min(...Object.values(status).map((s) => s.minPeers));
        probes.push({ latencyMs, duplicates: count.duplicates, transitions: count.transitions, minPeers: Number.isFinite(minPeers) ? minPeers : 0 });
        mark(ctx, `probe ${i + 1}: latency ${latencyMs} ms → ${count.duplicates} duplicate(s) over ${count.transitions} transition(s), fewest peers ${minPeers}`);
        if (count.duplicates > 0) {
          hi = latencyMs;
          threshold = latencyMs;
        } else {
          lo = latencyMs;
        }
      }
      ctx.figures['peerTimeoutMs'] = pt;
      ctx.figures['latencyThresholdMs'] = threshold;
      ctx.figures['latencyThresholdBracketMs'] = [lo, threshold ?? 2 * pt];
      ctx.figures['latencyThresholdRatio'] = threshold === null ? null : Math.round((threshold / pt) * 1000) / 1000;
      ctx.figures['latencySweep'] = probes;
      ctx.figures['latencySweepMs'] = probes.map((p) => p.latencyMs);
      ctx.figures['probesWithPeersDeclaredDead'] = probes.filter((p) => p.minPeers < n).map((p) => p.latencyMs);

      // Every probe's alerts fire on for a flush window without latency, so each owes a firing
      // notification (no-loss). They are not resolved: resolutions after the sweep say nothing
      // about latency and would cost another group interval.
      await holdFiringSince(ctx, lastHealAt);
    } finally {
      watch.close();
      await source.stop();
    }
  },
};
