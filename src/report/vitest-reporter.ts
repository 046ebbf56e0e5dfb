import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Reporter, TestCase, TestModule, TestRunEndReason } from 'vitest/node';
import type { SerializedError } from 'vitest';
import { runOutcome, verdictOf } from '../checkers/outcome.js';
import type { HistoryEvent } from '../history/types.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';
import { safeJoin } from './load.js';
import { renderRunIndex, renderRunReport } from './render.js';

/**
 * A vitest reporter that writes the amchaos report for `vitest run suites/...`.
 *
 * The contract with the suites: a test that ran a scenario puts, before it ends (also when it
 * fails — use try/finally or onTestFinished),
 *
 *     task.meta.amchaos = { scenario, historyFile, runDir }
 *
 * (see AmchaosTaskMeta). At the end of the run the reporter gathers them into one run directory —
 * summary.json, history.jsonl (all scenarios, seqs renumbered), logs/ — and renders index.html,
 * junit.xml and the reports folder's index.html. A run without any such test writes nothing.
 *
 * Config: `reporters: ['default', ['./src/report/vitest-reporter.ts', { reportsDir: 'reports' }]]`.
 */

export interface AmchaosTaskMeta {
  /** The scenario's result, exactly as summary.json holds it (src/summary/summary.ts). */
  scenario: ScenarioSummary;
  /** Absolute path of the history.jsonl holding this scenario's events (seqs as in scenario.historyRange and evidence). */
  historyFile: string;
  /** Absolute directory that scenario.logs paths are relative to. */
  runDir: string;
}

declare module 'vitest' {
  interface TaskMeta {
    amchaos?: AmchaosTaskMeta;
  }
}

export interface AmchaosReporterOptions {
  /** The run directory to write. Default: the scenarios' runDir when they all share one, else `<reportsDir>/<runId>`. */
  outDir?: string;
  /** Default `<vitest root>/reports`. */
  reportsDir?: string;
  /** Default: generated (UTC time + random suffix). */
  runId?: string;
  /** The replay command. Default: this vitest invocation, prefixed with `env AMCHAOS_SEED=<seed>`. */
  command?: string[];
}

interface Collected {
  meta: AmchaosTaskMeta;
  test: TestCase;
}

export default class AmchaosReporter implements Reporter {
  private root = process.cwd();
  private startedAt = new Date();
  private log: (msg: string) => void = (m) => process.stderr.write(m + '\n');

  constructor(private readonly options: AmchaosReporterOptions = {}) {}

  onInit(vitest: { config: { root: string }; logger: { log: (...a: unknown[]) => void } }): void {
    this.root = vitest.config.root;
    this.startedAt = new Date();
    this.log = (m) => vitest.logger.log(m);
  }

  async onTestRunEnd(testModules: ReadonlyArray<TestModule>, _unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): Promise<void> {
    const collected: Collected[] = [];
    const broken: ScenarioSummary[] = [];
    for (const mod of testModules) {
      const tests = [...mod.children.allTests()];
      const withMeta = tests.filter((t) => t.meta().amchaos !== undefined);
      for (const t of withMeta) collected.push({ meta: t.meta().amchaos as AmchaosTaskMeta, test: t });
      // A scenario test that failed before it could attach its result still belongs in the report.
      if (withMeta.length > 0)
        for (const t of tests) if (t.meta().amchaos === undefined && t.result().state === 'failed') broken.push(brokenScenario(mod, t));
    }
    if (collected.length === 0 && broken.length === 0) return;
    try {
      const runDir = await this.writeRun(collected, broken, reason);
      this.log(`amchaos report: ${join(runDir, 'index.html')}`);
    } catch (e) {
      // A reporter must not turn a finished test run into a crash; say what went wrong instead.
      this.log(`amchaos report: could not write the report: ${(e as Error).stack ?? String(e)}`);
    }
  }

