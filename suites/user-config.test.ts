import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScenarioStartEvent } from '../src/history/types.js';
import { check } from '../test/support/suites/faults.js';
import { attachToReport, clusterCases, runForTest } from '../test/support/suites/clusters.js';

// A user's own alertmanager.yml (--config) on a real cluster: its inhibit rules and route timers
// run as written, and the checkers judge each alert by what the config does with it.
const [c] = await clusterCases([['0.33.1', '0.33.1', '0.33.1']]);

describe.concurrent('a user config (--config) on a real 0.33.1 cluster', () => {
  it.skipIf(c!.skip !== undefined)(`an inhibit rule that really inhibits is seen on the nodes, not called a loss${c!.skip ? ` — skipped: ${c!.skip}` : ''}`, { timeout: 120_000 }, async ({ task }) => {
    const result = await runForTest('user-config-inhibit', {
      suite: 'exactly-once',
      clusters: [c!.versions],
      configFile: 'fixtures/configs/inhibit-example.yml',
      alertsFile: 'fixtures/alerts/inhibit-example.yaml',
    });
    attachToReport(task, result);
    const s = result.summary.scenarios[0]!;
    expect(s.checks.map((k) => `${k.name} ${k.verdict}: ${k.summary}`).filter((l) => !l.includes(' pass:'))).toEqual([]);
    const noLoss = check(s, 'no-loss');
    // The two warnings of group "db" were inhibited by the critical alert; the nodes said so.
    expect(noLoss.figures['exemptInhibited']).toBe(2);
    expect(noLoss.figures['firingObligations']).toBe(2);
    expect(s.outcome).toBe('pass');
  });

  it.skipIf(c!.skip !== undefined)(`two routes with different timers: recorded per route, each alert held to its own route${c!.skip ? ` — skipped: ${c!.skip}` : ''}`, { timeout: 120_000 }, async ({ task }) => {
    const result = await runForTest('user-config-two-routes', {
      suite: 'exactly-once',
      clusters: [c!.versions],
      configFile: 'fixtures/configs/two-routes.yml',
      alertsFile: 'fixtures/alerts/two-routes.yaml',
    });
    attachToReport(task, result);
    const s = result.summary.scenarios[0]!;
    const history = (await readFile(join(result.runDir, 'history.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string });
    const start = history.find((e): e is ScenarioStartEvent => e.type === 'scenario.start')!;
    expect(start.routes?.map((r) => [r.id, r.receiver, r.groupWaitMs, r.groupIntervalMs])).toEqual([
      ['root', 'default', 1_000, 6_000],
      ['root.0', 'batch', 2_000, 12_000],
    ]);
    expect(start.routes?.[1]?.sources?.groupInterval).toBe('two-routes.yml:13 (group_interval: 12s)');
    // The scenario's timers are the config's root route's, not amchaos's defaults.
    expect([start.timers.groupWaitMs, start.timers.groupIntervalMs]).toEqual([1_000, 6_000]);
    const noLoss = check(s, 'no-loss');
    // Every alert fired for a whole flush window of its own route (13 s for batch), so each owes a notification.
    expect(noLoss.figures['firingObligations']).toBe(4);
    expect(noLoss.figures['exemptShortLived']).toBe(0);
    expect(s.checks.map((k) => `${k.name} ${k.verdict}`)).toEqual(['no-loss pass', 'exactly-once pass', 'validity pass']);
  });
});
