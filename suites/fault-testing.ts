import { setTimeout as sleep } from 'node:timers/promises';
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

/**
 * Runs a suite like `amchaos run` does and, on netns, asserts that no namespace, link, rule or
 * state record of it is left. Namespaces and links carry a per-cluster tag rather than the run id;
 * the runtime's state records (written before anything is created) name the owning process, so the
 * tags of this process's clusters are collected while the run goes — other processes' clusters on
 * the same host (another test run) are not mistaken for ours.
 */
export async function runFaultSuite(name: string, suite: string, versions: string[], runtime: RuntimeName): Promise<RunResult> {
  if (runtime !== 'netns') return runForTest(name, { suite, clusters: [versions], runtime });
  const { visibleNetnsResources, DEFAULT_STATE_DIR } = await import('../src/runtime/netns/index.js');
  const { StateDir } = await import('../src/runtime/netns/state.js');
  const state = new StateDir(DEFAULT_STATE_DIR);
  const tags = new Set<string>();
  const collect = async () => {
    for (const r of await state.records()) if (r.pid === process.pid) tags.add(r.tag);
  };
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      await collect();
      await sleep(250);
    }
  })();
  let result: RunResult;
  try {
    result = await runForTest(name, { suite, clusters: [versions], runtime });
  } finally {
    watching = false;
    await watcher;
  }
  expect(tags.size, 'the run created a netns cluster').toBeGreaterThan(0);
  const left = (await visibleNetnsResources()).filter((r) => r.includes(`run=${result.summary.runId}`) || [...tags].some((t) => r.includes(`amc-${t}-`) || r.includes(`amc${t}`)));
  const records = (await state.records()).filter((r) => tags.has(r.tag)).map((r) => `state record ${r.tag}`);
  expect([...left, ...records], 'netns resources left behind').toEqual([]);
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