  /** Builds the run directory from the collected scenarios; returns its path. */
  async writeRun(collected: Collected[], broken: ScenarioSummary[], reason: TestRunEndReason): Promise<string> {
    const reportsDir = resolve(this.root, this.options.reportsDir ?? 'reports');
    const dirs = [...new Set(collected.map((c) => resolve(c.meta.runDir)))];
    const runId = this.options.runId ?? (this.options.outDir ? basename(this.options.outDir) : dirs.length === 1 && dirs[0] ? basename(dirs[0]) : newRunId(this.startedAt));
    const outDir = resolve(this.root, this.options.outDir ?? (dirs.length === 1 && dirs[0] ? dirs[0] : join(reportsDir, runId)));
    await mkdir(outDir, { recursive: true });

    // One history for the run: each distinct file appended once, seqs shifted to stay unique.
    const merged: string[] = [];
    let next = 0;
    const offsets = new Map<string, number>();
    const target = join(outDir, 'history.jsonl');
    const files = [...new Set(collected.map((c) => resolve(c.meta.historyFile)))];
    const inPlace = files.length === 1 && files[0] === target;
    for (const file of files) {
      const events = parseJsonl(await readFile(file, 'utf8').catch(() => ''));
      const minSeq = events.reduce((m, e) => Math.min(m, e.seq), Number.POSITIVE_INFINITY);
      const offset = events.length === 0 ? next : next - minSeq;
      offsets.set(file, offset);
      for (const e of events) merged.push(JSON.stringify(offset === 0 ? e : { ...e, seq: e.seq + offset }));
      next += events.length;
    }
    if (!inPlace) await writeFile(target, merged.length ? merged.join('\n') + '\n' : '');

    const scenarios: ScenarioSummary[] = [];
    const usedIds = new Set<string>();
    for (const { meta } of collected) {
      const offset = offsets.get(resolve(meta.historyFile)) ?? 0;
      const s = shift(structuredClone(meta.scenario), offset);
      s.logs = await this.copyLogs(s, resolve(meta.runDir), outDir);
      let id = s.id;
      for (let k = 2; usedIds.has(id); k++) id = `${s.id} (${k})`;
      usedIds.add(id);
      scenarios.push({ ...s, id });
    }
    scenarios.push(...broken);

    const seeds = [...new Set(scenarios.filter((s) => typeof s.seed === 'number').map((s) => s.seed))];
    const envSeed = Number(process.env['AMCHAOS_SEED']);
    const seed = Number.isFinite(envSeed) && process.env['AMCHAOS_SEED'] !== undefined ? envSeed : (seeds[0] ?? 0);
    // One rule for every consumer (src/checkers/outcome.ts): an expected failure keeps the run green
    // (skipped in JUnit), an unknown never does, an interrupted run never passes.
    const interrupted = reason === 'interrupted';
    const outcome = runOutcome(scenarios, { interrupted });
    const finishedAt = new Date();
    const summary: RunSummary = {
      schema: 2,
      runId,
      outcome,
      verdict: verdictOf(outcome),
      ...(interrupted ? { interrupted } : {}),
      command: this.options.command ?? replayCommand(seed),
      seed,
      startedAt: this.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - this.startedAt.getTime(),
      machine: { hostname: hostname(), platform: process.platform, arch: process.arch, cpus: cpus().length, memoryBytes: totalmem(), node: process.version, kernel: release() },
      scenarios,
      files: { history: 'history.jsonl', junit: 'junit.xml', html: 'index.html', logsDir: 'logs' },
    };
    await writeFile(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    await renderRunReport(outDir);
    if (dirname(outDir) === reportsDir) await renderRunIndex(reportsDir);
    return outDir;
  }

  /** Logs already inside the run dir stay; others are copied to logs/<scenario>/<file>. */
  private async copyLogs(s: ScenarioSummary, fromDir: string, outDir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [node, rel] of Object.entries(s.logs ?? {})) {
      const src = safeJoin(fromDir, rel) ?? (typeof rel === 'string' && rel.startsWith('/') ? rel : undefined);
      if (!src) continue;
      if (fromDir === outDir && safeJoin(outDir, rel)) {
        out[node] = rel;
        continue;
      }
      const dest = join('logs', s.id.replace(/[^\w.+-]+/g, '_'), basename(src));
      try {
        await mkdir(join(outDir, dirname(dest)), { recursive: true });
        await copyFile(src, join(outDir, dest));
        out[node] = dest;
      } catch {
        // A missing log is shown as missing in the report; the path is kept so the reader sees which.
        out[node] = relative(outDir, src);
      }
    }
    return out;
  }
}

function parseJsonl(text: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as HistoryEvent;
      if (typeof e.seq === 'number') out.push(e);
    } catch {
      // A truncated last line of a crashed scenario; the report warns about gaps it finds.
    }
  }
  return out;
}

/** Moves every seq reference of a scenario by `offset` (history range and evidence events). */
function shift(s: ScenarioSummary, offset: number): ScenarioSummary {
  if (offset === 0) return s;
  if (Array.isArray(s.historyRange)) s.historyRange = [s.historyRange[0] + offset, s.historyRange[1] + offset];
  for (const c of s.checks ?? []) for (const e of c.evidence ?? []) e.events = (e.events ?? []).map((q) => q + offset);
  return s;
}

function brokenScenario(mod: TestModule, t: TestCase): ScenarioSummary {
  const err = t.result().errors?.[0] as (SerializedError & { code?: unknown }) | undefined;
  const code = typeof err?.code === 'string' && err.code.startsWith('AMCHAOS_') ? err.code : 'VITEST_TEST_FAILED';
  return {
    id: `${mod.relativeModuleId} > ${t.fullName}`,
    suite: basename(mod.relativeModuleId).replace(/\.test\.[cm]?[jt]s$/, ''),
    versions: [],
    runtime: 'unknown',
    clustered: false,
    seed: 0,
    outcome: 'unknown',
    verdict: 'unknown',
    nodes: [],
    timers: {} as ScenarioSummary['timers'],
    checks: [],
    startedAt: new Date().toISOString(),
    durationMs: t.diagnostic()?.duration ?? 0,
    historyRange: [0, -1],
    logs: {},
    figures: {},
    error: {
      code,
      message: err?.message ?? 'the test failed before it attached its scenario result (task.meta.amchaos)',
      hint: 'see the test output above; the suite must set task.meta.amchaos in a finally block so partial results reach the report',
    },
  };
}

function newRunId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/** This vitest invocation, with the seed pinned through AMCHAOS_SEED (the suites must honour it). */
function replayCommand(seed: number): string[] {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--reporter'));
  if (args[0] !== 'run') args.unshift('run');
  return ['env', `AMCHAOS_SEED=${seed}`, 'npx', 'vitest', ...args];
}
