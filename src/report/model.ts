import { checkOutcome, runOutcome, scenarioOutcome, type CheckVerdict, type Outcome } from '../checkers/outcome.js';
import type { Evidence } from '../checkers/types.js';
import { routeOfGroup, routesFor, routeTree } from '../checkers/routes.js';
import type { FaultEvent, HistoryEvent, NodeId, NotificationEvent } from '../history/types.js';
import { labelKey } from '../history/types.js';
import { LATENCY_SWEEP_KEYS } from '../summary/figures.js';
import type { CheckSummary, RunSummary, ScenarioSummary } from '../summary/summary.js';
import type { LoadedRun, LoadedScenario } from './load.js';
import { safeJoin } from './load.js';
import { excerpt, LogCache, type TimedLine } from './logs.js';
import { describeFigure, formatFigureValue } from './figures.js';

/**
 * The report's view model: everything the HTML, the JUnit file and the run index show, computed
 * once from summary.json + history.jsonl (+ log excerpts). Pure data; rendering is elsewhere.
 */

/** What a person should read a result as. `expected` = a fail the suite declared known upstream. */
export type Status = 'fail' | 'unknown' | 'expected' | 'pass';

export const STATUS_ORDER: Record<Status, number> = { fail: 0, unknown: 1, expected: 2, pass: 3 };

/** Marks beyond this per scenario are sampled (evidence marks are always kept); the page says so. */
export const MAX_MARKS = 20_000;
/** Evidence items rendered in full per check (with events and logs); the rest as one-liners. */
export const MAX_FULL_EVIDENCE = 20;
export const MAX_LISTED_EVIDENCE = 200;
/** Evidence items that get node log excerpts, and lines per node per item. */
export const MAX_LOG_EVIDENCE = 8;
export const MAX_LOG_LINES = 30;
const LOG_BEFORE_MS = 5000;
const LOG_AFTER_MS = 2000;

const CANONICAL_CHECKS = ['no-loss', 'exactly-once', 'at-most-k', 'silence-propagation', 'convergence'];
/** Checks whose evidence notifications are duplicates (highlighted as such on the timeline). */
const DUPLICATE_CHECKS = new Set(['exactly-once', 'at-most-k']);

export const FLAG = { duplicate: 1, evidence: 2, undelivered: 4, resolved: 8 } as const;

export interface RunModel {
  runId: string;
  /** The run's outcome as a status (runOutcomeOf: recomputed from the scenarios' checks). */
  status: Status;
  seed: number;
  command: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  machine: Record<string, unknown>;
  counts: Record<Status, number>;
  warnings: string[];
  checkNames: string[];
  /** Failures first (see STATUS_ORDER). */
  scenarios: ScenarioModel[];
  findings: Finding[];
  /** The run has a failure-mode catalogue (catalogue.html beside the report). */
  catalogue: boolean;
}

export interface FaultWindow {
  fault: number;
  kind: string;
  description: string;
  /** Seconds since the scenario start. */
  from: number;
  to: number;
  /** Never verified as removed: the window runs to the end of the history. */
  open: boolean;
  failed: boolean;
  nodes: NodeId[] | undefined;
  components: NodeId[][] | undefined;
}

export interface Finding {
  scenario: string;
  scenarioAnchor: string;
  check: string;
  checkAnchor: string;
  status: Status;
  summary: string;
  expectedReason: string | undefined;
  /** Earliest evidence time, seconds since the scenario start, and wall clock. */
  at: number | undefined;
  wall: string | undefined;
  senders: NodeId[];
  faults: FaultWindow[];
  /** Which faults were active at the evidence times: one entry per distinct set, with counts. */
  contexts: { faults: FaultWindow[]; count: number }[];
  clustered: boolean;
  evidenceCount: number;
}

export interface ScenarioModel {
  anchor: string;
  summary: ScenarioSummary;
  /** History time (ms) of the scenario's start: x = 0 on its timeline. */
  t0: number;
  clusterLabel: string;
  status: Status;
  checks: CheckModel[];
  faults: FaultWindow[];
  /** Seconds from scenario start to its last event. */
  span: number;
  startWall: string | undefined;
  notificationCount: number;
  timeline: TimelineData | undefined;
  /** A latency sweep's probes (the latency-sweep suite's `latencySweep` figure), charted. */
  latencySweep: LatencySweepModel | undefined;
  /** Notifications per receiver and route (continue: true routing at a glance). */
  routes: RoutesModel | undefined;
  /** The scenario's own figures (the runner's and the suite's), described. */
  figures: FigureModel[];
  /** The scenario's timers, described. */
  timers: FigureModel[];
}

