import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent, NodeId, RouteRecord } from '../../../src/history/types.js';
import { checkCommand } from '../../../src/run/check.js';
import type { SuiteDefinition } from '../../../src/run/suite.js';
import { SUITES } from '../../../suites/index.js';
import { historyBuilder } from '../checkers/history-builder.js';

/**
 * Test support: run directories judged by the REAL checkers, for report tests that need a shape no
 * recorded run (fixtures/histories/, recorded.ts) has. A hand-made or generated history is written
 * with a bare summary.json (no check results), then `amchaos check` logic (src/run/check.ts) judges
 * it with the suite's checkers and renders the report — exactly what a stored run goes through.
 * No check result is ever written by hand.
 *
 * `routing-loss`: one exactly-once scenario on a config with three routes — `severity="critical"`
 * to `pager` with continue: true, `team="ops"` to `ops`, everything else to the root's `default`.
 * Alert Disk{critical, ops} reaches pager AND ops; Cpu{ops} reaches ops; Mem{} reaches default.
 * Every notification comes once (exactly-once passes), but Mem is never notified: no-loss fails.
 *
 * `large`: a generated split-brain scenario at a scale no recorded run has (default 10,000
 * notifications) for the timeline's sampling, cap and rendering tests: five nodes, groups of one
 * alert fired in waves of 25 every 1.5 s and resolved 20 s later, each transition notified once by
 * n1; during a 30 s partition n1,n2 | n3,n4,n5 each side notifies (n1 and n3); outside it, n4 sends
 * a second copy of every `duplicateEvery`-th group (a node that does not dedup): real duplicates
 * while healthy, so exactly-once fails with evidence. `maxEvidence` raises the checkers' evidence
 * cap (a suite's checker option) for tests of evidence beyond what the page lists.
 */
export type JudgedKind = 'routing-loss' | 'large';

export interface JudgedOptions {
  /** The run directory's name under reportsDir (default `judged-<kind>`). */
  runId?: string;
  /** summary.json's startedAt (the runs index orders by it). */
  startedAt?: string;
  /** `large`: about how many notifications (default 10,000). */
  notifications?: number;
  /** `large`: n4 duplicates every n-th group outside the partition (default 97; 1 = every group). */
  duplicateEvery?: number;
  /** `large`: inject the partition (default true). */
  partition?: boolean;
  /** `large`: the checkers' evidence cap (default: the checkers' own, 100). */
  maxEvidence?: number;
}

const ROUTES: RouteRecord[] = [
  { id: 'root', receiver: 'default', matchers: [], continue: false, groupBy: ['alertname'], groupWaitMs: 1_000, groupIntervalMs: 6_000, repeatIntervalMs: 3_600_000 },
  { id: 'root.0', parent: 'root', receiver: 'pager', matchers: ['severity="critical"'], continue: true, groupBy: ['alertname'], groupWaitMs: 1_000, groupIntervalMs: 6_000, repeatIntervalMs: 3_600_000 },
  { id: 'root.1', parent: 'root', receiver: 'ops', matchers: ['team="ops"'], continue: false, groupBy: ['alertname'], groupWaitMs: 1_000, groupIntervalMs: 6_000, repeatIntervalMs: 3_600_000 },
];

const DISK = { alertname: 'Disk', severity: 'critical', team: 'ops' };
const CPU = { alertname: 'Cpu', team: 'ops' };
const MEM = { alertname: 'Mem' };

function routingLoss(scenario: string): HistoryEvent[] {
  const receivers = { default: true, pager: true, ops: true };
  const b = historyBuilder()
    .start({ nodes: 3, versions: ['0.33.1', '0.33.1', '0.33.1'], scenario, timers: { groupIntervalMs: 6_000 }, routes: ROUTES, sendResolved: receivers, repeatIntervalMs: { default: 3_600_000, pager: 3_600_000, ops: 3_600_000 } })
    .ready(0);
  for (const t of [0, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000]) b.sampleAll(t);
  b.fire(DISK, 1_000).fire(CPU, 1_000).fire(MEM, 1_000);
  const gk = (route: string, name: string) => `{}${route}:{alertname="${name}"}`;
  b.notify({ t: 2_100, sender: 'n1', receiver: 'pager', firing: [DISK], groupKey: gk('/{severity="critical"}', 'Disk') })
    .notify({ t: 2_110, sender: 'n1', receiver: 'ops', firing: [DISK], groupKey: gk('/{team="ops"}', 'Disk') })
    .notify({ t: 2_120, sender: 'n1', receiver: 'ops', firing: [CPU], groupKey: gk('/{team="ops"}', 'Cpu') });
  // Mem is never notified to default: lost.
  b.resolve(DISK, 12_000).resolve(CPU, 12_000).resolve(MEM, 12_000);
  b.notify({ t: 18_100, sender: 'n1', receiver: 'pager', resolved: [DISK], groupKey: gk('/{severity="critical"}', 'Disk') })
    .notify({ t: 18_110, sender: 'n1', receiver: 'ops', resolved: [DISK], groupKey: gk('/{team="ops"}', 'Disk') })
    .notify({ t: 18_120, sender: 'n1', receiver: 'ops', resolved: [CPU], groupKey: gk('/{team="ops"}', 'Cpu') });
  return b.end(45_000).build();
}

