import { expect } from 'vitest';
import type { RunResult } from '../src/run/run.js';
import type { CheckSummary, ScenarioSummary } from '../src/run/summary.js';
import type { RuntimeName } from '../src/runtime/types.js';
import { isRoot } from '../src/util/fs.js';
import { clusterCases, runForTest, type ClusterCase } from './testing.js';

/**
 * What the fault suites' vitest files share: which clusters can run on which runtime here (a skip
 * says how to enable it), a run that also proves the netns runtime left nothing behind, and the
 * assertion that every check passed or failed only as expected (with its reason kept).
 */

export const NETNS_SKIP = 'the netns runtime needs root (network namespaces, veths, iptables); run as root to enable (CI runs as root)';

/**
 * Versions the fault suites run by default in vitest. Every version is supported by the CLI
 * (`amchaos run --suite <name> --runtime netns --versions 0.25.0,0.28.1,0.33.1`);
 * AMCHAOS_FAULT_VERSIONS=0.33.1 (comma-separated) narrows the vitest runs, e.g. for a quick local loop.
 */
export function faultVersions(defaults: readonly string[]): string[] {
  const env = process.env['AMCHAOS_FAULT_VERSIONS'];
  if (env === undefined || env.trim() === '') return [...defaults];
  return env.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

export async function runtimeCases(clusters: string[][], runtime: RuntimeName): Promise<ClusterCase[]> {
  const cases = await clusterCases(clusters);
  if (runtime !== 'netns' || isRoot()) return cases;
  return cases.map((c) => ({ ...c, skip: c.skip ?? NETNS_SKIP }));
}

/** Resources of the netns runtime that name this run (iptables comments carry the run id). */
async function netnsLeftovers(runId: string, before: ReadonlySet<string>): Promise<string[]> {
  const { visibleNetnsResources } = await import('../src/runtime/netns/index.js');
  const now = await visibleNetnsResources();
  // Namespaces and links carry a per-cluster tag, not the run id: anything that was not there
  // before the run and is still there after it is ours (fault suites run one file at a time).
  return now.filter((r) => r.includes(`run=${runId}`) || (!r.startsWith('iptables') && !before.has(r)));
}

/** Runs a suite like `amchaos run` does and, on netns, asserts that no namespace, link or rule of it is left. */
export async function runFaultSuite(name: string, suite: string, versions: string[], runtime: RuntimeName): Promise<RunResult> {
  let before = new Set<string>();
  if (runtime === 'netns') {
    const { visibleNetnsResources } = await import('../src/runtime/netns/index.js');
    before = new Set(await visibleNetnsResources());
  }
  const result = await runForTest(name, { suite, clusters: [versions], runtime });
  if (runtime === 'netns') expect(await netnsLeftovers(result.summary.runId, before), 'netns resources left behind').toEqual([]);
  return result;
}

export function check(s: ScenarioSummary, name: string): CheckSummary {
  const c = s.checks.find((k) => k.name === name);
  if (!c) throw new Error(`${s.id} has no ${name} check (checks: ${s.checks.map((k) => k.name).join(', ')})`);
  return c;
}

/**
 * The scenario ran to the end and each check passed, or failed with the upstream reason the suite
 * declares for it (the verdict stays fail, the evidence stays in the report). `allowExpected`
 * names the checks that may fail that way; every other check must pass.
 */
export function expectHonestPass(s: ScenarioSummary, allowExpected: readonly string[] = []): void {
  expect(s.error, `scenario error in ${s.id}`).toBeUndefined();
  const bad = s.checks
    .filter((k) => !(k.verdict === 'pass' || (k.verdict === 'fail' && k.expectedFailure !== undefined && allowExpected.includes(k.name))))
    .map((k) => `${k.name} ${k.verdict}: ${k.summary}`);
  expect(bad, `evidence in ${s.id}`).toEqual([]);
}