/** A figure for a person: label, value with its unit, the one-line description; the raw key kept. */
export interface FigureModel {
  key: string;
  label: string;
  /** The value with its unit ("4500 ms", "8 notifications", "t=12.3 s"). */
  value: string;
  /** One line, shown on hover; undefined for a key no table describes (shown raw). */
  help: string | undefined;
  /** A count that should be 0 and is not. */
  bad: boolean;
}

/**
 * One row per route of the config the cluster ran (scenario.start.routes), or per receiver in
 * histories that did not record routes: what routing sends there and what arrived there.
 */
export interface RouteRowModel {
  /** "root", "root.0", ...; undefined in histories without recorded routes. */
  route: string | undefined;
  depth: number;
  receiver: string;
  matchers: string[];
  continue: boolean;
  /** Distinct alerts the workload fired that the route tree sends to this route. */
  alertsRouted: number | undefined;
  /** Distinct alerts that arrived in delivered notifications of this route. */
  alertsNotified: number;
  /** Delivered notifications, and of those firing / resolved. */
  notifications: number;
  firing: number;
  resolved: number;
  /** Attempts the receiver did not answer 2xx. */
  undelivered: number;
  groups: number;
}

export interface RoutesModel {
  recorded: boolean;
  rows: RouteRowModel[];
}

/** Duplicates found at each injected gossip latency, and where they start relative to the peer timeout. */
export interface LatencySweepModel {
  /** Element id of the chart. */
  id: string;
  /** In the order they were probed (bisection order). */
  probes: { latencyMs: number; duplicates: number; transitions: number | undefined; minPeers: number | undefined }[];
  /** Smallest probed latency with duplicates; null when none up to the largest probed. */
  thresholdMs: number | null;
  peerTimeoutMs: number | undefined;
  nodes: number;
}

export interface CheckModel {
  anchor: string;
  check: CheckSummary;
  status: Status;
  headline: FigureModel[];
  figures: FigureModel[];
  distributions: Distribution[];
  sweep: { key: string; label: string; values: number[]; threshold: number; thresholdKey: string; thresholdLabel: string } | undefined;
  evidence: EvidenceModel[];
  /** Evidence items in summary.json beyond those rendered, and beyond summary.json (evidenceCount). */
  evidenceNotShown: number;
  evidenceNotInSummary: number;
}

export interface Distribution {
  key: string;
  /** The figure's label and unit (the key when no table describes it). */
  label: string;
  unit: string;
  help: string | undefined;
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
  /** Histogram: bin lower edges and counts (equal width). */
  edges: number[];
  counts: number[];
}

export interface EvidenceModel {
  evidence: Evidence;
  /** Rendered in full (events, logs) or as a one-liner. */
  full: boolean;
  events: HistoryEvent[];
  missing: number[];
  at: number | undefined;
  until: number | undefined;
  senders: NodeId[];
  faults: FaultWindow[];
  logs: LogExcerptModel[];
}

export interface LogExcerptModel {
  node: NodeId;
  file: string;
  lines: TimedLine[];
  omitted: number;
  total: number;
  error?: string;
}

/** Compact, columnar timeline data for the browser (one entry per scenario). */
export interface TimelineData {
  anchor: string;
  nodes: NodeId[];
  end: number;
  /** Epoch ms at x = 0. */
  wall0: number;
  /**
   * Columns, one entry per mark: t (s), s (sender index, -1 unknown), f (FLAG bits), id, seq,
   * g (group index). Rare values are sparse, to keep big reports small: r (receiver index) only
   * when there is more than one receiver, a (answer) only where it was not 200, keyed by mark index.
   */
  n: { t: number[]; s: number[]; f: number[]; id: number[]; seq: number[]; g: number[]; r?: number[]; a: Record<number, number | string> };
  groups: string[];
  receivers: string[];
  shown: number;
  total: number;
  faults: FaultWindow[];
  nodeEvents: { t: number; node: number; state: string }[];
  peers: { t: number[]; v: (number | null)[][] };
  /** Every status sample said "disabled" (--no-cluster): there are no peers to chart. */
  clusterDisabled: boolean;
  /** Notifications each node sent (all of them, also when marks are sampled). */
  sentBy: number[];
}

