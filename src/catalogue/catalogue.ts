import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ALL_FAILURE_MODES } from '../claims/modes.js';
import type { FailureMode } from '../claims/types.js';
import { exitCodeOf, EXIT } from '../checkers/outcome.js';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import { mergeRunDirs } from '../report/merge.js';
import { runSuite } from '../run/run.js';
import { versionProviders } from '../run/runtime-registry.js';
import { shardSlice, type Shard } from '../run/shard.js';
import type { SuiteRegistry } from '../run/suite-source.js';
import type { SuiteDefinition } from '../run/suite.js';
import type { CatalogueCell, RunSummary } from '../summary/summary.js';
import type { RuntimeName } from '../runtime/types.js';
import { isRoot } from '../util/fs.js';
import { resolveVersion } from '../versions/index.js';
import { defaultResolveOptions } from '../versions/resolve.js';
import type { ResolvedVersion } from '../versions/types.js';

/**
 * `amchaos catalogue`: every suite with an upstream claim (src/claims) run once per version, each
 * on the cheapest runtime that has its faults, side by side (at most `concurrency` clusters at once;
 * a suite that loads the machine runs alone), each into its own run directory under `runs/`; then
 * merged into one report (report/merge.ts) with the matrix page catalogue.html: failure mode ×
 * version → reproduced / not reproduced / unknown. `--shard i/n` runs a stable slice of the list.
 */

export interface CatalogueEntry {
  /** Stable id: "<suite>@<version>" (what the shard slices and the run directory is named by). */
  id: string;
  suite: SuiteDefinition;
  mode: FailureMode;
  /** The column. */
  version: string;
  /** Every node's version. */
  cluster: string[];
  upgradeTo?: string;
  runtime: RuntimeName;
  exclusive: boolean;
}

/** The catalogue's entries, in the reference's row order then the versions' order: the list --shard slices. */
export function cataloguePlan(registry: SuiteRegistry, versions: readonly string[], o: { suites?: readonly string[] } = {}): CatalogueEntry[] {
  const order = new Map(ALL_FAILURE_MODES.map((m, i) => [m.id, i]));
  const suites = Object.values(registry)
    .filter((s): s is SuiteDefinition & { claim: NonNullable<SuiteDefinition['claim']> } => s.claim !== undefined)
    .filter((s) => !o.suites || o.suites.includes(s.name))
    .sort((a, b) => (order.get(a.claim.mode.id) ?? 99) - (order.get(b.claim.mode.id) ?? 99) || a.name.localeCompare(b.name));
  const out: CatalogueEntry[] = [];
  for (const suite of suites) {
    for (const version of versions) {
      const upgradeTo = suite.catalogue?.upgradeTo?.(version);
      out.push({
        id: `${suite.name}@${version}`,
        suite,
        mode: suite.claim.mode,
        version,
        cluster: suite.catalogue?.cluster?.(version) ?? [version, version, version],
        ...(upgradeTo !== undefined ? { upgradeTo } : {}),
        runtime: suite.catalogue?.runtime ?? (suite.needs?.linkFaults ? 'netns' : 'process'),
        exclusive: suite.catalogue?.exclusive === true,
      });
    }
  }
  return out;
}

/** "0.25.0x3", "tsam@0.25.0+0.25.0+0.25.0", "0.25.0x3 → 0.33.1". */
export function clusterLabel(e: Pick<CatalogueEntry, 'cluster' | 'upgradeTo'>): string {
  const c = e.cluster.every((v) => v === e.cluster[0]) ? `${e.cluster[0]}x${e.cluster.length}` : e.cluster.join('+');
  return e.upgradeTo ? `${c} → ${e.upgradeTo}` : c;
}

export function parseCatalogueVersions(text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((i) => i === '')) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--versions "${text}" has an empty item`, { hint: 'e.g. --versions 0.25.0,0.28.1,0.33.1,tsam' });
  }
  const mixed = items.find((i) => i.includes('+'));
  if (mixed) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--versions item "${mixed}": a catalogue column is one version`, {
      hint: 'Each suite builds its own cluster for a version (e.g. clock-skew puts a skewed tsam beside it, silence-formats the other versions); give single versions, e.g. --versions 0.25.0,tsam.',
    });
  }
  return [...new Set(items)];
}

