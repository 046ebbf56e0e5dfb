import { duringInjectedFault, outOfPhaseAfterRestart } from '../src/checkers/expectations.js';
import { reconstructSilences } from '../src/checkers/silences.js';
import type { ScenarioView } from '../src/checkers/scenario.js';
import { fmtT } from '../src/checkers/scenario.js';
import type { Evidence } from '../src/checkers/types.js';
import { combineDecisions, decision, FAILURE_MODES, notifiedWhileSilenced, PHASE_LABEL, type Claim, type ClaimDecision } from '../src/claims/index.js';
import { RecordingClient, OpRecorder } from '../src/client/recording.js';
import type { Matcher } from '../src/client/types.js';
import type { SuiteDefinition } from '../src/run/suite.js';
import { awaitDeliveries, ClusterWatch, firePhase, holdFiringSince, mark, newAlertSource, windows } from '../src/steps/index.js';
import { SilenceOps } from '../src/workload/silences.js';

const REAL = ['0.25.0', '0.28.1', '0.33.1'];

const eq = (name: string, value: string): Matcher => ({ name, value, isRegex: false, isEqual: true });

/** The silences of the `formats` phase, one per node: regex, negative and several matchers. */
export function formatSilences(phase: string): Matcher[][] {
  const scope = eq(PHASE_LABEL, phase);
  return [
    [scope, { name: 'alertname', value: 'Disk.*|High.*|Instance.*', isRegex: true, isEqual: true }, { name: 'severity', value: 'info', isRegex: false, isEqual: false }],
    [scope, { name: 'team', value: 'data|infra', isRegex: true, isEqual: false }],
    [scope, { name: 'group', value: 'g[02]-.*', isRegex: true, isEqual: true }, { name: 'job', value: 'none', isRegex: false, isEqual: false }, { name: 'severity', value: '', isRegex: false, isEqual: false }],
  ];
}

/** A matcher as one comparable string: name, operator, value. */
export function matcherText(m: { name?: unknown; value?: unknown; isRegex?: unknown; isEqual?: unknown }): string {
  const op = m.isRegex === true ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=';
  return `${String(m.name)}${op}${JSON.stringify(String(m.value))}`;
}

/**
 * Every node's listing of every silence of `phase` (the suite's recorded silences.list calls),
 * compared with what was created: a silence missing from a listing made after every node listed it
 * once, or listed with other matchers, is evidence.
 */
export function silencesListedAsMade(): (view: ScenarioView, phase: string) => ClaimDecision {
  return (view, phase) => {
    const made = reconstructSilences(view).filter((s) => s.status === 'created' && s.id && (s.matchers ?? []).some((m) => m.name === PHASE_LABEL && m.value === phase));
    if (made.length === 0) return decision('unknown', `no silence of phase "${phase}" was created`);
    const created = new Map<string, string>();
    for (const s of made) {
      const inv = [...view.invokes.values()].find((i) => i.seq === s.invokeSeq);
      const body = (inv?.value as { matchers?: unknown[] } | undefined)?.matchers ?? [];
      created.set(s.id!, body.map((m) => matcherText(m as Matcher)).sort().join(','));
    }
    const lastCreated = Math.max(...made.map((s) => s.createdAt));
    const evidence: Evidence[] = [];
    let compared = 0;
    for (const c of view.completes) {
      if (c.kind !== 'silences.list' || c.ok !== true || c.t < lastCreated || !Array.isArray(c.value)) continue;
      const listed = new Map((c.value as { id: string; matchers?: unknown[] }[]).map((s) => [s.id, (s.matchers ?? []).map((m) => matcherText(m as Matcher)).sort().join(',')]));
      for (const [id, want] of created) {
        compared++;
        const got = listed.get(id);
        if (got === want) continue;
        evidence.push({
          kind: got === undefined ? 'silence-not-listed' : 'silence-matchers-differ',
          message: got === undefined ? `${c.node} did not list silence ${id} at ${fmtT(c.t)}` : `${c.node} listed silence ${id} at ${fmtT(c.t)} as {${got}}, made as {${want}}`,
          events: [c.seq],
          data: { node: c.node, silence: id, made: want, listed: got ?? null },
        });
      }
    }
    // A claim's own counts (not scenario figures).
    const counts = { silences: made.length, listingsCompared: compared, differing: evidence.length };
    if (compared === 0) return decision('unknown', `no node listed the silences of phase "${phase}" after they were made`, [], counts);
    if (evidence.length > 0) return decision('reproduced', `${evidence.length} of ${compared} listing(s) of a silence differ from how it was made`, evidence.slice(0, 20), counts);
    return decision('not-reproduced', `every node listed each of ${made.length} silence(s) of phase "${phase}" exactly as made (${compared} listing(s))`, [], counts);
  };
}

function silenceFormatsClaim(): Claim {
  const listed = silencesListedAsMade();
  const muted = notifiedWhileSilenced();
  const both = (view: ScenarioView, phase: string) => combineDecisions([
    { phase: `${phase} (listed)`, d: listed(view, phase) },
    { phase: `${phase} (muting)`, d: muted(view, phase) },
  ]);
  return {
    mode: FAILURE_MODES.silenceFormats,
    statement: 'silences with regex, negative and several matchers made on one version are listed by another with other matchers, or mute other alerts than they match',
    control: 'a silence with one equality matcher in the same mixed cluster: listed as made everywhere, muting exactly its alerts',
    decide({ view }) {
      return { fault: both(view, 'formats'), control: both(view, 'plain') };
    },
  };
}