/**
 * Every duplicate copy a scenario's exactly-once check saw — while healthy (failures) and during
 * injected faults (figures) — and whether at-most-k held for the partition copies, so no page or
 * index ever prints "0 duplicates" beside a timeline that shows copies. Undefined when the
 * scenario did not check exactly-once.
 */
export interface DuplicateCounts {
  total: number;
  /** Copies outside faults: while the cluster was healthy, or — the --no-cluster control — with the nodes not clustered. */
  healthy: number;
  duringFaults: number;
  /** false for the --no-cluster control: its "healthy" copies are the nodes not deduplicating at all. */
  clustered: boolean;
  /** The at-most-k check's status, when the scenario ran it. */
  atMostK: Status | undefined;
}

export function duplicateCounts(s: Pick<ScenarioSummary, 'checks'> & { clustered?: boolean }): DuplicateCounts | undefined {
  const checks = Array.isArray(s.checks) ? s.checks : [];
  const eo = checks.find((c) => c.name === 'exactly-once');
  if (!eo) return undefined;
  const num = (k: string): number => (typeof eo.figures?.[k] === 'number' ? (eo.figures[k] as number) : 0);
  const healthy = num('duplicates');
  const duringFaults = num('duplicatesDuringFaults');
  const amk = checks.find((c) => c.name === 'at-most-k');
  return { total: healthy + duringFaults, healthy, duringFaults, clustered: s.clustered !== false, atMostK: amk ? checkStatus(amk) : undefined };
}

/** What the copies outside faults were sent under: a healthy cluster, or nodes not clustered at all. */
export function outsideFaults(clustered: boolean): string {
  return clustered ? 'while healthy' : 'with the nodes not clustered';
}

/** "4 (0 while healthy, 4 during injected faults, within at most k)" */
export function describeDuplicates(d: DuplicateCounts): string {
  if (d.total === 0) return '0';
  const k = d.atMostK === 'pass' ? ', within at most k' : d.atMostK === 'fail' ? ', MORE than k' : '';
  return `${d.total} (${d.healthy} ${outsideFaults(d.clustered)}, ${d.duringFaults} during injected faults${d.duringFaults > 0 ? k : ''})`;
}

/** The report's word for an outcome (src/checkers/outcome.ts decides every outcome). */
export function statusOfOutcome(o: Outcome): Status {
  return o === 'expected-failure' ? 'expected' : o;
}

export function checkStatus(c: CheckVerdict): Status {
  return statusOfOutcome(checkOutcome(c));
}

/** A scenario's status, recomputed from its checks (summary.json of any schema, hand-edited ones too). */
export function scenarioStatus(s: Pick<ScenarioSummary, 'checks' | 'error'>): Status {
  return statusOfOutcome(scenarioOutcome(Array.isArray(s.checks) ? s.checks : [], s.error));
}

export function runOutcomeOf(s: Pick<RunSummary, 'scenarios' | 'interrupted'>): Outcome {
  return runOutcome(Array.isArray(s.scenarios) ? s.scenarios : [], { interrupted: s.interrupted === true });
}

export function clusterLabel(s: ScenarioSummary): string {
  const v = Array.isArray(s.versions) ? s.versions : [];
  if (v.length === 0) return '(no nodes)';
  const same = v.every((x) => x === v[0]);
  const label = same ? `${v[0]} ×${v.length}` : v.join(' + ');
  return s.clustered === false ? `${label}, no cluster` : label;
}

export interface ModelOptions {
  /** Timeline marks per scenario before sampling (default MAX_MARKS). */
  maxMarks?: number;
}

export async function buildModel(run: LoadedRun, opts: ModelOptions = {}): Promise<RunModel> {
  const logCache = new LogCache();
  const scenarios: ScenarioModel[] = [];
  const maxMarks = opts.maxMarks ?? MAX_MARKS;
  for (const [i, sc] of run.scenarios.entries()) scenarios.push(await buildScenario(run.runDir, sc, `sc${i + 1}`, logCache, maxMarks));
  scenarios.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  const names = new Set<string>();
  for (const s of scenarios) for (const c of s.checks) names.add(c.check.name);
  const checkNames = [...CANONICAL_CHECKS.filter((n) => names.has(n)), ...[...names].filter((n) => !CANONICAL_CHECKS.includes(n)).sort()];
  const counts: Record<Status, number> = { fail: 0, unknown: 0, expected: 0, pass: 0 };
  for (const s of scenarios) counts[s.status]++;
  const findings = scenarios.flatMap((s) => findingsOf(s));
  findings.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  const sum = run.summary;
  return {
    runId: sum.runId,
    status: statusOfOutcome(runOutcomeOf(sum)),
    seed: sum.seed,
    command: Array.isArray(sum.command) ? sum.command.map(String) : [],
    startedAt: sum.startedAt,
    finishedAt: sum.finishedAt,
    durationMs: sum.durationMs,
    machine: (sum.machine ?? {}) as Record<string, unknown>,
    counts,
    warnings: run.warnings,
    checkNames,
    scenarios,
    findings,
    catalogue: sum.catalogue !== undefined,
  };
}

