import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Outcome } from '../checkers/outcome.js';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import { renderRunHtml } from './html.js';
import { renderCatalogueHtml } from './catalogue-page.js';
import { renderIndexHtml, type IndexEntry } from './index-page.js';
import { renderJunit } from './junit.js';
import { loadRun, readSummary } from './load.js';
import { buildModel, runOutcomeOf, type ModelOptions } from './model.js';

/**
 * The report's public API: render one run directory (index.html + junit.xml), the index of a
 * reports folder, and the CLI's `amchaos report DIR`.
 */

/** Reads runDir/summary.json + history.jsonl (+ node logs) and writes runDir/index.html and runDir/junit.xml. */
export async function renderRunReport(runDir: string, options: ModelOptions = {}): Promise<void> {
  const run = await loadRun(runDir);
  const model = await buildModel(run, options);
  await writeAtomic(join(runDir, 'index.html'), renderRunHtml(model));
  await writeAtomic(join(runDir, 'junit.xml'), renderJunit(model));
  if (run.summary.catalogue) await writeAtomic(join(runDir, 'catalogue.html'), renderCatalogueHtml(run.summary));
}

/** Writes reportsDir/index.html listing every run directory (a folder with summary.json) in it. */
export async function renderRunIndex(reportsDir: string): Promise<void> {
  const entries = await scanRuns(reportsDir);
  await writeAtomic(join(reportsDir, 'index.html'), renderIndexHtml(basename(resolve(reportsDir)), entries));
}

export interface ReportCommandResult {
  /** Run directories rendered. */
  rendered: string[];
  /** Runs that could not be rendered, with the reason (only when DIR is a reports folder). */
  failed: { dir: string; error: string }[];
  /** The reports-folder index written, if any. */
  index: string | undefined;
  /** The outcome of the run, when DIR is a single run (the CLI's exit code follows it). */
  outcome: Outcome | undefined;
}

/**
 * `amchaos report DIR`: DIR is a run directory (re-renders it, and its parent's index unless the
 * parent holds an index.html of someone else's) or a reports folder (re-renders every run in it and the index).
 */
export async function reportCommand(dir: string): Promise<ReportCommandResult> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new AmchaosError('AMCHAOS_INVALID_RUN_DIR', `${dir} is not a directory`, {
      hint: 'pass a run directory (reports/<run-id>/, it holds summary.json) or the reports folder itself',
    });
  }
  if (await exists(join(dir, 'summary.json'))) {
    await renderRunReport(dir);
    const outcome = runOutcomeOf(await readSummary(dir));
    const index = await renderParentIndex(dir);
    return { rendered: [dir], failed: [], index, outcome };
  }
  const runs = (await scanRuns(dir)).filter((e) => e.summary !== undefined || e.error !== undefined);
  if (runs.length === 0) {
    throw new AmchaosError('AMCHAOS_INVALID_RUN_DIR', `${dir} holds no summary.json and no run directories`, {
      hint: 'pass a run directory written by `amchaos run` or the vitest reporter (reports/<run-id>/), or the folder that holds them',
    });
  }
  const rendered: string[] = [];
  const failed: { dir: string; error: string }[] = [];
  for (const r of runs) {
    const runDir = join(dir, r.dir);
    try {
      await renderRunReport(runDir);
      rendered.push(runDir);
    } catch (e) {
      failed.push({ dir: runDir, error: isAmchaosError(e) ? e.message : String(e) });
    }
  }
  await renderRunIndex(dir);
  return { rendered, failed, index: join(dir, 'index.html'), outcome: undefined };
}

async function scanRuns(reportsDir: string): Promise<IndexEntry[]> {
  let names: string[];
  try {
    names = (await readdir(reportsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INVALID_RUN_DIR', `cannot list ${reportsDir}: ${(e as Error).message}`, {
      hint: 'pass the folder that holds the run directories (default: reports/)',
    });
  }
  const out: IndexEntry[] = [];
  for (const name of names) {
    const runDir = join(reportsDir, name);
    if (!(await exists(join(runDir, 'summary.json')))) continue;
    const mtimeMs = await stat(join(runDir, 'summary.json')).then((s) => s.mtimeMs, () => 0);
    const hasHtml = await exists(join(runDir, 'index.html'));
    try {
      out.push({ dir: name, summary: await readSummary(runDir), error: undefined, hasHtml, mtimeMs });
    } catch (e) {
      out.push({ dir: name, summary: undefined, error: (e as Error).message, hasHtml, mtimeMs });
    }
  }
  return out;
}

/**
 * Writes the index of the folder that holds `runDir`, and returns its path; returns undefined, and
 * writes nothing, when that folder has an index.html that is not ours: `--out ~/site/run1` must
 * never overwrite someone's ~/site/index.html.
 */
export async function renderParentIndex(runDir: string): Promise<string | undefined> {
  const parent = dirname(resolve(runDir));
  if (!(await mayWriteIndex(parent))) return undefined;
  await renderRunIndex(parent);
  return join(parent, 'index.html');
}

/** A folder takes our index if it is called `reports`, has no index.html yet, or has ours. */
async function mayWriteIndex(dir: string): Promise<boolean> {
  if (basename(dir) === 'reports') return true;
  const html = await readFile(join(dir, 'index.html'), 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : ''));
  return html === undefined || html.includes('content="amchaos report');
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Write-then-rename: a crash mid-render never leaves a half-written report over a good one. */
async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
