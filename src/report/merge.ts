import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { runOutcome, verdictOf } from '../checkers/outcome.js';
import { ALL_FAILURE_MODES } from '../claims/modes.js';
import { AmchaosError } from '../errors/index.js';
import type { CatalogueCell, CatalogueSummary, RunSummary, ScenarioSummary } from '../summary/summary.js';
import { readSummary, safeJoin } from './load.js';
import { renderRunReport } from './render.js';

/**
 * `amchaos report merge DIR... --out OUT`: run directories (CI shards, the catalogue's scenario runs) made
 * into one: one summary.json (every scenario, the run's outcome by the one rule), one history.jsonl
 * (each input's events with seqs shifted past the previous input's, history ranges and evidence
 * shifted with them), the node logs, the catalogue's matrix cells of every input — then one report
 * and one junit.xml, rendered from it like any run.
 */

/** Moves every seq reference of a scenario by `offset`: its history range, its checks' and its claim's evidence. */
export function shiftScenario(s: ScenarioSummary, offset: number): ScenarioSummary {
  if (offset === 0) return s;
  if (Array.isArray(s.historyRange)) s.historyRange = [s.historyRange[0] + offset, s.historyRange[1] + offset];
  for (const c of s.checks ?? []) for (const e of c.evidence ?? []) e.events = (e.events ?? []).map((q) => q + offset);
  for (const d of s.claim ? [s.claim.fault, s.claim.control] : []) for (const e of d.evidence ?? []) e.events = (e.events ?? []).map((q) => q + offset);
  return s;
}

export interface MergeOptions {
  runId?: string;
  /** The command recorded as the merged run's (default: `amchaos report merge OUT DIR...`). */
  command?: string[];
  /** Matrix cells to add to the inputs' (the catalogue's, whose scenario runs carry none). */
  catalogue?: CatalogueSummary;
  /** Recorded with the result: `--shard i/n` of the run. */
  shard?: string;
  log?: (line: string) => void;
}

export interface MergeResult {
  outDir: string;
  summary: RunSummary;
}

/** Copies each input's history into `out` line by line with seqs shifted; returns each input's offset. */
async function mergeHistories(inputs: { dir: string; summary: RunSummary }[], target: string): Promise<number[]> {
  const out = createWriteStream(target);
  const offsets: number[] = [];
  let next = 0;
  for (const { dir, summary } of inputs) {
    const file = safeJoin(dir, summary.files?.history ?? 'history.jsonl');
    let min = Number.POSITIVE_INFINITY;
    let count = 0;
    if (file && (await stat(file).then((s) => s.isFile(), () => false))) {
      // First pass for the smallest seq (a history need not start at 0), second to write.
      const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of rl) {
        const m = /"seq":(\d+)/.exec(line);
        if (m) min = Math.min(min, Number(m[1]));
      }
      const offset = Number.isFinite(min) ? next - min : next;
      const rl2 = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of rl2) {
        if (line.trim() === '') continue;
        let e: { seq?: unknown };
        try {
          e = JSON.parse(line) as { seq?: unknown };
        } catch {
          continue; // a truncated last line of a crashed run: the report warns about gaps it finds
        }
        if (typeof e.seq !== 'number') continue;
        e.seq += offset;
        count++;
        if (!out.write(JSON.stringify(e) + '\n')) await once(out, 'drain');
      }
      offsets.push(offset);
      next += count;
    } else {
      offsets.push(next);
    }
  }
  out.end();
  await once(out, 'finish');
  return offsets;
}

/** Cells of every input, one per (mode, version): a decided cell wins over an unknown one. */
export function mergeCatalogues(parts: readonly (CatalogueSummary | undefined)[]): CatalogueSummary | undefined {
  const present = parts.filter((p): p is CatalogueSummary => p !== undefined);
  if (present.length === 0) return undefined;
  const versions: string[] = [];
  for (const p of present) for (const v of p.versions) if (!versions.includes(v)) versions.push(v);
  const cells = new Map<string, CatalogueCell>();
  for (const p of present) {
    for (const c of p.cells) {
      const key = `${c.mode}\u0000${c.version}`;
      const had = cells.get(key);
      if (!had || (had.result === 'unknown' && c.result !== 'unknown') || (!had.scenario && c.scenario)) cells.set(key, c);
    }
  }
  const modeIds = new Set([...cells.values()].map((c) => c.mode));
  const known = new Map(ALL_FAILURE_MODES.map((m) => [m.id, m]));
  const modes = [...new Map(present.flatMap((p) => p.modes).map((m) => [m.id, m])).values()].filter((m) => modeIds.has(m.id));
  modes.sort((a, b) => (known.get(a.id)?.rows[0] ?? a.rows[0] ?? 99) - (known.get(b.id)?.rows[0] ?? b.rows[0] ?? 99) || a.id.localeCompare(b.id));
  return { versions, modes, cells: [...cells.values()] };
}

