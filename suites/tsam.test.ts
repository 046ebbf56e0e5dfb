import { describe, expect, it } from 'vitest';
import type { RunResult } from '../src/run/run.js';
import { isRoot } from '../src/util/fs.js';
import { attachToReport, clusterCases, runForTest } from '../test/support/suites/clusters.js';
import { expectHonestPass } from '../test/support/suites/faults.js';

/**
 * tsam, the TypeScript Alertmanager, in the same suites as the real binaries: a tsam cluster, tsam
 * mixed with real 0.25.0, 0.28.1 and 0.33.1 nodes (with tsam and with a real node in position 0),
 * and every `--tsam.fault` switch making the suite it breaks fail with the right evidence.
 */

const tsamBuilt = (await clusterCases([['tsam']]))[0]!.skip;

async function expectPass(name: string, task: Parameters<typeof attachToReport>[0], suite: string, versions: string[], runtime: 'process' | 'netns' = 'process'): Promise<RunResult> {
  const result = await runForTest(name, { suite, clusters: [versions], runtime });
  attachToReport(task, result);
  const s = result.summary.scenarios[0]!;
  expect(s.error, 'scenario error').toBeUndefined();
  expect(s.checks.filter((c) => c.verdict !== 'pass').map((c) => `${c.name}: ${c.summary}`)).toEqual([]);
  return result;
}

// Position 0 is the smallest peer name. Builds before 0.30 have no --cluster.peer-name and name
// themselves with a ULID, which sorts before the harness's "n01".."n09": so the real 0.25.0 and
// 0.28.1 nodes hold position 0 in the first two clusters, and tsam (n01) in the third.
const mixed: Array<{ versions: string[]; first: string; why: string }> = [
  { versions: ['0.25.0', 'tsam', '0.33.1'], first: 'n1', why: 'real 0.25.0 first' },
  { versions: ['tsam', 'tsam', '0.28.1'], first: 'n3', why: 'real 0.28.1 first' },
  { versions: ['tsam', '0.33.1', '0.33.1'], first: 'n1', why: 'tsam first' },
];
const mixedCases = await clusterCases(mixed.map((m) => m.versions));
const restartCase = mixedCases[2]!;

const faults: Array<{ fault: string; suite: string; check: string }> = [
  { fault: 'no-dedup', suite: 'exactly-once', check: 'exactly-once' },
  { fault: 'no-wait', suite: 'exactly-once', check: 'exactly-once' },
  { fault: 'no-nflog-gossip', suite: 'exactly-once', check: 'exactly-once' },
  { fault: 'no-silence-gossip', suite: 'silences', check: 'silence-propagation' },
];

