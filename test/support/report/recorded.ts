import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runOutcome, verdictOf } from '../../../src/checkers/outcome.js';
import type { HistoryEvent } from '../../../src/history/types.js';
import type { RunSummary, ScenarioSummary } from '../../../src/summary/summary.js';
import { filesUnder } from '../../../src/util/fs.js';
import { packageRoot } from '../../../src/util/paths.js';

/**
 * Run directories of REAL runs for the report tests (fixtures/histories/, recorded by
 * scripts/record-histories.mjs: real clusters run by the CLI, judged by the real checkers):
 *
 * | name | what it is |
 * |---|---|
 * | `pass` | exactly-once on 0.25.0 ×3 and 0.33.1 ×3 (both log formats): every check passes |
 * | `no-cluster` | the exactly-once control, 0.33.1 ×3 without peering: fails with 16 duplicates |
 * | `mixed` | exactly-once on 0.33.1 ×3 and tsam:no-dedup ×3: a pass beside a fail |
 * | `partition` | split-brain on the netns runtime, 0.33.1 ×3: a partition, at-most-k, convergence |
 * | `latency-sweep` | latency-sweep on netns, 0.25.0 ×3: the sweep figures the report charts |
 * | `expected` | receiver-outage, 0.33.1 ×3: receiver faults (503, then down) and an expected failure (validity) |
 * | `markup` | the exactly-once control on 0.25.0 ×3 and 0.33.1 ×3 with debug logs, labels holding markup, quotes, newlines, control characters and non-ASCII text: duplicates with log lines in both formats |
 * | `interrupted` | exactly-once on 0.33.1 and tsam, Ctrl-C during the second: an unknown scenario |
 * | `restart` | restart, 0.33.1 ×3: n1 killed and restarted twice, then paused and resumed (node lifecycle marks) |
 * | `restart-stale` | restart, 0.25.0 ×3, from a fresh clone's `npm test`: n1's stale firings after its restarts, an expected failure (validity, upstream #3551) |
 */
export type RecordedRun = 'pass' | 'no-cluster' | 'mixed' | 'partition' | 'latency-sweep' | 'expected' | 'markup' | 'interrupted' | 'restart' | 'restart-stale';

async function setStartedAt(dir: string, startedAt: string | undefined): Promise<void> {
  if (!startedAt) return;
  const file = join(dir, 'summary.json');
  const s = JSON.parse(await readFile(file, 'utf8')) as { startedAt: string };
  s.startedAt = startedAt;
  await writeFile(file, JSON.stringify(s, null, 2) + '\n');
}

/**
 * Unpacks a recorded run into `<parent>/<dirName ?? name>` (history and logs un-gzipped), with
 * `startedAt` moved if asked (the runs index orders by it). Returns the run directory.
 */
export async function unpackRecordedRun(name: RecordedRun, parent: string, opts: { dirName?: string; startedAt?: string } = {}): Promise<string> {
  const from = join(packageRoot(), 'fixtures', 'histories', name);
  if (!(await stat(from).then((s) => s.isDirectory(), () => false))) throw new Error(`no recorded run ${name}: run node scripts/record-histories.mjs ${name}`);
  const dir = join(parent, opts.dirName ?? name);
  for (const f of await filesUnder(from)) {
    const rel = relative(from, f);
    const target = join(dir, rel.replace(/\.gz$/, ''));
    await mkdir(join(target, '..'), { recursive: true });
    const data = await readFile(f);
    await writeFile(target, rel.endsWith('.gz') ? gunzipSync(data) : data);
  }
  await setStartedAt(dir, opts.startedAt);
  return dir;
}

/**
 * Several recorded runs as ONE run directory, the way the vitest reporter (or `amchaos report
 * merge`) gathers scenarios from several runs: every scenario of every run in order, one history
 * with each run's seqs shifted past the previous run's (history ranges and evidence shifted with
 * them), each run's logs under `logs/<name>/`, a repeated scenario id suffixed " (2)", and the
 * run's outcome by the one rule (interrupted if any run was). Nothing is re-judged or invented:
 * every check result is the recorded one. Not rendered; returns the run directory.
 */
export async function unpackMergedRuns(names: RecordedRun[], parent: string, opts: { dirName: string; startedAt?: string }): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'amchaos-merged-'));
  const dir = join(parent, opts.dirName);
  try {
    const history: string[] = [];
    const scenarios: ScenarioSummary[] = [];
    const ids = new Set<string>();
    const parts: RunSummary[] = [];
    let next = 0;
    for (const name of names) {
      const part = await unpackRecordedRun(name, work);
      const summary = JSON.parse(await readFile(join(part, 'summary.json'), 'utf8')) as RunSummary;
      parts.push(summary);
      const events = (await readFile(join(part, 'history.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as HistoryEvent);
      const offset = next - Math.min(...events.map((e) => e.seq));
      for (const e of events) history.push(JSON.stringify({ ...e, seq: e.seq + offset }));
      next += events.length;
      for (const f of await filesUnder(join(part, 'logs'))) {
        const target = join(dir, 'logs', name, relative(join(part, 'logs'), f));
        await mkdir(join(target, '..'), { recursive: true });
        await writeFile(target, await readFile(f));
      }
      for (const s of summary.scenarios) {
        s.historyRange = [s.historyRange[0] + offset, s.historyRange[1] + offset];
        for (const c of s.checks) for (const ev of c.evidence) ev.events = ev.events.map((q) => q + offset);
        s.logs = Object.fromEntries(Object.entries(s.logs).map(([node, rel]) => [node, rel.replace(/^logs\//, `logs/${name}/`)]));
        let id = s.id;
        for (let k = 2; ids.has(id); k++) id = `${s.id} (${k})`;
        ids.add(id);
        scenarios.push({ ...s, id });
      }
    }
    const interrupted = parts.some((p) => p.interrupted === true);
    const outcome = runOutcome(scenarios, { interrupted });
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    const summary: RunSummary = {
      ...first,
      runId: opts.dirName,
      outcome,
      verdict: verdictOf(outcome),
      ...(interrupted ? { interrupted } : {}),
      finishedAt: last.finishedAt,
      durationMs: parts.reduce((sum, p) => sum + p.durationMs, 0),
      scenarios,
    };
    if (!interrupted) delete summary.interrupted;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'history.jsonl'), history.join('\n') + '\n');
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    await setStartedAt(dir, opts.startedAt);
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
