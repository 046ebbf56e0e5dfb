import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../src/history/types.js';
import { defaultResolveOptions } from '../src/versions/resolve.js';
import { resolvePrometheus } from '../src/versions/prometheus.js';
import { attachToReport, clusterCases, runForTest } from '../test/support/suites/clusters.js';
import { EVALUATION_OFFSET_MS, type HaPhase } from './prometheus-ha.js';

/** One Prometheus version (Debian bookworm's, fetched by .ci/setup) against two Alertmanager versions. */
const PROMETHEUS = process.env['AMCHAOS_PROMETHEUS'] ?? '2.42.0';
const prometheus = await resolvePrometheus(PROMETHEUS, defaultResolveOptions()).catch((e: Error) => e);
const promSkip = prometheus instanceof Error ? `Prometheus ${PROMETHEUS} does not resolve here (${prometheus.message.split('\n')[0]}); run bash .ci/setup (Debian + apt) to enable` : undefined;
const cases = await clusterCases([
  ['0.25.0', '0.25.0', '0.25.0'],
  ['0.33.1', '0.33.1', '0.33.1'],
]);

const MISTAKE_BEHAVIOURS = ['prometheus-evaluation-offset', 'prometheus-replica-label-kept', 'prometheus-single-target'];

// Concurrent: each cluster has its own ports, capture and Prometheus pair, and mostly waits on timers.
describe.concurrent(`suite prometheus-ha (a real Prometheus ${PROMETHEUS} pair, real Alertmanager clusters, process runtime)`, () => {
  for (const c of cases) {
    const skip = promSkip ?? c.skip;
    it.skipIf(skip !== undefined)(`${c.label}: the healthy pair is exactly once and loses nothing; each classic mistake is reproduced, with evidence its known behaviour names${skip ? ` — skipped: ${skip}` : ''}`, { timeout: 420_000 }, async ({ task }) => {
      const result = await runForTest(`prometheus-ha-${c.label}`, { suite: 'prometheus-ha', clusters: [c.versions], source: 'prometheus', prometheus: { version: PROMETHEUS } });
      attachToReport(task, result);
      const s = result.summary.scenarios[0]!;
      expect(s.error, `scenario error in ${s.id}`).toBeUndefined();
      // Every failing piece of evidence lies inside a mistake the suite set up: nothing in the healthy phases.
      const failing = s.checks.flatMap((k) => k.evidence.filter((e) => e.fails).map((e) => ({ check: k.name, e })));
      expect(failing.filter(({ e }) => e.explainedBy?.expected !== true).map(({ check, e }) => `${check}: ${e.message}`)).toEqual([]);
      expect(s.outcome).toBe('expected-failure');
      // Each mistake reproduced: its behaviour explains evidence of its own.
      expect([...new Set(failing.map(({ e }) => e.explainedBy!.behaviour))].sort()).toEqual(MISTAKE_BEHAVIOURS);
      expect(s.expectedFailure).toContain('replica label was not dropped');

      const phases = s.figures['phases'] as HaPhase[];
      const phase = (name: string) => phases.find((p) => p.name === name)!;
      for (const healthy of ['healthy', 'healthy-faults']) {
        expect(phase(healthy), healthy).toMatchObject({ neverDeliveredFiring: 0, duplicatedLabelSets: 0, duplicates: 0, flapped: 0 });
      }
      // Replica label kept: every alert arrived under two label sets.
      expect(phase('replica-label-kept').duplicatedLabelSets).toBe(phase('replica-label-kept').alerts);
      // One target, down: nothing delivered — where the same node down with every target configured lost nothing.
      expect(phase('single-target').neverDeliveredFiring).toBe(phase('single-target').alerts);
      // An evaluation offset given after the alerts resolved: they flapped back to firing.
      expect(phase('evaluation-offset').flapped).toBeGreaterThan(0);
      expect(phase('healthy').resolvedLatencyMs.max!).toBeLessThan(EVALUATION_OFFSET_MS / 2);
    });
  }

  // Beside the two: the user's own rules and routing, end to end, through the same pair (the README's command).
  const user = cases[1]!;
  const userSkip = promSkip ?? user.skip;
  it.skipIf(userSkip !== undefined)(`exactly-once with the user's --rules and --config through a ${PROMETHEUS} pair: what their rules make of the alerts is notified exactly once, none lost${userSkip ? ` — skipped: ${userSkip}` : ''}`, { timeout: 300_000 }, async ({ task }) => {
    const result = await runForTest('exactly-once-prometheus-rules', {
      suite: 'exactly-once',
      clusters: [user.versions],
      source: 'prometheus',
      prometheus: { version: PROMETHEUS, rulesFile: 'fixtures/rules/example.yml' },
      configFile: 'fixtures/configs/routing-example.yml',
    });
    attachToReport(task, result);
    const s = result.summary.scenarios[0]!;
    expect(s.error, `scenario error in ${s.id}`).toBeUndefined();
    expect(s.checks.filter((k) => k.verdict !== 'pass').map((k) => `${k.name}: ${k.summary}`)).toEqual([]);
    // What reached the receivers is what the rules made: their alert names, their extra label.
    const events = (await readFile(join(result.runDir, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as HistoryEvent);
    const notified = events.flatMap((e) => (e.type === 'notification' && e.delivered ? e.alerts.map((a) => ({ receiver: e.receiver, labels: a.labels })) : []));
    expect(notified.length).toBeGreaterThan(0);
    expect(new Set(notified.map((a) => a.labels['alertname']))).toEqual(new Set(notified.map((a) => a.labels['alertname']).filter((n) => n === 'ServiceCritical' || n === 'ServiceDegraded')));
    expect(notified.filter((a) => a.labels['alertname'] === 'ServiceCritical').every((a) => a.labels['page'] === 'true')).toBe(true);
  });
});