export interface CatalogueOptions {
  versions: string[];
  outDir: string;
  shard?: Shard;
  /** Clusters at once (default 3). */
  concurrency?: number;
  /** Only these suites. */
  suites?: string[];
  /** The arguments as given (the merged report's command). */
  argv: string[];
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface CatalogueResult {
  outDir: string;
  summary: RunSummary;
  cells: CatalogueCell[];
}

interface Planned {
  entry: CatalogueEntry;
  /** Why it cannot run here; it is then an unknown cell with this reason. */
  skip?: string;
}

/** Resolves every version the plan needs (fetching Debian builds) and decides what cannot run here, before anything starts. */
async function prepare(plan: CatalogueEntry[], log: (l: string) => void): Promise<Planned[]> {
  const resolved = new Map<string, ResolvedVersion>();
  const need = new Set(plan.flatMap((e) => [...e.cluster, ...(e.upgradeTo ? [e.upgradeTo] : [])]));
  for (const v of need) resolved.set(v, await resolveVersion(v, defaultResolveOptions({ fetch: true, log }), versionProviders()));
  return plan.map((entry) => {
    const versions = entry.cluster.map((v) => resolved.get(v)!);
    const upgradeTo = entry.upgradeTo ? resolved.get(entry.upgradeTo) : undefined;
    const why = entry.suite.unsupported?.(versions, { upgradeTo });
    if (why) return { entry, skip: `cannot be had here: ${why}` };
    if (entry.runtime === 'netns' && !isRoot()) return { entry, skip: 'needs the netns runtime (link faults), which needs root; run as root to fill this cell' };
    return { entry };
  });
}

/** Runs `tasks` at most `n` at a time, in order. */
async function pool<T>(items: readonly T[], n: number, task: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++]!;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

export async function runCatalogue(registry: SuiteRegistry, o: CatalogueOptions): Promise<CatalogueResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const concurrency = o.concurrency ?? 3;
  const full = cataloguePlan(registry, o.versions, o.suites ? { suites: o.suites } : {});
  if (o.suites) {
    const unknown = o.suites.filter((s) => !full.some((e) => e.suite.name === s));
    if (unknown.length > 0) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--suites: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a suite with an upstream claim`, {
        hint: `Catalogue suites: ${[...new Set(cataloguePlan(registry, o.versions).map((e) => e.suite.name))].join(', ')}.`,
      });
    }
  }
  const plan = shardSlice(full, o.shard);
  const planned = await prepare(plan, log);
  const outDir = resolve(o.outDir);
  const shardText = o.shard ? `${o.shard.index}/${o.shard.count}` : undefined;
  log(`catalogue: ${plan.length} of ${full.length} scenario(s)${shardText ? ` (shard ${shardText})` : ''}, ${planned.filter((p) => p.skip).length} cannot run here; at most ${concurrency} at once → ${outDir}`);

  const runDirs = new Map<string, string>();
  const failures = new Map<string, string>();
  const runOne = async ({ entry }: Planned): Promise<void> => {
    if (o.signal?.aborted) return;
    const dir = join(outDir, 'runs', entry.id.replace(/[^A-Za-z0-9._@+-]+/g, '_'));
    const t0 = performance.now();
    log(`▶ ${entry.id}: ${entry.suite.name} on ${clusterLabel(entry)} (${entry.runtime})`);
    try {
      const r = await runSuite({
        suite: entry.suite,
        clusters: [entry.cluster],
        runtime: entry.runtime,
        outDir: dir,
        clustered: true,
        groups: 4,
        logLevel: 'debug',
        timers: {},
        ...(entry.upgradeTo ? { upgradeTo: entry.upgradeTo } : {}),
        argv: ['run', '--suite', entry.suite.name, '--versions', entry.cluster.join('+'), ...(entry.runtime !== 'process' ? ['--runtime', entry.runtime] : []), ...(entry.upgradeTo ? ['--upgrade-to', entry.upgradeTo] : []), '--out', dir],
        log: () => undefined,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      runDirs.set(entry.id, r.runDir);
      const s = r.summary.scenarios[0];
      log(`■ ${entry.id}: ${s?.claim?.result ?? 'no claim'} (checks ${s?.outcome ?? 'none'}) in ${Math.round((performance.now() - t0) / 1000)} s`);
    } catch (e) {
      // Input problems were ruled out before; what remains (a runtime refusing, a build failing) is this cell's.
      failures.set(entry.id, isAmchaosError(e) ? `${e.code}: ${e.message}` : String(e));
      log(`✗ ${entry.id}: ${failures.get(entry.id)}`);
    }
  };
  const runnable = planned.filter((p) => !p.skip);
  // What loads the machine runs alone, first; the rest side by side (they mostly wait on timers).
  for (const p of runnable.filter((x) => x.entry.exclusive)) await runOne(p);
  await pool(runnable.filter((x) => !x.entry.exclusive), concurrency, runOne, o.signal);

  // ---- the matrix: one cell per entry ----
  const cells: CatalogueCell[] = [];
  const scenarioOf = new Map<string, { id: string; claim: RunSummary['scenarios'][number]['claim'] }>();
  for (const [id, dir] of runDirs) {
    const sum = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    const s = sum.scenarios[0];
    if (s) scenarioOf.set(id, { id: s.id, claim: s.claim });
  }
  for (const p of planned) {
    const e = p.entry;
    const base = { mode: e.mode.id, version: e.version, suite: e.suite.name, cluster: clusterLabel(e) };
    const ran = scenarioOf.get(e.id);
    if (p.skip) cells.push({ ...base, result: 'unknown', summary: p.skip });
    else if (failures.has(e.id)) cells.push({ ...base, result: 'unknown', summary: `could not run: ${failures.get(e.id)}` });
    else if (!ran) cells.push({ ...base, result: 'unknown', summary: o.signal?.aborted ? 'not run: the catalogue was interrupted' : 'not run' });
    else cells.push({ ...base, scenario: ran.id, result: ran.claim?.result ?? 'unknown', summary: ran.claim?.summary ?? 'the scenario recorded no claim' });
  }
  const modes = [...new Map(planned.map((p) => [p.entry.mode.id, p.entry.mode])).values()];
  const merged = await mergeRunDirs([...runDirs.values()], outDir, {
    runId: `catalogue-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`,
    command: ['npx', 'amchaos', ...o.argv],
    catalogue: { versions: o.versions, modes, cells },
    ...(shardText ? { shard: shardText } : {}),
    log,
  });
  return { outDir, summary: merged.summary, cells };
}

/** The CLI's `catalogue`: runs it, prints the matrix, returns the exit code (the checks', as `amchaos run`). */
export async function catalogueCommand(registry: SuiteRegistry, o: CatalogueOptions): Promise<number> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`\namchaos: ${sig}: stopping every cluster and cleaning up...\n`);
    controller.abort(new AmchaosError('AMCHAOS_INTERRUPTED', `interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await runCatalogue(registry, { ...o, signal: controller.signal });
    const cat = r.summary.catalogue!;
    const width = Math.max(...cat.modes.map((m) => m.id.length), 12);
    const lines = [`${'failure mode'.padEnd(width)}  ${cat.versions.map((v) => v.padEnd(15)).join(' ')}`];
    for (const m of cat.modes) {
      const row = cat.versions.map((v) => (cat.cells.find((c) => c.mode === m.id && c.version === v)?.result ?? '—').padEnd(15));
      lines.push(`${m.id.padEnd(width)}  ${row.join(' ')}`);
    }
    lines.push(`checks: ${r.summary.outcome.toUpperCase()} (the exit code follows the checks; a reproduced claim is a finding, not a failure)`);
    lines.push(`matrix: ${join(r.outDir, 'catalogue.html')}`, `report: ${join(r.outDir, 'index.html')}`);
    process.stdout.write(lines.join('\n') + '\n');
    if (controller.signal.aborted) return EXIT.interrupted;
    return exitCodeOf(r.summary.outcome);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
