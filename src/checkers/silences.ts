import type { LabelSet, NodeId } from '../history/types.js';
import { mergeIntervals, type Interval } from './intervals.js';
import { formatMatchers, matchesAll, parseMatchers, type LabelMatcher } from './matchers.js';
import { wallToT, type ScenarioView } from './scenario.js';

/**
 * The silences the workload created, reconstructed from silence.create / silence.expire operations
 * (invoke + complete, Jepsen style). Used by no-loss (which alerts may legitimately be muted) and
 * silence-propagation (what every node should list).
 */

export interface SilenceRecord {
  /** seq of the silence.create invoke. */
  invokeSeq: number;
  completeSeq?: number;
  /** Node the silence was created on. */
  node: NodeId;
  /** The ID Alertmanager returned; undefined when the create was indeterminate. */
  id?: string;
  /** `created`: ok with an ID. `indeterminate`: ok null (it may exist, ID unknown) or ok without an ID. */
  status: 'created' | 'indeterminate';
  invokedAt: number;
  /** When the create completed (the silence exists on `node` from then on at the latest). */
  createdAt: number;
  matchers?: LabelMatcher[];
  /** Why the matchers could not be used (unparsable, missing, or a regex JavaScript cannot run faithfully). */
  matcherError?: string;
  /** startsAt/endsAt of the posted silence, in scenario time (startsAt defaults to the invoke). */
  startsAt: number;
  endsAt: number;
  /** An expire operation for this ID: its invoke, and its completion when ok. */
  expireInvokedAt?: number;
  expiredAt?: number;
  expireSeqs: number[];
}

function field(obj: unknown, ...names: string[]): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as Record<string, unknown>;
  for (const n of names) if (o[n] !== undefined) return o[n];
  return undefined;
}

/** The silence body inside an invoke value: `{matchers,...}` or `{silence: {matchers,...}}`. */
function silenceBody(value: unknown): unknown {
  const inner = field(value, 'silence');
  return inner !== undefined ? inner : value;
}

function silenceIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const id = field(value, 'silenceID', 'silenceId', 'id');
  return typeof id === 'string' ? id : undefined;
}

export function reconstructSilences(view: ScenarioView): SilenceRecord[] {
  const out: SilenceRecord[] = [];
  const byId = new Map<string, SilenceRecord>();
  const completes = new Map<number, (typeof view.completes)[number]>();
  for (const c of view.completes) completes.set(c.op, c);

  for (const inv of view.invokes.values()) {
    if (inv.kind !== 'silence.create') continue;
    const c = completes.get(inv.op);
    if (c && c.ok === false) continue; // definitely not created
    const id = c?.ok === true ? silenceIdOf(c.value) : undefined;
    const body = silenceBody(inv.value);
    const rec: SilenceRecord = {
      invokeSeq: inv.seq,
      node: inv.node,
      status: id !== undefined ? 'created' : 'indeterminate',
      invokedAt: inv.t,
      createdAt: c?.t ?? inv.t,
      startsAt: wallToT(view, field(body, 'startsAt')) ?? inv.t,
      endsAt: wallToT(view, field(body, 'endsAt')) ?? Infinity,
      expireSeqs: [],
    };
    if (c) rec.completeSeq = c.seq;
    if (id !== undefined) rec.id = id;
    try {
      const raw = field(body, 'matchers');
      if (raw === undefined) throw new Error('the silence.create value has no matchers');
      rec.matchers = parseMatchers(raw);
    } catch (e) {
      rec.matcherError = (e as Error).message;
    }
    out.push(rec);
    if (id !== undefined) byId.set(id, rec);
  }

  for (const inv of view.invokes.values()) {
    if (inv.kind !== 'silence.expire') continue;
    const id = silenceIdOf(inv.value);
    const rec = id !== undefined ? byId.get(id) : undefined;
    if (!rec) continue;
    const c = completes.get(inv.op);
    if (c && c.ok === false) continue;
    rec.expireSeqs.push(inv.seq);
    if (rec.expireInvokedAt === undefined || inv.t < rec.expireInvokedAt) rec.expireInvokedAt = inv.t;
    if (c?.ok === true && (rec.expiredAt === undefined || c.t < rec.expiredAt)) rec.expiredAt = c.t;
  }
  return out.sort((a, b) => a.invokedAt - b.invokedAt);
}

export function describeSilence(s: SilenceRecord): string {
  const what = s.matchers ? formatMatchers(s.matchers) : `(matchers unusable: ${s.matcherError})`;
  return `silence ${s.id ?? '(id unknown)'} ${what} created on ${s.node}`;
}

/** Whether the silence covers these labels: true/false, or undefined when its matchers are unusable. */
export function silenceCovers(s: SilenceRecord, labels: LabelSet): boolean | undefined {
  if (!s.matchers) return undefined;
  return matchesAll(s.matchers, labels);
}

/**
 * When the silence MAY mute an alert on SOME node: from the create invoke (or its startsAt) until
 * its natural end, or until the expire completed plus the propagation allowance (other nodes learn
 * of the expiry by gossip). Deliberately generous: no-loss uses it to excuse missing notifications,
 * so it must rather excuse too much than accuse Alertmanager wrongly.
 */
export function mayMuteWindow(s: SilenceRecord, propagationMs: number): Interval {
  const start = Math.max(s.invokedAt, s.startsAt);
  let end = s.endsAt;
  if (s.expiredAt !== undefined) end = Math.min(end, s.expiredAt + propagationMs);
  return { start, end: Math.max(start, end) };
}

/**
 * For one alert: the merged times some silence certainly-or-possibly muted it (`certain`), and
 * those where only a silence with unusable matchers or an indeterminate create could have
 * (`uncertain`). The `silences` list says which silences were involved.
 */
export function mutedIntervals(
  silences: readonly SilenceRecord[],
  labels: LabelSet,
  propagationMs: number,
): { certain: Interval[]; uncertain: Interval[]; silences: SilenceRecord[] } {
  const certain: Interval[] = [];
  const uncertain: Interval[] = [];
  const involved: SilenceRecord[] = [];
  for (const s of silences) {
    const covers = silenceCovers(s, labels);
    if (covers === false) continue;
    involved.push(s);
    const w = mayMuteWindow(s, propagationMs);
    if (covers === true) certain.push(w);
    else uncertain.push(w);
  }
  return { certain: mergeIntervals(certain), uncertain: mergeIntervals(uncertain), silences: involved };
}