export async function mergeRunDirs(dirs: readonly string[], outDir: string, o: MergeOptions = {}): Promise<MergeResult> {
  if (dirs.length === 0 && !o.catalogue) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'report merge needs at least one run directory to merge', {
      hint: 'amchaos report merge reports/all shard-1/ shard-2/ ... (each a run directory with summary.json)',
    });
  }
  const out = resolve(outDir);
  const inputs: { dir: string; summary: RunSummary }[] = [];
  for (const d of dirs) {
    const dir = resolve(d);
    if (dir === out) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `report merge: ${d} is also the output directory`, { hint: 'Merge into a new directory, e.g. reports/merged.' });
    }
    inputs.push({ dir, summary: await readSummary(dir) });
  }
  await mkdir(out, { recursive: true });
  const offsets = await mergeHistories(inputs, join(out, 'history.jsonl'));

  const scenarios: ScenarioSummary[] = [];
  const used = new Set<string>();
  const renamed = new Map<string, string>();
  for (const [i, { dir, summary }] of inputs.entries()) {
    for (const s0 of summary.scenarios) {
      const s = shiftScenario(structuredClone(s0), offsets[i]!);
      let id = s.id;
      for (let k = 2; used.has(id); k++) id = `${s.id} (${k})`;
      used.add(id);
      if (id !== s.id) renamed.set(`${i}\u0000${s.id}`, id);
      s.logs = await relocateLogs(s, dir, out, id);
      scenarios.push({ ...s, id });
    }
  }
  const merged = mergeCatalogues([
    ...inputs.map(({ summary }, i) =>
      summary.catalogue ? { ...summary.catalogue, cells: summary.catalogue.cells.map((c) => (c.scenario && renamed.has(`${i}\u0000${c.scenario}`) ? { ...c, scenario: renamed.get(`${i}\u0000${c.scenario}`)! } : c)) } : undefined,
    ),
    o.catalogue,
  ]);
  const catalogue = merged && o.shard ? { ...merged, shard: o.shard } : merged;
  const interrupted = inputs.some((x) => x.summary.interrupted === true);
  const outcome = runOutcome(scenarios, { interrupted });
  const started = Math.min(...inputs.map((x) => Date.parse(x.summary.startedAt)).filter(Number.isFinite));
  const finished = Math.max(...inputs.map((x) => Date.parse(x.summary.finishedAt)).filter(Number.isFinite));
  const first: Pick<RunSummary, 'seed' | 'machine'> = inputs[0]?.summary ?? { seed: 0, machine: { hostname: '', platform: process.platform, arch: process.arch, cpus: 0, memoryBytes: 0, node: process.version, kernel: '' } };
  const summary: RunSummary = {
    schema: 2,
    runId: o.runId ?? basename(out),
    outcome,
    verdict: verdictOf(outcome),
    ...(interrupted ? { interrupted } : {}),
    command: o.command ?? ['npx', 'amchaos', 'report', 'merge', ...dirs, '--out', outDir],
    seed: first.seed,
    startedAt: new Date(Number.isFinite(started) ? started : Date.now()).toISOString(),
    finishedAt: new Date(Number.isFinite(finished) ? finished : Date.now()).toISOString(),
    durationMs: Number.isFinite(started) && Number.isFinite(finished) ? finished - started : 0,
    machine: first.machine,
    scenarios,
    files: { history: 'history.jsonl', logsDir: 'logs', junit: 'junit.xml', html: 'index.html', ...(catalogue ? { catalogue: 'catalogue.html' } : {}) },
    ...(catalogue ? { catalogue } : {}),
  };
  await writeFile(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await renderRunReport(out);
  o.log?.(`merged ${inputs.length} run(s), ${scenarios.length} scenario(s) → ${out}`);
  return { outDir: out, summary };
}

/** A scenario's logs, relative to the merged dir: kept where they are when inside it, else copied to logs/<scenario>/. */
async function relocateLogs(s: ScenarioSummary, fromDir: string, outDir: string, id: string): Promise<Record<string, string>> {
  const logs: Record<string, string> = {};
  for (const [node, rel] of Object.entries(s.logs ?? {})) {
    const src = safeJoin(fromDir, rel);
    if (!src) continue;
    const inside = relative(outDir, src);
    if (!inside.startsWith('..') && !isAbsolute(inside)) {
      logs[node] = inside;
      continue;
    }
    const dest = join('logs', id.replace(/[^\w.+-]+/g, '_'), basename(src));
    try {
      await mkdir(join(outDir, dirname(dest)), { recursive: true });
      await copyFile(src, join(outDir, dest));
      logs[node] = dest;
    } catch {
      logs[node] = relative(outDir, src);
    }
  }
  return logs;
}