const LARGE_VERSIONS = ['0.25.0', '0.28.1', '0.33.1', 'tsam', 'tsam'];
const GROUP_WAIT_MS = 1_000;
// Above (N−1) × peer timeout = 4 s: a config without the upstream #3551 duplicates.
const GROUP_INTERVAL_MS = 5_000;
const RESOLVE_AFTER_MS = 20_000;
const WAVE_EVERY_MS = 1_500;
const PER_WAVE = 25;

function large(scenario: string, o: JudgedOptions): HistoryEvent[] {
  const total = o.notifications ?? 10_000;
  const every = o.duplicateEvery ?? 97;
  // Each group: a firing and a resolved notification, plus copies (partition, n4's duplicates).
  const groups = Math.max(1, Math.round(total / 2 / (1 + 1 / every)));
  const waves = Math.ceil(groups / PER_WAVE);
  const lastFire = 5_000 + (waves - 1) * WAVE_EVERY_MS;
  const end = lastFire + RESOLVE_AFTER_MS + 15_000;
  const partition = o.partition ?? true;
  const cutAt = Math.round(end * 0.4);
  const healAt = cutAt + 30_000;
  const sides: NodeId[][] = [
    ['n1', 'n2'],
    ['n3', 'n4', 'n5'],
  ];
  const split = (t: number): boolean => partition && t >= cutAt && t < healAt;
  // Clear of the partition and its settling (n4's copies must be plain healthy-time duplicates).
  const nearPartition = (t: number): boolean => partition && t >= cutAt - 5_000 && t < healAt + 15_000;

  const b = historyBuilder()
    .start({ nodes: 5, versions: LARGE_VERSIONS, scenario, timers: { peerTimeoutMs: 1_000, groupWaitMs: GROUP_WAIT_MS, groupIntervalMs: GROUP_INTERVAL_MS } })
    .ready(0);
  const names = (ids: NodeId[]): string[] => ids.map((id) => b.peerName(id));
  for (let t = 0; t <= end; t += 2_000) {
    if (!split(t)) b.sampleAll(t);
    else for (const side of sides) for (const id of side) b.statusSample(id, t, names(side)).silencesSample(id, t, []);
  }
  if (partition) b.fault({ t: cutAt, until: healAt, components: sides, description: 'partition n1,n2 | n3,n4,n5' });

  let g = 0;
  for (let w = 0; w < waves; w++) {
    const fireAt = 5_000 + w * WAVE_EVERY_MS;
    for (let k = 0; k < PER_WAVE && g < groups; k++, g++) {
      const labels = { alertname: `Alert${String(g).padStart(5, '0')}`, severity: g % 3 === 0 ? 'page' : 'ticket' };
      const jitter = (g * 37) % 60;
      b.fire(labels, fireAt);
      b.resolve(labels, fireAt + RESOLVE_AFTER_MS);
      const firingAt = fireAt + GROUP_WAIT_MS + 5 + jitter;
      // The first group_interval tick after the resolve.
      const resolvedAt = fireAt + GROUP_WAIT_MS + Math.ceil((RESOLVE_AFTER_MS - GROUP_WAIT_MS) / GROUP_INTERVAL_MS) * GROUP_INTERVAL_MS + 5 + jitter;
      // n3's side knows the firing notification if it was sent there, or gossiped well before the cut;
      // without it, Alertmanager sends no resolved notification (nothing was notified firing).
      const sideKnowsFiring = split(firingAt) || (partition && firingAt < cutAt - 5_000);
      for (const [t, state] of [
        [firingAt, 'firing'],
        [resolvedAt, 'resolved'],
      ] as const) {
        const body = state === 'firing' ? { firing: [labels] } : { resolved: [labels] };
        b.notify({ t, sender: 'n1', ...body });
        if (split(t) && (state === 'firing' || sideKnowsFiring)) b.notify({ t: t + 4, sender: 'n3', ...body });
        else if (g % every === 0 && !nearPartition(t)) b.notify({ t: t + 3, sender: 'n4', ...body });
      }
    }
  }
  return b.end(end).build();
}

