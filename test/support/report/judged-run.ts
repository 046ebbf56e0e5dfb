import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent, RouteRecord } from '../../../src/history/types.js';
import { checkCommand } from '../../../src/run/check.js';
import { SUITES } from '../../../suites/index.js';
import { historyBuilder } from '../checkers/history-builder.js';

/**
 * Test support: a run directory judged by the REAL checkers, for report tests that need real figure
 * keys and verdicts (the simulated fixtures in fixture-run.ts shape their own). A hand-made history
 * is written with a bare summary.json, then `amchaos check` logic (src/run/check.ts) judges it with
 * the suite's checkers and renders the report — exactly what a stored run goes through.
 *
 * `routing-loss`: one exactly-once scenario on a config with three routes — `severity="critical"`
 * to `pager` with continue: true, `team="ops"` to `ops`, everything else to the root's `default`.
 * Alert Disk{critical, ops} reaches pager AND ops; Cpu{ops} reaches ops; Mem{} reaches default.
 * Every notification comes once (exactly-once passes), but Mem is never notified: no-loss fails.
 */
export type JudgedKind = 'routing-loss';

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

/** Writes the run under `reportsDir/<runId>`, judges it with the real checkers and renders its report. */
export async function writeJudgedRun(reportsDir: string, kind: JudgedKind, runId = `judged-${kind}`): Promise<string> {
  const dir = join(reportsDir, runId);
  await mkdir(join(dir, 'logs'), { recursive: true });
  const id = 'exactly-once/0.33.1x3';
  const events = routingLoss(id);
  await writeFile(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const start = events.find((e) => e.type === 'scenario.start')!;
  const summary = {
    schema: 2,
    runId,
    outcome: 'unknown',
    verdict: 'unknown',
    command: ['npx', 'amchaos', 'run', '--suite', 'exactly-once', '--versions', '0.33.1', '--config', 'my-routes.yml', '--out', `reports/${runId}`, '--seed', '7'],
    seed: 7,
    startedAt: start.wall,
    finishedAt: events[events.length - 1]!.wall,
    durationMs: 45_000,
    machine: { hostname: 'test', platform: 'linux', arch: 'x64', cpus: 2, memoryBytes: 4 * 1024 ** 3, node: process.version, kernel: 'test' },
    scenarios: [
      {
        id,
        suite: 'exactly-once',
        versions: ['0.33.1', '0.33.1', '0.33.1'],
        runtime: 'process',
        clustered: true,
        seed: 7,
        outcome: 'unknown',
        verdict: 'unknown',
        nodes: start.type === 'scenario.start' ? start.nodes : [],
        timers: start.type === 'scenario.start' ? start.timers : {},
        checks: [],
        startedAt: start.wall,
        durationMs: 45_000,
        historyRange: [0, events.length - 1],
        logs: {},
        figures: { notifications: events.filter((e) => e.type === 'notification').length, startToReadyMs: 612, quiesceMs: 5_400 },
      },
    ],
    files: { history: 'history.jsonl', logsDir: 'logs', junit: 'junit.xml', html: 'index.html' },
  };
  await writeFile(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await checkCommand(dir, SUITES);
  return dir;
}
