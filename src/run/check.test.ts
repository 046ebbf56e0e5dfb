import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';
import type { HistoryEvent } from '../history/types.js';
import { packageRoot } from '../util/paths.js';
import { SUITES } from '../../suites/index.js';
import { checkCommand } from './check.js';
import type { RunSummary } from '../summary/summary.js';

const A = { alertname: 'A' };

/**
 * A stored run as an older amchaos wrote it: a history with a healthy-time duplicate and a stale
 * firing, and a summary.json (schema 1) that called it a pass.
 */
async function storedRun(dir: string, suite = 'exactly-once'): Promise<void> {
  const events: HistoryEvent[] = historyBuilder()
    .start({ nodes: 3, scenario: `${suite}/0.25.0x3` })
    .ready(0)
    .fire(A, 1_000)
    .notify({ t: 2_100, sender: 'n1', firing: [A] })
    .notify({ t: 4_100, sender: 'n2', firing: [A] })
    .end(30_000)
    .build();
  await writeFile(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const summary = {
    schema: 1,
    runId: 'amc-old',
    verdict: 'pass',
    command: ['npx', 'amchaos', 'run', '--suite', suite],
    seed: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:30.000Z',
    durationMs: 30_000,
    machine: {},
    scenarios: [
      {
        id: `${suite}/0.25.0x3`,
        suite,
        versions: ['0.25.0', '0.25.0', '0.25.0'],
        runtime: 'process',
        clustered: true,
        seed: 1,
        verdict: 'pass',
        nodes: [],
        timers: {},
        checks: [{ name: 'exactly-once', verdict: 'pass', summary: 'old checker: pass', figures: {}, evidence: [], evidenceCount: 0 }],
        startedAt: '2026-01-01T00:00:00.000Z',
        durationMs: 30_000,
        historyRange: [0, events.length - 1],
        logs: {},
        figures: {},
      },
    ],
    files: { history: 'history.jsonl', logsDir: 'logs' },
  };
  await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'amchaos-check-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('amchaos check DIR: re-judge a stored run with the current checkers', () => {
  it('re-judges every scenario by its suite\'s checks, writes a fresh summary.json, keeps the old one, renders the report', async () => {
    const dir = join(root, 'old-pass');
    await (await import('node:fs/promises')).mkdir(dir);
    await storedRun(dir);
    const r = await checkCommand(dir, SUITES);
    expect(r.outcome).toBe('fail');
    expect(r.changes).toEqual(['exactly-once/0.25.0x3: pass → fail']);
    const fresh = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(fresh.schema).toBe(2);
    expect(fresh.outcome).toBe('fail');
    expect(fresh.rejudgedAt).toBeDefined();
    // The suite's checks as they are today, validity included.
    expect(fresh.scenarios[0]!.checks.map((c) => c.name)).toEqual([...SUITES['exactly-once']!.checks]);
    expect(fresh.scenarios[0]!.checks.find((c) => c.name === 'exactly-once')!.verdict).toBe('fail');
    const previous = JSON.parse(await readFile(join(dir, 'summary.previous.json'), 'utf8')) as RunSummary;
    expect(previous.verdict).toBe('pass');
    expect((await stat(join(dir, 'index.html'))).isFile()).toBe(true);
  });

  it('judges a scenario of a suite it does not know by the checks it recorded, and says so', async () => {
    const dir = join(root, 'user-suite');
    await (await import('node:fs/promises')).mkdir(dir);
    await storedRun(dir, 'my-own-suite');
    const r = await checkCommand(dir, SUITES);
    expect(r.summary.scenarios[0]!.checks.map((c) => c.name)).toEqual(['exactly-once']);
    expect(r.notes.join('\n')).toContain('suite "my-own-suite" is not built in');
    expect(r.outcome).toBe('fail');
  });

  it('exits like amchaos run (1 here), and 254 with a hint for a directory that is not a run', async () => {
    const dir = join(root, 'cli');
    await (await import('node:fs/promises')).mkdir(dir);
    await storedRun(dir);
    const bin = join(packageRoot(), 'bin', 'amchaos.js');
    const ok = spawnSync(process.execPath, [bin, 'check', dir], { encoding: 'utf8' });
    expect(ok.status).toBe(1);
    expect(ok.stdout).toContain('changed: exactly-once/0.25.0x3: pass → fail');
    const bad = spawnSync(process.execPath, [bin, 'check', join(root, 'nope')], { encoding: 'utf8' });
    expect(bad.status).toBe(254);
    expect(bad.stderr).toContain('summary.json is missing');
  });
});