function findingsOf(s: ScenarioModel): Finding[] {
  const out: Finding[] = [];
  if (s.summary.error) {
    out.push({
      scenario: s.summary.id,
      scenarioAnchor: s.anchor,
      check: 'scenario',
      checkAnchor: s.anchor,
      status: s.status === 'pass' ? 'unknown' : s.status,
      summary: `could not run: ${s.summary.error.code}: ${s.summary.error.message}`,
      expectedReason: undefined,
      at: undefined,
      wall: undefined,
      senders: [],
      faults: [],
      contexts: [],
      clustered: s.summary.clustered,
      evidenceCount: 0,
    });
  }
  for (const c of s.checks) {
    if (c.status === 'pass') continue;
    const timed = c.evidence.filter((e) => e.at !== undefined);
    const first = timed.reduce<EvidenceModel | undefined>((m, e) => (m === undefined || (e.at ?? 0) < (m.at ?? 0) ? e : m), undefined);
    const senders = [...new Set(c.evidence.flatMap((e) => e.senders))].sort();
    const faults = new Map<number, FaultWindow>();
    for (const e of c.evidence) for (const f of e.faults) faults.set(f.fault, f);
    const contexts = new Map<string, { faults: FaultWindow[]; count: number }>();
    for (const e of timed) {
      const key = e.faults.map((f) => f.fault).join(',');
      const ctx = contexts.get(key) ?? { faults: e.faults, count: 0 };
      ctx.count++;
      contexts.set(key, ctx);
    }
    const firstEvent = first?.events.find((e) => e.t !== undefined);
    out.push({
      scenario: s.summary.id,
      scenarioAnchor: s.anchor,
      check: c.check.name,
      checkAnchor: c.anchor,
      status: c.status,
      summary: c.check.summary,
      expectedReason: c.check.expectedFailure,
      at: first?.at,
      wall: firstEvent?.wall,
      senders,
      faults: [...faults.values()],
      contexts: [...contexts.values()].sort((x, y) => y.count - x.count),
      clustered: s.summary.clustered,
      evidenceCount: c.check.evidenceCount ?? c.check.evidence.length,
    });
  }
  return out;
}