/**
 * silence-formats (reference §3 row 20): silences with regex (`=~`), negative (`!=`, `!~`) and
 * several matchers, made on each member of a mixed cluster — the version under test beside the
 * other versions here — and read by every other. Upstream #5330: 0.32.0–0.33.0 wrote silences
 * without the legacy matchers field in full-state syncs and snapshots, so an older peer that
 * learned one by push/pull compiled zero matchers (which match everything). To take that path, n2
 * is restarted with its storage wiped once the silences exist: it learns them only by the full
 * state sync of its join. Every node's listing is recorded (silences.list) before and after; then
 * the alerts are fired.
 *
 * The claim: a listing with other matchers than made, or a notification muted / not muted against
 * the matchers. The control: a silence with one equality matcher. The versions here (0.25.0,
 * 0.28.1, 0.33.1) are outside #5330's range; a not-reproduced says the formats interoperate.
 */
export interface SilenceFormatsFigures {
  silencesMade: number;
  listingsAfterWipe: number;
}

export const silenceFormats: SuiteDefinition<SilenceFormatsFigures> = {
  name: 'silence-formats',
  summary: 'silences with regex, negative and several matchers made on each version of a mixed cluster, read by the others (also through a full-state sync): listed as made, muting as matched; control: one equality matcher',
  checks: ['no-loss', 'exactly-once', 'validity', 'silence-propagation'],
  catalogue: {
    cluster: (v) => [v, ...REAL.filter((r) => r !== v).slice(0, 2)],
  },
  knownBehaviours: [
    // A restarted node's group timers tick out of phase with the others' afterwards (upstream #3551).
    outOfPhaseAfterRestart({ id: 'restarted-timer-phase', faults: ['restart'] }),
    duringInjectedFault({ id: 'silence-formats-restart', faults: ['restart'], tailMs: (view) => view.timers.silencePropagationMs + 10_000, reason: 'n2 restarted with wiped storage (to learn the silences by full-state sync): its groups flush on ticks offset from the others’ afterwards, so a later position can send a state an earlier one already moved past (the flapping mechanism, reference §3 row 3)' }),
  ],
  claim: silenceFormatsClaim(),
  async drive(ctx) {
    const watch = new ClusterWatch(ctx);
    const source = newAlertSource(ctx);
    const recorder = new OpRecorder(ctx.history);
    const ops = new SilenceOps({ history: ctx.history, clients: ctx.nodes.map((n) => n.client), recorder });
    const listers = ctx.nodes.map((n) => new RecordingClient(n.client, recorder));
    const listAll = async () => {
      await Promise.all(listers.map((c) => c.getSilences().catch(() => undefined)));
    };
    try {
      const w = windows(ctx);
      // `loud` has no silence: healthy transitions for exactly-once and no-loss, before the restart.
      const loud = await firePhase(ctx, source, { name: 'loud', wait: false });
      const ids: string[] = [];
      ids.push(await ops.create(ctx.nodes[0]!.id, { matchers: [eq(PHASE_LABEL, 'plain')] }));
      for (const [i, matchers] of formatSilences('formats').entries()) ids.push(await ops.create(ctx.nodes[i % ctx.nodes.length]!.id, { matchers }));
      ctx.figures['silencesMade'] = ids.length;
      const everywhere = await ctx.waitUntil(() => ctx.nodes.every((n) => ids.every((id) => watch.activeSilences(n.id)?.has(id) === true)), ctx.timers.silencePropagationMs + 1_000);
      mark(ctx, `${ids.length} silences made on ${ctx.nodes.map((n) => `${n.id} (${n.descriptor.version})`).join(', ')}${everywhere ? ', listed by every node' : ' — not listed by every node in time'}`);
      await awaitDeliveries(ctx, loud.keys, 'firing', { since: loud.firedAt, windowMs: w.firstDelivery });
      await holdFiringSince(ctx, loud.firedAt);
      await listAll();

      // n2 learns every silence again by the full-state sync of its join (the path of #5330).
      const wiped = ctx.nodes[1]!.id;
      await ctx.nemesis.apply({ kind: 'restart', node: wiped, signal: 'SIGTERM', wipe: true }).then((f) => ctx.nemesis.remove(f));
      await watch.waitFormed(30_000);
      await ctx.waitUntil(() => ids.every((id) => watch.activeSilences(wiped)?.has(id) === true), ctx.timers.silencePropagationMs + ctx.timers.pushPullIntervalMs);
      await listAll();
      ctx.figures['listingsAfterWipe'] = ctx.nodes.length;
      mark(ctx, `${wiped} restarted with its storage wiped; every node listed the silences again`);

      const plain = await firePhase(ctx, source, { name: 'plain', wait: false });
      const formats = await firePhase(ctx, source, { name: 'formats', wait: false });
      await ctx.sleep(w.firstDelivery + w.duplicateWindow);
      await holdFiringSince(ctx, formats.firedAt);
      const resolvedAt = ctx.history.clock.now();
      await source.resolve();
      await awaitDeliveries(ctx, [...loud.keys, ...plain.keys, ...formats.keys].filter((k) => ctx.notifications().some((n) => n.alerts.some((a) => a.key === k))), 'resolved', { since: resolvedAt, windowMs: w.resolveDelivery });
    } finally {
      watch.close();
      await ops.stop({ abort: true });
      await source.stop();
    }
  },
};
