import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byRun, dockerSkipReason } from '../test/support/docker/engine.js';
import { nonRootDockerUser, runAs, userHome } from '../test/support/docker/nonroot.js';
import type { RunSummary } from '../src/summary/summary.js';
import { packageRoot } from '../src/util/paths.js';
import { check, expectHonestPass, FULL_MATRIX_HINT } from '../test/support/suites/faults.js';
import { attachToReport, clusterCases, REAL_VERSIONS, runForTest } from '../test/support/suites/clusters.js';

/**
 * The suites on the docker runtime: exactly-once, silences and split-brain for 0.25.0, 0.33.1, tsam
 * and one mixed cluster (every node in a container of its own image, every link through a proxy);
 * the no-cluster control, which must still fail; and split-brain as a non-root user in the docker
 * group, which is how CI runners have Docker. AMCHAOS_FAULT_MATRIX=full adds every fault suite
 * (split-brain, udp-cut, latency-sweep, receiver-outage, restart) for 0.25.0, 0.28.1, 0.33.1 and tsam
 * on docker, one at a time (see suites/README.md).
 */
const skip = await dockerSkipReason();
const clusters = await clusterCases([
  ['0.25.0', '0.25.0', '0.25.0'],
  ['0.33.1', '0.33.1', '0.33.1'],
  ['tsam', 'tsam', 'tsam'],
  ['0.25.0', 'tsam', '0.33.1'],
]);
const cases = clusters.map((c) => ({ ...c, skip: c.skip ?? skip }));
const why = (s: string | undefined) => (s ? ` — skipped: ${s}` : '');

async function expectNothingLeft(runId: string): Promise<void> {
  expect(await byRun(runId), 'containers or networks of the run left in the engine').toEqual([]);
}

// Each test is its own run (own network, capture, ports): they run side by side, as the other suites do.
describe.concurrent('suites on the docker runtime', () => {
  for (const c of cases) {
    it.skipIf(c.skip !== undefined)(`exactly-once, ${c.label}: identical alerts to every container are notified exactly once, none lost${why(c.skip)}`, { timeout: 180_000 }, async ({ task }) => {
      const result = await runForTest(`docker-exactly-once-${c.label}`, { suite: 'exactly-once', clusters: [c.versions], runtime: 'docker' });
      attachToReport(task, result);
      const s = result.summary.scenarios[0]!;
      expectHonestPass(s);
      expect(s.runtime).toBe('docker');
      expect(check(s, 'exactly-once').figures['transitions']).toBeGreaterThan(0);
      await expectNothingLeft(result.summary.runId);
    });

    it.skipIf(c.skip !== undefined)(`silences, ${c.label}: a silence made on one container reaches every node in time and mutes everywhere${why(c.skip)}`, { timeout: 180_000 }, async ({ task }) => {
      const result = await runForTest(`docker-silences-${c.label}`, { suite: 'silences', clusters: [c.versions], runtime: 'docker' });
      attachToReport(task, result);
      const s = result.summary.scenarios[0]!;
      expectHonestPass(s);
      expect(check(s, 'silence-propagation').verdict).toBe('pass');
      await expectNothingLeft(result.summary.runId);
    });

    it.skipIf(c.skip !== undefined)(`split-brain, ${c.label}: an isolated container makes one notification per side (counted), none lost; after heal nothing is duplicated${why(c.skip)}`, { timeout: 240_000 }, async ({ task }) => {
      const result = await runForTest(`docker-split-brain-${c.label}`, { suite: 'split-brain', clusters: [c.versions], runtime: 'docker' });
      attachToReport(task, result);
      const s = result.summary.scenarios[0]!;
      expectHonestPass(s);
      expect(s.figures['duplicatesDuringPartition']).toBeGreaterThan(0);
      expect(check(s, 'at-most-k').figures['withinSideDuplicates']).toBe(0);
      expect(s.figures['duplicatesAfterHeal']).toBe(0);
      expect(check(s, 'convergence').verdict).toBe('pass');
      await expectNothingLeft(result.summary.runId);
    });
  }

  const control = cases.find((c) => c.versions[0] === '0.33.1')!;
  it.skipIf(control.skip !== undefined)(`the control on docker: the same containers without peering send duplicates, and exactly-once fails with them${why(control.skip)}`, { timeout: 180_000 }, async () => {
    const result = await runForTest('docker-exactly-once-no-cluster', { suite: 'exactly-once', clusters: [control.versions], clustered: false, runtime: 'docker' });
    const s = result.summary.scenarios[0]!;
    expect(s.error).toBeUndefined();
    expect(result.summary.verdict).toBe('fail');
    const eo = check(s, 'exactly-once');
    expect(eo.verdict).toBe('fail');
    expect(eo.figures['duplicates']).toBeGreaterThan(0);
    expect(eo.evidence.length).toBeGreaterThan(0);
    expect(check(s, 'no-loss').verdict).toBe('pass');
    await expectNothingLeft(result.summary.runId);
  });

  const user = nonRootDockerUser();
  const userSkip = skip ?? (typeof user === 'string' ? user : undefined);
  it.skipIf(userSkip !== undefined)(`split-brain on docker as a non-root user in the docker group (no host root: the pods' sidecars do the privileged part)${why(userSkip)}`, { timeout: 240_000 }, async () => {
    const u = user as Exclude<typeof user, string>;
    const home = await userHome(u, ['0.33.1']);
    try {
      const out = join(home, 'report');
      const r = await runAs(u, home, [process.execPath, join(packageRoot(), 'bin', 'amchaos.js'), 'run', '--suite', 'split-brain', '--runtime', 'docker', '--versions', '0.25.0', '--out', out], packageRoot());
      expect(r.code, `exit code; stderr: ${r.stderr.slice(-2000)}`).toBe(0);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as RunSummary;
      const s = summary.scenarios[0]!;
      expect(s.runtime).toBe('docker');
      expectHonestPass(s);
      expect(s.figures['duplicatesDuringPartition']).toBeGreaterThan(0);
      expect(s.figures['duplicatesAfterHeal']).toBe(0);
      await expectNothingLeft(summary.runId);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

// The full fault matrix on docker, opt-in: every fault suite × every version, one scenario at a time
// (a fault scenario takes 30–80 s, mostly Alertmanager's own timers; see suites/README.md).
const FULL = process.env['AMCHAOS_FAULT_MATRIX'] === 'full';
/** Checks each fault suite may fail only as the upstream behaviour it declares (as in its own test file). */
const MAY_FAIL_AS_DECLARED: Record<string, string[]> = { 'udp-cut': ['exactly-once'], 'receiver-outage': ['exactly-once'], restart: ['validity', 'exactly-once'] };
// Defined only when asked for, so a default run (and CI) shows no skipped placeholders.
if (FULL) describe(`fault suites on docker, every version (${FULL_MATRIX_HINT})`, () => {
  const fullSkip = skip;
  for (const suite of ['split-brain', 'udp-cut', 'latency-sweep', 'receiver-outage', 'restart']) {
    for (const v of [...REAL_VERSIONS, 'tsam']) {
      it.skipIf(fullSkip !== undefined)(`${suite}, ${v} x3 on docker${why(fullSkip)}`, { timeout: 300_000 }, async ({ task }) => {
        const result = await runForTest(`docker-full-${suite}-${v}`, { suite, clusters: [[v, v, v]], runtime: 'docker' });
        attachToReport(task, result);
        expectHonestPass(result.summary.scenarios[0]!, MAY_FAIL_AS_DECLARED[suite] ?? []);
        await expectNothingLeft(result.summary.runId);
      });
    }
  }
});