async function buildScenario(runDir: string, sc: LoadedScenario, anchor: string, logCache: LogCache, maxMarks: number): Promise<ScenarioModel> {
  const summary = sc.summary;
  const events = sc.events;
  const t0 = sc.start?.t ?? events[0]?.t ?? 0;
  const rel = (t: number): number => Math.round(t - t0) / 1000;
  const span = events.length > 0 ? rel(events[events.length - 1]?.t ?? t0) : 0;
  const startWall = sc.start?.wall ?? events[0]?.wall;
  const faults = faultWindows(events, rel, span);
  const nodeIds = nodeIdsOf(sc);

  const checks: CheckModel[] = [];
  const dupSeqs = new Set<number>();
  const evidenceSeqs = new Set<number>();
  for (const [j, check] of (summary.checks ?? []).entries()) {
    const status = checkStatus(check);
    const evidenceList = Array.isArray(check.evidence) ? check.evidence : [];
    // Every evidence notification is marked on the timeline, also those not listed below.
    if (status !== 'pass')
      for (const ev of evidenceList)
        for (const q of Array.isArray(ev.events) ? ev.events : []) {
          const e = sc.bySeq.get(q);
          if (e?.type === 'notification') (DUPLICATE_CHECKS.has(check.name) ? dupSeqs : evidenceSeqs).add(q);
        }
    const shown = evidenceList.slice(0, MAX_LISTED_EVIDENCE);
    const evidence: EvidenceModel[] = [];
    for (const [k, ev] of shown.entries()) {
      const full = k < MAX_FULL_EVIDENCE;
      const seqs = Array.isArray(ev.events) ? ev.events : [];
      const found = seqs.map((q) => sc.bySeq.get(q)).filter((e): e is HistoryEvent => e !== undefined);
      const missing = seqs.filter((q) => !sc.bySeq.has(q));
      const times = found.map((e) => e.t);
      const at = times.length ? rel(Math.min(...times)) : undefined;
      const until = times.length ? rel(Math.max(...times)) : undefined;
      const senders = [...new Set(found.flatMap((e) => (e.type === 'notification' && e.sender ? [e.sender] : [])))].sort();
      const active = at === undefined ? [] : faults.filter((f) => !f.failed && f.from <= (until ?? at) && f.to >= at);
      const model: EvidenceModel = { evidence: ev, full, events: full ? found : [], missing, at, until, senders, faults: active, logs: [] };
      if (full && k < MAX_LOG_EVIDENCE && found.length > 0) model.logs = await logExcerpts(runDir, summary, found, nodeIds, logCache);
      evidence.push(model);
    }
    const { headline, figures, distributions, sweep } = splitFigures(check.figures ?? {}, check.name, t0);
    checks.push({
      anchor: `${anchor}-c${j + 1}`,
      check,
      status,
      headline,
      figures,
      distributions,
      sweep,
      evidence,
      evidenceNotShown: evidenceList.length - shown.length,
      evidenceNotInSummary: Math.max(0, (check.evidenceCount ?? evidenceList.length) - evidenceList.length),
    });
  }
  checks.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  const notifications = events.filter((e): e is NotificationEvent => e.type === 'notification');
  const timeline =
    events.length > 0
      ? timelineData(anchor, sc, notifications, nodeIds, faults, rel, span, dupSeqs, evidenceSeqs, startWall, maxMarks)
      : undefined;
  return {
    anchor,
    summary,
    t0,
    clusterLabel: clusterLabel(summary),
    status: scenarioStatus(summary),
    checks,
    faults,
    span,
    startWall,
    notificationCount: notifications.length,
    timeline,
    latencySweep: latencySweepOf(anchor, summary),
    routes: events.length > 0 ? routesOf(sc, notifications) : undefined,
    figures: describeFigures('scenario', summary.figures ?? {}, t0),
    timers: describeFigures('timers', (summary.timers ?? {}) as unknown as Record<string, unknown>, t0),
  };
}

/** Figures of one source ('scenario', 'timers', a check's name), described, in the order written. */
export function describeFigures(source: string, fig: Record<string, unknown>, t0: number): FigureModel[] {
  return Object.entries(fig).map(([k, v]) => figureModel(source, k, v, t0));
}

function figureModel(source: string, key: string, value: unknown, t0: number): FigureModel {
  const info = describeFigure(source, key);
  const bad = info ? info.bad === true && typeof value === 'number' && value > 0 : /^(duplicates|lost)$/i.test(key) && typeof value === 'number' && value > 0;
  return { key, label: info?.label ?? key, value: info ? formatFigureValue(info, value, t0) : formatFigure(value), help: info?.help, bad };
}

/**
 * Notifications per receiver and route: the route tree the cluster ran (scenario.start.routes) with,
 * per route, the alerts routing sends there (from what the workload fired) and what arrived there
 * (each delivered notification attributed to its route as the checkers do). A `continue: true`
 * route shows its alerts on both rows. Histories without recorded routes get one row per receiver.
 */
