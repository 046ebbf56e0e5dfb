import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect } from 'vitest';
import type { RunResult } from '../../../src/run/run.js';
import type { CheckSummary, ScenarioSummary } from '../../../src/summary/summary.js';
import { resourceLabel } from '../../../src/run/session.js';
import type { RuntimeName } from '../../../src/runtime/types.js';
import { isRoot } from '../../../src/util/fs.js';
import { clusterCases, REAL_VERSIONS, runForTest, type ClusterCase } from './clusters.js';

/**
 * What the fault suites' vitest files share: which clusters can run on which runtime here (a skip
 * says how to enable it), a run that also proves the netns runtime left nothing behind, and the
 * assertion that every check passed or failed only as expected (with its reason kept).
 */

export const NETNS_SKIP = 'the netns runtime needs root (network namespaces, veths, iptables); run as root to enable (CI runs as root)';

/**
 * Which clusters each fault suite runs in vitest. A fault scenario takes 30–80 s on this 2-core
 * machine, so by default each suite runs one version per runtime, rotated so that every version
 * runs on the netns runtime in some suite (see suites/README.md for the table and the times);
 * AMCHAOS_FAULT_MATRIX=full runs every version (0.25.0, 0.28.1, 0.33.1) on every runtime the
 * suite supports. The CLI always takes any versions:
 * `amchaos run --suite <name> --runtime netns --versions 0.25.0,0.28.1,0.33.1`.
 */
export function faultMatrix(defaults: Partial<Record<RuntimeName, readonly string[]>>): Array<{ runtime: RuntimeName; versions: string[] }> {
  const full = fullMatrix();
  return (Object.entries(defaults) as Array<[RuntimeName, readonly string[]]>).map(([runtime, versions]) => ({
    runtime,
    versions: full ? [...REAL_VERSIONS] : [...versions],
  }));
}

function fullMatrix(): boolean {
  return process.env['AMCHAOS_FAULT_MATRIX'] === 'full';
}

/**
 * The default matrix has at most two scenarios per file, and a fault scenario mostly waits on
 * Alertmanager's timers: those two run side by side (their clusters, captures and subnets are
 * separate). The full matrix runs one at a time, so six clusters do not share two cores.
 */
export function faultDescribe(name: string, fn: () => void): void {
  if (fullMatrix()) describe(name, fn);
  else describe.concurrent(name, fn);
}

export const FULL_MATRIX_HINT = 'AMCHAOS_FAULT_MATRIX=full runs every version on every runtime';

/** faultMatrix as 3-node clusters with skip reasons, per runtime. */
export async function matrixCases(defaults: Partial<Record<RuntimeName, readonly string[]>>): Promise<Array<{ runtime: RuntimeName; cases: ClusterCase[] }>> {
  const out: Array<{ runtime: RuntimeName; cases: ClusterCase[] }> = [];
  for (const { runtime, versions } of faultMatrix(defaults)) {
    out.push({ runtime, cases: await runtimeCases(versions.map((v) => [v, v, v]), runtime) });
  }
  return out;
}

export async function runtimeCases(clusters: string[][], runtime: RuntimeName): Promise<ClusterCase[]> {
  const cases = await clusterCases(clusters);
  if (runtime !== 'netns' || isRoot()) return cases;
  return cases.map((c) => ({ ...c, skip: c.skip ?? NETNS_SKIP }));
}

/**
 * Runs a suite like `amchaos run` does and, on netns, asserts that no namespace, link, rule or
 * state record of it is left. Namespaces and links carry a per-cluster tag rather than the run id;
 * the runtime's state records (written before anything is created) name the owning process and the
 * scenario, so the tags of this scenario's clusters are collected while the run goes — other
 * processes' clusters on the same host, and other scenarios of this process, are not mistaken for ours.
 */
export async function runFaultSuite(name: string, suite: string, versions: string[], runtime: RuntimeName): Promise<RunResult> {
  if (runtime !== 'netns') return runForTest(name, { suite, clusters: [versions], runtime });
  const { visibleNetnsResources, DEFAULT_STATE_DIR } = await import('../../../src/runtime/netns/index.js');
  const { StateDir } = await import('../../../src/runtime/netns/state.js');
  const state = new StateDir(DEFAULT_STATE_DIR);
  const tags = new Set<string>();
  // This scenario's clusters only: another scenario of this file may run concurrently in this process.
  const label = versions.every((v) => v === versions[0]) ? `${versions[0]}x${versions.length}` : versions.join('+');
  const scenarioId = resourceLabel(`${suite}/${label}`);
  const collect = async () => {
    for (const r of await state.records()) if (r.pid === process.pid && r.scenarioId === scenarioId) tags.add(r.tag);
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
