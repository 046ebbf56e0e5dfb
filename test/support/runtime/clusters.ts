/**
 * Real clusters for the runtime and nemesis tests: a capture, a config pointing at it through the
 * runtime's receiver address, a cluster of any runtime (not started), and status polling.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { CaptureReceiver } from '../../../src/capture/index.js';
import { History } from '../../../src/history/history.js';
import type { Timers } from '../../../src/history/types.js';
import { defaultConfig } from '../../../src/topology/config.js';
import { DEFAULT_TIMERS } from '../../../src/topology/timers.js';
import type { ResolvedVersion } from '../../../src/versions/types.js';
import type { ClusterSpec, Runtime, RuntimeCluster } from '../../../src/runtime/types.js';

export interface ClusterStatus {
  status: string;
  peers: string[];
  version: string;
}

/** One GET /api/v2/status; 'unreachable' when the node does not answer within `timeoutMs`. */
export async function clusterStatus(apiURL: string, timeoutMs = 2_000): Promise<ClusterStatus> {
  try {
    const res = await request(`${apiURL}/api/v2/status`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const j = (await res.body.json()) as { cluster: { status: string; peers?: { name: string }[] }; versionInfo: { version: string } };
    return { status: j.cluster.status, peers: (j.cluster.peers ?? []).map((p) => p.name), version: j.versionInfo.version };
  } catch {
    return { status: 'unreachable', peers: [], version: '' };
  }
}

/** Polls `probe` until `done` holds; returns the last value and how long it took (or throws on timeout). */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, what: string, pollMs = 100): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let value = await probe();
  while (!done(value)) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await sleep(pollMs);
    value = await probe();
  }
  return { value, ms: Date.now() - start };
}

/** Peer counts of every node, in node order ('unreachable' nodes count 0). */
export async function peerCounts(cluster: RuntimeCluster): Promise<number[]> {
  return Promise.all(cluster.nodes.map(async (n) => (await clusterStatus(n.apiURL)).peers.length));
}

export interface TestCluster {
  cluster: RuntimeCluster;
  capture: CaptureReceiver;
  history: History;
  work: string;
  spec: ClusterSpec;
  /** Destroys the cluster, stops the capture, removes the work dir; safe to call twice. */
  cleanup(): Promise<void>;
}

/** A capture, a config pointing at it (through the runtime's receiver address) and a cluster (not started). */
export async function testCluster(
  runtime: Runtime,
  opts: { versions: ResolvedVersion[]; scenarioId: string; timers?: Timers; logLevel?: 'debug' | 'info'; runId?: string },
): Promise<TestCluster> {
  const history = new History();
  const capture = new CaptureReceiver({ history });
  const addr = await capture.start();
  const work = await mkdtemp(join(tmpdir(), 'amchaos-runtime-test-'));
  const timers = opts.timers ?? DEFAULT_TIMERS;
  const base = runtime.receiverBaseURL ? runtime.receiverBaseURL(addr) : addr.url;
  const cfg = defaultConfig(base, timers);
  const spec: ClusterSpec = {
    runId: opts.runId ?? 'amc-test',
    scenarioId: opts.scenarioId,
    workDir: work,
    captureAddress: { host: addr.host, port: addr.port },
    nodes: opts.versions.map((v, i) => ({
      id: `n${i + 1}`,
      index: i,
      version: v,
      config: cfg.yaml,
      clustered: true,
      peerName: `n${i + 1}`,
      timers,
      logLevel: opts.logLevel ?? 'info',
      extraArgs: [],
    })),
  };
  let cluster: RuntimeCluster;
  try {
    cluster = await runtime.createCluster(spec);
  } catch (e) {
    await capture.stop();
    await rm(work, { recursive: true, force: true });
    throw e;
  }
  let done = false;
  return {
    cluster,
    capture,
    history,
    work,
    spec,
    cleanup: async () => {
      if (done) return;
      done = true;
      try {
        await cluster.destroy();
      } finally {
        await capture.stop().catch(() => undefined);
        await rm(work, { recursive: true, force: true });
      }
    },
  };
}