export function routesOf(sc: LoadedScenario, notifications: readonly NotificationEvent[]): RoutesModel | undefined {
  const start = sc.start;
  if (!start) return undefined;
  const tree = routeTree({ start, timers: start.timers });
  const recorded = tree.recorded;
  const rows = new Map<string, RouteRowModel & { alertKeys: Set<string>; routedKeys: Set<string>; groupKeys: Set<string> }>();
  const rowFor = (id: string, init: () => Omit<RouteRowModel, 'alertsRouted' | 'alertsNotified' | 'notifications' | 'firing' | 'resolved' | 'undelivered' | 'groups'>) => {
    let r = rows.get(id);
    if (!r) {
      r = { ...init(), alertsRouted: recorded ? 0 : undefined, alertsNotified: 0, notifications: 0, firing: 0, resolved: 0, undelivered: 0, groups: 0, alertKeys: new Set(), routedKeys: new Set(), groupKeys: new Set() };
      rows.set(id, r);
    }
    return r;
  };
  if (recorded) {
    for (const rec of tree.all) rowFor(rec.id, () => ({ route: rec.id, depth: rec.id.split('.').length - 1, receiver: rec.receiver, matchers: rec.matchers, continue: rec.continue }));
    const fired = new Map<string, Record<string, string>>();
    for (const e of sc.events) if (e.type === 'alert.fire') fired.set(e.alert, e.labels);
    for (const [key, labels] of fired) for (const r of routesFor(tree, labels).routes) rows.get(r.id)?.routedKeys.add(key);
  }
  for (const n of notifications) {
    // A group two routes could have made (identical matchers and receiver: group-key-collision) has
    // no single row: it gets one of its own, named by both routes ("root.0|root.1").
    const route = recorded ? routeOfGroup(tree, n).route : undefined;
    const row = route
      ? rowFor(route.id, () => ({ route: route.id, depth: Math.max(...route.id.split('|').map((id) => id.split('.').length - 1)), receiver: route.receiver, matchers: route.matchers, continue: route.continue }))
      : rowFor(`receiver:${n.receiver}`, () => ({ route: undefined, depth: 0, receiver: String(n.receiver), matchers: [], continue: false }));
    if (!n.delivered) {
      row.undelivered++;
      continue;
    }
    row.notifications++;
    if (n.status === 'resolved') row.resolved++;
    else row.firing++;
    row.groupKeys.add(n.groupKey);
    for (const a of n.alerts ?? []) row.alertKeys.add(a.key ?? labelKey(a.labels));
  }
  return {
    recorded,
    rows: [...rows.values()].map(({ alertKeys, routedKeys, groupKeys, ...r }) => ({
      ...r,
      alertsNotified: alertKeys.size,
      alertsRouted: recorded ? routedKeys.size : undefined,
      groups: groupKeys.size,
    })),
  };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The sweep a scenario recorded as figures (see suites/latency-sweep.ts): `latencySweep` is the list
 * of probes, `latencyThresholdMs` the smallest latency with duplicates, `peerTimeoutMs` the timer
 * it is compared with. Anything of another shape is left to the figures table.
 */
export function latencySweepOf(anchor: string, summary: ScenarioSummary): LatencySweepModel | undefined {
  const fig = summary.figures ?? {};
  const raw = fig[LATENCY_SWEEP_KEYS.probes];
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const probes: LatencySweepModel['probes'] = [];
  for (const p of raw as unknown[]) {
    if (typeof p !== 'object' || p === null) return undefined;
    const r = p as Record<string, unknown>;
    if (!finite(r['latencyMs']) || !finite(r['duplicates'])) return undefined;
    probes.push({
      latencyMs: r['latencyMs'],
      duplicates: r['duplicates'],
      transitions: finite(r['transitions']) ? r['transitions'] : undefined,
      minPeers: finite(r['minPeers']) ? r['minPeers'] : undefined,
    });
  }
  const threshold = fig[LATENCY_SWEEP_KEYS.threshold];
  const peerTimeout = fig[LATENCY_SWEEP_KEYS.peerTimeout] ?? summary.timers?.peerTimeoutMs;
  return {
    id: `${anchor}-sweep`,
    probes,
    thresholdMs: finite(threshold) ? threshold : null,
    peerTimeoutMs: finite(peerTimeout) ? peerTimeout : undefined,
    nodes: summary.nodes?.length ?? 0,
  };
}

function nodeIdsOf(sc: LoadedScenario): NodeId[] {
  const ids = (sc.summary.nodes ?? sc.start?.nodes ?? []).map((n) => n.id);
  // Events may name nodes the summary lacks (a crashed run): keep them visible.
  for (const e of sc.events) {
    const n = (e as { node?: unknown }).node ?? (e.type === 'notification' ? e.sender : undefined);
    if (typeof n === 'string' && !ids.includes(n)) ids.push(n);
  }
  return ids;
}

export function faultWindows(events: readonly HistoryEvent[], rel: (t: number) => number, span: number): FaultWindow[] {
  const byId = new Map<number, FaultWindow>();
  for (const e of events) {
    if (e.type !== 'fault') continue;
    const f = e as FaultEvent;
    let w = byId.get(f.fault);
    if (f.state === 'applied') {
      w = { fault: f.fault, kind: f.kind, description: f.description, from: rel(f.t), to: span, open: true, failed: false, nodes: f.nodes, components: f.components };
      byId.set(f.fault, w);
    } else if (f.state === 'removed' && w) {
      w.to = rel(f.t);
      w.open = false;
    } else if (f.state === 'failed') {
      byId.set(f.fault, { fault: f.fault, kind: f.kind, description: f.description, from: rel(f.t), to: rel(f.t), open: false, failed: true, nodes: f.nodes, components: f.components });
    }
  }
  return [...byId.values()].sort((a, b) => a.from - b.from);
}

/** Keys shown large when no table describes them (figures of older runs or a user's suite). */
const HEADLINE = /^(duplicates|lost|.*threshold.*)$/i;

function formatFigure(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/\.?0+$/, '');
  if (Array.isArray(v)) return v.map(formatFigure).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * A check's figures, described (src/report/figures.ts) and split: the headline ones shown large,
 * the rest in a table, numeric series of 3 or more as distributions, a sweep with its threshold.
 */
export function splitFigures(fig: Record<string, unknown>, source = '', t0 = 0): Pick<CheckModel, 'headline' | 'figures' | 'distributions' | 'sweep'> {
  const headline: FigureModel[] = [];
  const figures: FigureModel[] = [];
  const distributions: Distribution[] = [];
  let sweep: CheckModel['sweep'];
  const thresholdKey = Object.keys(fig).find((k) => /threshold/i.test(k) && typeof fig[k] === 'number');
  for (const [k, v] of Object.entries(fig)) {
    const info = describeFigure(source, k);
    const numeric = Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (numeric && /sweep/i.test(k) && thresholdKey) {
      sweep = { key: k, label: info?.label ?? k, values: v as number[], threshold: fig[thresholdKey] as number, thresholdKey, thresholdLabel: describeFigure(source, thresholdKey)?.label ?? thresholdKey };
      continue;
    }
    if (numeric && (v as number[]).length >= 3) {
      distributions.push(distribution(k, v as number[], info ? { label: info.label, unit: info.unit, help: info.help } : undefined));
      continue;
    }
    const model = figureModel(source, k, v, t0);
    (info ? info.headline === true : HEADLINE.test(k)) ? headline.push(model) : figures.push(model);
  }
  return { headline, figures, distributions, sweep };
}

export function distribution(key: string, values: number[], described?: { label: string; unit: string; help: string }): Distribution {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? 0;
  const min = s[0] ?? 0;
  const max = s[s.length - 1] ?? 0;
  const bins = Math.min(30, Math.max(5, Math.ceil(Math.sqrt(s.length))));
  const width = max > min ? (max - min) / bins : 1;
  const edges = Array.from({ length: bins }, (_, i) => min + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (const x of s) counts[Math.min(bins - 1, Math.floor((x - min) / width))]! += 1;
  return { key, label: described?.label ?? key, unit: described?.unit ?? '', help: described?.help, n: s.length, min, p50: q(0.5), p95: q(0.95), max, edges, counts };
}

async function logExcerpts(runDir: string, summary: ScenarioSummary, found: HistoryEvent[], all: NodeId[], cache: LogCache): Promise<LogExcerptModel[]> {
  const walls = found.map((e) => Date.parse(e.wall)).filter((x) => !Number.isNaN(x));
  if (walls.length === 0) return [];
  const from = Math.min(...walls) - LOG_BEFORE_MS;
  const to = Math.max(...walls) + LOG_AFTER_MS;
  const focus = Math.min(...walls);
  // The nodes the evidence names first (senders, faulted or acting nodes); all nodes if none.
  const involved = new Set<NodeId>();
  for (const e of found) {
    if (e.type === 'notification' && e.sender) involved.add(e.sender);
    const n = (e as { node?: unknown }).node;
    if (typeof n === 'string') involved.add(n);
    if (e.type === 'fault') for (const x of e.nodes ?? []) involved.add(x);
  }
  const nodes = involved.size > 0 ? all.filter((n) => involved.has(n)) : all;
  const out: LogExcerptModel[] = [];
  for (const node of nodes) {
    const relPath = summary.logs?.[node];
    if (typeof relPath !== 'string') continue;
    const path = safeJoin(runDir, relPath);
    if (!path) {
      out.push({ node, file: relPath, lines: [], omitted: 0, total: 0, error: 'path points outside the run directory; not read' });
      continue;
    }
    const lines = await cache.get(path);
    if (lines instanceof Error) {
      out.push({ node, file: relPath, lines: [], omitted: 0, total: 0, error: (lines as NodeJS.ErrnoException).code ?? lines.message });
      continue;
    }
    out.push({ node, file: relPath, ...excerpt(lines, from, to, focus, MAX_LOG_LINES) });
  }
  return out;
}

function timelineData(
  anchor: string,
  sc: LoadedScenario,
  all: NotificationEvent[],
  nodes: NodeId[],
  faults: FaultWindow[],
  rel: (t: number) => number,
  span: number,
  dup: Set<number>,
  evid: Set<number>,
  startWall: string | undefined,
  maxMarks: number,
): TimelineData {
  // Beyond maxMarks: keep every evidence mark and an even sample of the rest (the page says so).
  let chosen = all;
  if (all.length > maxMarks) {
    const flagged = all.filter((e) => dup.has(e.seq) || evid.has(e.seq));
    const rest = all.filter((e) => !dup.has(e.seq) && !evid.has(e.seq));
    const room = Math.max(0, maxMarks - flagged.length);
    const stride = rest.length / Math.max(1, room);
    const sampled: NotificationEvent[] = [];
    for (let i = 0; i < room && Math.floor(i * stride) < rest.length; i++) sampled.push(rest[Math.floor(i * stride)]!);
    chosen = [...flagged, ...sampled].sort((a, b) => a.t - b.t || a.seq - b.seq);
  }
  const groups: string[] = [];
  const groupIdx = new Map<string, number>();
  const receivers: string[] = [];
  const recvIdx = new Map<string, number>();
  const intern = (m: Map<string, number>, list: string[], v: string): number => {
    let i = m.get(v);
    if (i === undefined) {
      i = list.length;
      list.push(v);
      m.set(v, i);
    }
    return i;
  };
  const n: TimelineData['n'] = { t: [], s: [], f: [], id: [], seq: [], g: [], a: {} };
  const r: number[] = [];
  for (const e of chosen) {
    n.t.push(rel(e.t));
    n.s.push(e.sender === undefined ? -1 : nodes.indexOf(e.sender));
    n.f.push((dup.has(e.seq) ? FLAG.duplicate : 0) | (evid.has(e.seq) ? FLAG.evidence : 0) | (e.delivered === false ? FLAG.undelivered : 0) | (e.status === 'resolved' ? FLAG.resolved : 0));
    n.id.push(e.id);
    n.seq.push(e.seq);
    n.g.push(intern(groupIdx, groups, String(e.groupKey)));
    r.push(intern(recvIdx, receivers, String(e.receiver)));
    if (e.answered !== 200) n.a[n.t.length - 1] = e.answered;
  }
  if (receivers.length > 1) n.r = r;
  // Node lifecycle marks: only what deviates from start-up and teardown (kills, pauses, exits,
  // restarts), or every lane starts and ends with marks that say nothing.
  const nodeEvents: TimelineData['nodeEvents'] = [];
  const readyOnce = new Set<NodeId>();
  let teardown = false;
  for (const e of sc.events) {
    if (e.type === 'phase' && e.phase === 'teardown') teardown = true;
    if (e.type !== 'node') continue;
    const restart = readyOnce.has(e.node) && (e.state === 'starting' || e.state === 'ready');
    if (e.state === 'ready') readyOnce.add(e.node);
    const shown = ['killed', 'exited', 'paused', 'resumed'].includes(e.state) || restart || (e.state === 'stopped' && !teardown);
    if (shown && !(teardown && e.state === 'exited')) nodeEvents.push({ t: rel(e.t), node: nodes.indexOf(e.node), state: e.state });
  }
  // Peer counts: the union of sample times, each node's last sample carried forward (a sample is
  // the state until the next one); null while a node is unreachable or not yet sampled.
  const samples = sc.events.filter((e) => e.type === 'status.sample');
  const times = [...new Set(samples.map((e) => rel(e.t)))].sort((a, b) => a - b);
  const v: (number | null)[][] = nodes.map(() => []);
  const cur: (number | null)[] = nodes.map(() => null);
  let k = 0;
  for (const t of times) {
    while (k < samples.length && rel(samples[k]!.t) <= t) {
      const s = samples[k]!;
      const i = nodes.indexOf(s.node);
      if (i >= 0) cur[i] = s.clusterStatus === 'unreachable' ? null : Array.isArray(s.peers) ? s.peers.length : null;
      k++;
    }
    nodes.forEach((_, i) => v[i]!.push(cur[i] ?? null));
  }
  return {
    anchor,
    nodes,
    end: span,
    wall0: startWall ? Date.parse(startWall) : 0,
    n,
    groups,
    receivers,
    shown: chosen.length,
    total: all.length,
    faults,
    nodeEvents,
    peers: { t: times, v },
    clusterDisabled: samples.length > 0 && samples.every((e) => e.clusterStatus === 'disabled'),
    sentBy: nodes.map((id) => all.filter((e) => e.sender === id).length),
  };
}