// Concurrent: every test is its own cluster on its own ports and mostly waits on timers;
// vitest's maxConcurrency (vitest.config.ts) bounds how many run at once.
describe.concurrent('tsam', () => {
  describe.skipIf(tsamBuilt !== undefined)(`tsam in the harness${tsamBuilt ? ` — skipped: ${tsamBuilt}` : ''}`, () => {
    it('a 3-node tsam cluster delivers exactly once', { timeout: 120_000 }, async ({ task }) => {
      await expectPass('tsam-exactly-once', task, 'exactly-once', ['tsam', 'tsam', 'tsam']);
    });

    it('a 3-node tsam cluster keeps silences in sync', { timeout: 120_000 }, async ({ task }) => {
      await expectPass('tsam-silences', task, 'silences', ['tsam', 'tsam', 'tsam']);
    });

    it.skipIf(!isRoot())(`a 3-node tsam cluster on the netns runtime (every link proxied) delivers exactly once${isRoot() ? '' : ' — skipped: needs root'}`, { timeout: 120_000 }, async ({ task }) => {
      const r = await expectPass('tsam-exactly-once-netns', task, 'exactly-once', ['tsam', 'tsam', 'tsam'], 'netns');
      const traffic = r.summary.scenarios[0]!.figures['linkTraffic'] as Record<string, { udpBytes: number }>;
      for (const link of ['n1->n2', 'n2->n3', 'n3->n1']) expect(traffic[link]!.udpBytes, link).toBeGreaterThan(0);
    });
  });

  describe('mixed clusters of tsam and real Alertmanagers', () => {
    for (const [i, m] of mixed.entries()) {
      const skip = mixedCases[i]!.skip;
      it.skipIf(skip !== undefined)(`${m.versions.join('+')} (${m.why}): identical alerts to all nodes give exactly one notification, from position 0${skip ? ` — skipped: ${skip}` : ''}`, { timeout: 120_000 }, async ({ task }) => {
        const r = await expectPass(`tsam-mixed-${m.versions.join('+')}`, task, 'exactly-once', m.versions);
        const from = await deliveredSenders(r);
        expect([...from]).toEqual([m.first]);
      });
    }

    const silenceCase = mixedCases[0]!;
    it.skipIf(silenceCase.skip !== undefined)(`0.25.0+tsam+0.33.1: silences made on a real node and on tsam reach every node${silenceCase.skip ? ` — skipped: ${silenceCase.skip}` : ''}`, { timeout: 120_000 }, async ({ task }) => {
      // The suite makes its silences round robin from n1 (real 0.25.0) and n2 (tsam) and expires
      // each on the next node: both directions, creation and expiry.
      const r = await expectPass('tsam-mixed-silences', task, 'silences', mixed[0]!.versions);
      const made = await silenceNodes(r);
      expect(made).toEqual(expect.arrayContaining(['n1', 'n2']));
    });
  });

  describe('tsam restarted in a mixed cluster', () => {
    it.skipIf(restartCase.skip !== undefined)(`tsam+0.33.1+0.33.1: after SIGKILL and restart (storage kept) tsam rejoins and nothing is re-notified${restartCase.skip ? ` — skipped: ${restartCase.skip}` : ''}`, { timeout: 180_000 }, async ({ task }) => {
      const r = await runForTest('tsam-restart', { suite: 'restart', clusters: [mixed[2]!.versions] });
      attachToReport(task, r);
      const s = r.summary.scenarios[0]!;
      expect(s.error).toBeUndefined();
      // Every check decides: nothing lost. validity and exactly-once may fail only as expected: a stale
      // state or a copy between the restarted node and a peer whose group timers it put out of phase
      // (upstream #3551, decided on the flush times: restarted-timer-phase; measured once in a fresh
      // clone's npm test: tsam, position 0, flushed 70 ms after 0.33.1's send and sent again).
      expectHonestPass(s, ['validity', 'exactly-once']);
      expect(s.checks.map((c) => c.name)).toEqual(['no-loss', 'exactly-once', 'validity']);
      const phases = s.figures['restartPhases'] as Array<{ fault: string; renotifications: number; backInMs: number | null }>;
      const killKept = phases[0]!;
      expect(killKept.fault).toMatch(/kill .*storage kept/);
      expect(killKept.backInMs, 'tsam rejoined').not.toBeNull();
      expect(killKept.renotifications, 'notifications re-sent after the restart').toBe(0);
    });
  });

  describe.skipIf(tsamBuilt !== undefined)(`tsam broken on purpose: each --tsam.fault makes its suite fail${tsamBuilt ? ` — skipped: ${tsamBuilt}` : ''}`, () => {
    for (const f of faults) {
      it(`tsam:${f.fault} fails ${f.suite} on ${f.check}, with evidence`, { timeout: 120_000 }, async () => {
        const v = `tsam:${f.fault}`;
        const r = await runForTest(`tsam-fault-${f.fault}`, { suite: f.suite, clusters: [[v, v, v]] });
        const s = r.summary.scenarios[0]!;
        expect(s.error).toBeUndefined();
        const c = s.checks.find((k) => k.name === f.check)!;
        expect(c.verdict, c.summary).toBe('fail');
        expect(c.evidence.length).toBeGreaterThan(0);
        if (f.check === 'exactly-once') expect(Number(c.figures['duplicates'])).toBeGreaterThan(0);
      });
    }
  });
});

async function deliveredSenders(r: RunResult): Promise<Set<string>> {
  const { readHistoryFile } = await import('../src/history/history.js');
  const { join } = await import('node:path');
  const events = await readHistoryFile(join(r.runDir, 'history.jsonl'));
  return new Set(events.flatMap((e) => (e.type === 'notification' && e.delivered && e.sender ? [e.sender] : [])));
}

async function silenceNodes(r: RunResult): Promise<string[]> {
  const { readHistoryFile } = await import('../src/history/history.js');
  const { join } = await import('node:path');
  const events = await readHistoryFile(join(r.runDir, 'history.jsonl'));
  return [...new Set(events.flatMap((e) => (e.type === 'op.complete' && e.kind === 'silence.create' && e.ok ? [e.node] : [])))].sort();
}