function bareSummary(runId: string, events: HistoryEvent[], suite: string, versions: string[], command: string[], seed: number, figures: Record<string, unknown>) {
  const start = events.find((e) => e.type === 'scenario.start')!;
  const last = events[events.length - 1]!;
  const durationMs = Math.round(last.t - start.t);
  return {
    schema: 2,
    runId,
    outcome: 'unknown',
    verdict: 'unknown',
    command,
    seed,
    startedAt: start.wall,
    finishedAt: last.wall,
    durationMs,
    machine: { hostname: 'test', platform: 'linux', arch: 'x64', cpus: 2, memoryBytes: 4 * 1024 ** 3, node: process.version, kernel: 'test' },
    scenarios: [
      {
        id: start.type === 'scenario.start' ? start.scenario : 'unknown',
        suite,
        versions,
        runtime: 'process',
        clustered: true,
        seed,
        outcome: 'unknown',
        verdict: 'unknown',
        nodes: start.type === 'scenario.start' ? start.nodes : [],
        timers: start.type === 'scenario.start' ? start.timers : {},
        checks: [],
        startedAt: start.wall,
        durationMs,
        historyRange: [0, events.length - 1],
        logs: {},
        figures,
      },
    ],
    files: { history: 'history.jsonl', logsDir: 'logs', junit: 'junit.xml', html: 'index.html' },
  };
}

/**
 * Writes the run under `reportsDir/<runId>`, judges it with the real checkers and renders its
 * report; returns the run directory. (A string third argument is the runId, as before.)
 */
export async function writeJudgedRun(reportsDir: string, kind: JudgedKind, options: JudgedOptions | string = {}): Promise<string> {
  const o: JudgedOptions = typeof options === 'string' ? { runId: options } : options;
  const runId = o.runId ?? `judged-${kind}`;
  const dir = join(reportsDir, runId);
  await mkdir(join(dir, 'logs'), { recursive: true });
  let events: HistoryEvent[];
  let summary: ReturnType<typeof bareSummary>;
  let suites: Readonly<Record<string, SuiteDefinition>> = SUITES;
  if (kind === 'routing-loss') {
    events = routingLoss('exactly-once/0.33.1x3');
    const command = ['npx', 'amchaos', 'run', '--suite', 'exactly-once', '--versions', '0.33.1', '--config', 'my-routes.yml', '--out', `reports/${runId}`, '--seed', '7'];
    summary = bareSummary(runId, events, 'exactly-once', ['0.33.1', '0.33.1', '0.33.1'], command, 7, {
      notifications: events.filter((e) => e.type === 'notification').length,
      startToReadyMs: 612,
      quiesceMs: 5_400,
    });
  } else {
    // With the partition, split-brain's checks judge it (at-most-k, convergence); without, exactly-once's.
    const suite = o.partition === false ? 'exactly-once' : 'split-brain';
    events = large(`${suite}/${LARGE_VERSIONS.join('+')}`, o);
    const command = ['npx', 'amchaos', 'run', '--suite', suite, '--versions', LARGE_VERSIONS.join('+'), '--seed', '11'];
    summary = bareSummary(runId, events, suite, LARGE_VERSIONS, command, 11, { notifications: events.filter((e) => e.type === 'notification').length });
    if (o.maxEvidence !== undefined) {
      // The same suite with a larger evidence cap for its checkers (what a suite's checkOptions may set).
      const base = SUITES[suite]!;
      const opts = Object.fromEntries(base.checks.map((c) => [c, { ...(base.checkOptions?.[c] as object | undefined), maxEvidence: o.maxEvidence }]));
      suites = { ...SUITES, [suite]: { ...base, checkOptions: { ...base.checkOptions, ...opts } } };
    }
  }
  if (o.startedAt) summary.startedAt = o.startedAt;
  await writeFile(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  await writeFile(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await checkCommand(dir, suites);
  return dir;
}
