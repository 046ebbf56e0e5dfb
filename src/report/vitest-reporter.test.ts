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
 * The reporter inside a real `vitest run`: a throw-away project whose tests attach fixture
 * scenarios through task.meta.amchaos, exactly as the suites will.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const REPORTER = join(HERE, 'vitest-reporter.ts');
const FIXTURES = join(REPO, 'test', 'support', 'report', 'fixture-run.ts');

let project: string;

function suiteFile(kind: string, at: string, withBrokenTest: boolean): string {
  return `import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { writeFixtureRun } from ${JSON.stringify(FIXTURES)};

// Each file stands for a suite that ran its scenarios into its own run dir.
const runDir = await writeFixtureRun(join(import.meta.dirname, 'suite-runs'), ${JSON.stringify(kind)}, { startedAt: ${JSON.stringify(at)} });
const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));

describe(${JSON.stringify(kind)}, () => {
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
    await writeFile(join(project, 'a.test.ts'), suiteFile('no-cluster', '2026-02-01T09:00:00.000Z', true));
    await writeFile(join(project, 'b.test.ts'), suiteFile('partition', '2026-02-01T09:30:00.000Z', false));
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
    expect(ids).toEqual(
      expect.arrayContaining(['control/0.28.1x3-no-cluster', 'exactly-once/0.25.0+0.28.1+0.33.1', 'exactly-once/tsamx3', 'partition/0.33.1x3', 'latency/0.28.1x3']),
    );
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
    for (const s of summary.scenarios.filter((x) => !x.error)) {
      const first = bySeq.get(s.historyRange[0]);
      expect(first?.type).toBe('scenario.start');
      expect((first as { scenario: string }).scenario).toBe(s.id);
      for (const c of s.checks) for (const ev of c.evidence) for (const q of ev.events) expect(bySeq.get(q)?.type).toBe('notification');
    }
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
