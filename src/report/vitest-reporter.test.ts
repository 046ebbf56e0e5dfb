import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../history/types.js';
import type { RunSummary } from '../summary/summary.js';

/**
 * The reporter inside a real `vitest run`: a throw-away project whose tests attach the scenarios of
 * recorded real runs (fixtures/histories/) through task.meta.amchaos, exactly as the suites do.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const REPORTER = join(HERE, 'vitest-reporter.ts');
const RECORDED = join(REPO, 'test', 'support', 'report', 'recorded.ts');

let project: string;

function suiteFile(recorded: string, withBrokenTest: boolean): string {
  return `import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { unpackRecordedRun } from ${JSON.stringify(RECORDED)};

// Each file stands for a suite that ran its scenarios into its own run dir.
const runDir = await unpackRecordedRun(${JSON.stringify(recorded)}, join(import.meta.dirname, 'suite-runs'));
const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));

describe(${JSON.stringify(recorded)}, () => {
  for (const scenario of summary.scenarios) {
    it(scenario.id, ({ task }) => {
      task.meta.amchaos = { scenario, historyFile: join(runDir, 'history.jsonl'), runDir };
    });
  }
  ${withBrokenTest ? `it('a scenario that crashed before it attached its result', () => { throw Object.assign(new Error('cluster never became ready'), { code: 'AMCHAOS_CLUSTER_NOT_READY' }); });` : ''}
});
`;
}

function runVitest(cwd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(REPO, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', cwd, '--reporter=default', `--reporter=${REPORTER}`], {
      cwd,
      env: { ...process.env, ...env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}

describe('vitest reporter', () => {
  let result: { code: number | null; out: string };
  let runDir: string;
  let summary: RunSummary;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'amchaos-vitest-'));
    await symlink(join(REPO, 'node_modules'), join(project, 'node_modules'), 'dir');
    // A pass beside a fail (and a test that crashed), a partition, and a run stopped by Ctrl-C whose
    // passing scenario has the same id as the first file's.
    await writeFile(join(project, 'a.test.ts'), suiteFile('mixed', true));
    await writeFile(join(project, 'b.test.ts'), suiteFile('partition', false));
    await writeFile(join(project, 'c.test.ts'), suiteFile('interrupted', false));
    await writeFile(join(project, 'unit.test.ts'), `import { it, expect } from 'vitest';\nit('plain unit test, not a scenario', () => expect(1).toBe(1));\n`);
    result = await runVitest(project, { AMCHAOS_SEED: '7' });
    const reports = join(project, 'reports');
    const dirs = existsSync(reports) ? (await readdir(reports, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name) : [];
    if (dirs.length !== 1) throw new Error(`expected one run dir in ${reports}, found ${JSON.stringify(dirs)}; vitest said:\n${result.out}`);
    runDir = join(reports, dirs[0]!);
    summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  }, 180_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('writes one run dir with every scenario, the crashed test as an unknown scenario, and no unit tests', () => {
    expect(result.code).toBe(1); // the crashed test fails the vitest run
    expect(result.out).toContain(`amchaos report: ${join(runDir, 'index.html')}`);
    const ids = summary.scenarios.map((s) => s.id);
    expect([...ids].sort()).toEqual(
      [
        'a.test.ts > mixed > a scenario that crashed before it attached its result',
        'exactly-once/0.33.1x3',
        'exactly-once/0.33.1x3 (2)',
        'exactly-once/tsam:no-dedupx3',
        'exactly-once/tsamx3',
        'split-brain/0.33.1x3',
      ].sort(),
    );
    // The recorded verdicts are kept as they were.
    expect(Object.fromEntries(summary.scenarios.map((s) => [s.id, s.outcome]))).toMatchObject({
      'exactly-once/tsam:no-dedupx3': 'fail',
      'split-brain/0.33.1x3': 'pass',
      'exactly-once/tsamx3': 'unknown',
    });
    const broken = summary.scenarios.find((s) => s.id.includes('crashed before it attached'))!;
    expect(broken).toMatchObject({ verdict: 'unknown', error: { code: 'AMCHAOS_CLUSTER_NOT_READY', message: 'cluster never became ready' } });
    expect(ids.some((id) => id.includes('plain unit test'))).toBe(false);
    expect(summary.verdict).toBe('fail');
    expect(summary.seed).toBe(7);
    expect(summary.command.slice(0, 5)).toEqual(['env', 'AMCHAOS_SEED=7', 'npx', 'vitest', 'run']);
  });

  it('merges the histories with unique seqs and keeps every evidence seq pointing at its event', async () => {
    const events = (await readFile(join(runDir, 'history.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as HistoryEvent);
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    expect(bySeq.size).toBe(events.length);
    let evidenceSeqs = 0;
    for (const s of summary.scenarios.filter((x) => x.historyRange[1] >= x.historyRange[0])) {
      // Its range holds its own scenario.start (a real history opens the range with phase "start").
      const starts = events.filter((e) => e.seq >= s.historyRange[0] && e.seq <= s.historyRange[1] && e.type === 'scenario.start');
      expect(starts.map((e) => (e as { scenario: string }).scenario)).toEqual([s.id.replace(/ \(\d+\)$/, '')]);
      for (const c of s.checks)
        for (const ev of c.evidence)
          for (const q of ev.events) {
            // Every evidence seq still names an event of its own scenario; the duplicate and
            // partition evidence names notifications.
            expect(q).toBeGreaterThanOrEqual(s.historyRange[0]);
            expect(q).toBeLessThanOrEqual(s.historyRange[1]);
            if (['exactly-once', 'at-most-k'].includes(c.name)) expect(bySeq.get(q)?.type).toBe('notification');
            evidenceSeqs++;
          }
    }
    // tsam:no-dedup's 8 duplicate transitions (36 notifications) and split-brain's partition copies.
    expect(evidenceSeqs).toBeGreaterThanOrEqual(36 + 8);
  });

  it('copies node logs into the run dir and renders index.html, junit.xml and the reports index', async () => {
    for (const s of summary.scenarios) for (const rel of Object.values(s.logs)) expect(existsSync(join(runDir, rel)), rel).toBe(true);
    const html = await readFile(join(runDir, 'index.html'), 'utf8');
    expect(html).toContain('id="verdict">FAIL<');
    expect(html).toContain('cluster never became ready');
    const junit = await readFile(join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toContain('type="AMCHAOS_CLUSTER_NOT_READY"');
    expect(existsSync(join(project, 'reports', 'index.html'))).toBe(true);
  });
});

describe('vitest reporter without scenarios', () => {
  it('writes nothing for a run of plain unit tests', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'amchaos-vitest-plain-'));
    try {
      await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'src', 'x.test.ts'), `import { it, expect } from 'vitest';\nit('x', () => expect(2).toBe(2));\n`);
      const r = await runVitest(dir, {});
      expect(r.code, r.out).toBe(0);
      expect(existsSync(join(dir, 'reports'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
