import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AM_DEFAULTS } from '../src/checkers/scenario.js';
import { AlertmanagerClient } from '../src/client/client.js';
import { waitClusterReady } from '../src/run/ready.js';
import { runSuite, type RunResult } from '../src/run/run.js';
import { exactlyOnce } from '../suites/exactly-once.js';
import type { RuntimeName } from '../src/runtime/types.js';
import { deliveryWindows, FLUSH_MARGIN_MS } from '../src/run/suite.js';
import { ProcessRuntime } from '../src/runtime/process/process-runtime.js';
import { defaultConfig } from '../src/topology/config.js';
import { timersFor } from '../src/topology/timers.js';
import { resolveVersion } from '../src/versions/index.js';

/**
 * Foundation benchmarks, side by side in one run:
 *  - time from spawning N nodes to a ready cluster (every /api/v2/status "ready" with N peers), per
 *    version and N = 3, 5, 9 (goal: under 1 s for N = 5);
 *  - each suite's wall time against the minimum its timers impose (goal: overhead under 10 %).
 */
const REPEATS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function readyTimes(log: (l: string) => void, versions: string[], sizes: number[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  log('cluster: spawn → ready (median of 3), process runtime');
  log(`  ${'version'.padEnd(10)} ${sizes.map((n) => `N=${n}`.padStart(9)).join('')}`);
  for (const v of versions) {
    let resolved;
    try {
      resolved = await resolveVersion(v);
    } catch (e) {
      log(`  ${v.padEnd(10)} skipped: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const cells: string[] = [];
    for (const n of sizes) {
      const samples: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const work = await mkdtemp(join(tmpdir(), 'amchaos-bench-'));
        const timers = timersFor(n);
        const cluster = await new ProcessRuntime().createCluster({
          runId: 'bench',
          scenarioId: `bench-${v}-${n}`,
          workDir: work,
          captureAddress: { host: '127.0.0.1', port: 9 },
          nodes: Array.from({ length: n }, (_, i) => ({
            id: `n${i + 1}`,
            index: i,
            version: resolved,
            config: defaultConfig('http://127.0.0.1:9', timers).yaml,
            clustered: true,
            peerName: `n${String(i + 1).padStart(2, '0')}`,
            timers,
            logLevel: 'info' as const,
            extraArgs: [],
          })),
        });
        const clients = cluster.nodes.map((node) => new AlertmanagerClient({ node: node.id, url: node.apiURL }));
        try {
          const t0 = performance.now();
          await cluster.startAll();
          await waitClusterReady(cluster.nodes.map((node, i) => ({ runtime: node, client: clients[i]! })), { clustered: true, timeoutMs: 30_000 });
          samples.push(performance.now() - t0);
        } finally {
          for (const c of clients) await c.close();
          await cluster.destroy();
          await rm(work, { recursive: true, force: true });
        }
      }
      const m = median(samples);
      out[`ready_ms.${v}.n${n}`] = Math.round(m);
      cells.push(`${Math.round(m)} ms`.padStart(9));
    }
    log(`  ${v.padEnd(10)} ${cells.join('')}`);
  }
  return out;
}

/**
 * The least time exactly-once can take on its timers, before any harness overhead: the alert must
 * fire for a whole flush window (max(group_wait, group_interval) + the checker's margin) so that no
 * loss can be judged, and every later position must have had its turn ((N−1) × peer_timeout) after
 * the first delivery; the resolution is flushed at the group's next tick (group_wait + k ×
 * group_interval), and then the last transition must be watched to its horizon — every position's
 * turn plus one retry and the margin (src/checkers/scenario.ts transitionHorizon) — or the verdict
 * could not be earned.
 */
export function exactlyOnceMinimumMs(nodes: number): number {
  const t = timersFor(nodes);
  const positions = (nodes - 1) * t.peerTimeoutMs;
  const resolveAt = Math.max(t.groupWaitMs + positions, Math.max(t.groupWaitMs, t.groupIntervalMs) + FLUSH_MARGIN_MS);
  const ticks = Math.ceil((resolveAt - t.groupWaitMs) / t.groupIntervalMs);
  return t.groupWaitMs + ticks * t.groupIntervalMs + positions + AM_DEFAULTS.firstRetryMs + FLUSH_MARGIN_MS;
}

/** One quiet exactly-once run of `nodes` × `version` with the default timers, as the CLI would do it. */
export function runExactlyOnce(version: string, nodes: number, runtime: RuntimeName, outDir: string): Promise<RunResult> {
  return runSuite({
    suite: exactlyOnce,
    clusters: [Array.from({ length: nodes }, () => version)],
    runtime,
    clustered: true,
    groups: 4,
    logLevel: 'info',
    timers: {},
    argv: [],
    outDir,
    log: () => undefined,
  });
}

export async function suiteOverhead(log: (l: string) => void, version: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const dir = await mkdtemp(join(tmpdir(), 'amchaos-bench-suite-'));
  try {
    for (const nodes of [3, 5]) {
      const { summary, runDir } = await runExactlyOnce(version, nodes, 'process', join(dir, `n${nodes}`));
      const s = summary.scenarios[0]!;
      const minimum = exactlyOnceMinimumMs(nodes);
      const phases = await phaseTimes(join(runDir, 'history.jsonl'));
      const slack = deliveryWindows(timersFor(nodes), nodes, defaultConfig('http://127.0.0.1:9', timersFor(nodes))).slack;
      const ratio = s.durationMs / minimum;
      out[`suite.exactly-once.${version}.n${nodes}.wall_ms`] = s.durationMs;
      out[`suite.exactly-once.${version}.n${nodes}.minimum_ms`] = minimum;
      out[`suite.exactly-once.${version}.n${nodes}.ratio`] = Number(ratio.toFixed(3));
      out[`suite.exactly-once.${version}.n${nodes}.teardown_ms`] = phases.teardown;
      out[`suite.exactly-once.${version}.n${nodes}.quiesce_ms`] = phases.quiesce;
      log(
        `suite exactly-once ${version} N=${nodes}: wall ${s.durationMs} ms = start ${phases.start} + drive ${phases.drive} + quiesce ${phases.quiesce} + teardown ${phases.teardown} ms; ` +
          `timer-bound minimum ${minimum} ms (to the last transition's horizon), ratio ${ratio.toFixed(3)} (overhead ${((ratio - 1) * 100).toFixed(1)} %; the suite's own ` +
          `duplicate window adds ${slack} ms of slack after the last position's turn), verdict ${s.verdict}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

/** Milliseconds of each phase of the scenario: start (to drive), drive, quiesce (heal + horizons), teardown (history phases). */
async function phaseTimes(historyFile: string): Promise<{ start: number; drive: number; quiesce: number; teardown: number }> {
  const at: Record<string, number> = {};
  for (const line of (await readFile(historyFile, 'utf8')).split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { type: string; phase?: string; t: number };
    if (e.type === 'phase' && e.phase && at[e.phase] === undefined) at[e.phase] = e.t;
  }
  const ms = (a: string, b: string) => Math.round((at[b] ?? NaN) - (at[a] ?? NaN));
  return { start: ms('start', 'drive'), drive: ms('drive', 'quiesce'), quiesce: ms('quiesce', 'teardown'), teardown: ms('teardown', 'check') };
}
