import { join, resolve as resolvePath } from 'node:path';
import type { TaskMeta } from 'vitest';
import '../../../src/report/vitest-reporter.js';
import { SUITES } from '../../../suites/index.js';
import { runSuite, type RunOptions, type RunResult } from '../../../src/run/run.js';
import { isRoot } from '../../../src/util/fs.js';
import { resolveVersion } from '../../../src/versions/index.js';

/**
 * What the vitest suites share: which clusters can run here (and why not, so a skip says how to
 * enable it), and one call that runs a suite the way `amchaos run` does, into reports/vitest/.
 */
export const REAL_VERSIONS = ['0.25.0', '0.28.1', '0.33.1'] as const;
export const MIXED = ['0.25.0', '0.28.1', '0.33.1'];

export interface ClusterCase {
  label: string;
  versions: string[];
  /** Why this cluster cannot run here (the skip reason), or undefined. */
  skip: string | undefined;
}

export async function clusterCases(clusters: string[][]): Promise<ClusterCase[]> {
  const out: ClusterCase[] = [];
  for (const versions of clusters) {
    const label = versions.every((v) => v === versions[0]) ? `${versions[0]} x${versions.length}` : versions.join('+');
    out.push({ label, versions, skip: await whyCannotRun(versions) });
  }
  return out;
}

async function whyCannotRun(versions: string[]): Promise<string | undefined> {
  const resolved = [];
  for (const v of new Set(versions)) {
    try {
      resolved.push(await resolveVersion(v));
    } catch (e) {
      return `Alertmanager ${v} does not resolve here (${(e as Error).message.split('\n')[0]}); run bash .ci/setup (Debian + apt) to enable`;
    }
  }
  const needsMount = resolved.some((r) => r.templates && r.templates.dir !== r.templates.mountAt);
  if (needsMount && !isRoot() && new Set(resolved.map((r) => r.version)).size > 1) {
    return 'mixed Debian versions need root (each node gets its own templates in a mount namespace); run as root to enable';
  }
  return undefined;
}

/**
 * Hands a test's scenarios to the vitest reporter (src/report/vitest-reporter.ts), which gathers
 * every suite test of a `vitest run` into one report, the same as `amchaos run` writes.
 */
export function attachToReport(task: { meta: TaskMeta }, result: RunResult): void {
  const scenario = result.summary.scenarios[0];
  if (!scenario) return;
  task.meta.amchaos = { scenario, historyFile: resolvePath(result.runDir, 'history.jsonl'), runDir: result.runDir };
}

/** AMCHAOS_SEED replays a vitest run the way --seed replays `amchaos run`. */
function seedFromEnv(): number | undefined {
  const s = process.env['AMCHAOS_SEED'];
  return s === undefined || s === '' ? undefined : Number(s);
}

/** Runs a built-in suite (by name) the way `amchaos run` does, into reports/vitest/<name>. */
export function runForTest(
  name: string,
  opts: Omit<RunOptions, 'argv' | 'runtime' | 'groups' | 'logLevel' | 'timers' | 'clustered' | 'suite'> & Partial<Omit<RunOptions, 'suite'>> & { suite: string },
): Promise<RunResult> {
  const outDir = join('reports', 'vitest', name.replace(/[^A-Za-z0-9._+-]+/g, '_'));
  const argv = ['run', '--suite', opts.suite, '--versions', opts.clusters.map((c) => c.join('+')).join(','), '--out', outDir];
  const suite = SUITES[opts.suite];
  if (!suite) throw new Error(`no built-in suite ${opts.suite}`);
  return runSuite({
    runtime: 'process',
    groups: 4,
    logLevel: 'debug',
    timers: {},
    clustered: true,
    outDir,
    // Each test writes its own fixed directory: a re-run of the tests replaces the one before.
    force: true,
    argv: opts.clustered === false ? [...argv, '--no-cluster'] : argv,
    log: () => undefined,
    ...(seedFromEnv() !== undefined ? { seed: seedFromEnv()! } : {}),
    ...opts,
    suite,
  });
}
