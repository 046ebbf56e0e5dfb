import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertmanagerClient } from '../src/client/client.js';
import { waitClusterReady } from '../src/run/ready.js';
import { docker, requireEngine } from '../src/runtime/docker/engine.js';
import { forgetFileHashes, nodeImage, planVersionImage } from '../src/runtime/docker/images.js';
import { DockerRuntime } from '../src/runtime/docker/index.js';
import { defaultConfig } from '../src/topology/config.js';
import { timersFor } from '../src/topology/timers.js';
import { resolveVersion } from '../src/versions/index.js';

/**
 * The docker runtime, side by side in one run:
 *  - spawn → ready for N = 3, 5 with cached images (goal: under 3 s for N = 3): createCluster (the
 *    network, a holder per node, the fabric, a sidecar per node installing the redirects) and then
 *    start → every /api/v2/status ready with N peers; median of 3;
 *  - image packing per version: cold (the image removed first, so the engine builds it) and cached
 *    (a fresh process's work: hash every input, find the tag in the engine).
 */
const REPEATS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function dockerBench(log: (l: string) => void, versions: string[], sizes: number[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    await requireEngine();
  } catch (e) {
    log(`docker: skipped: ${(e as Error).message.split('\n')[0]}`);
    return out;
  }
  log('docker: image packing (cold = built by the engine; cached = hash the inputs, find the tag)');
  for (const name of versions) {
    const v = await resolveVersion(name);
    const { plan } = await planVersionImage(v);
    await docker().getImage(plan.tag).remove({ force: true }).catch(() => undefined);
    forgetFileHashes();
    let t0 = performance.now();
    await nodeImage(v, 'bench');
    const cold = performance.now() - t0;
    forgetFileHashes();
    t0 = performance.now();
    await nodeImage(v, 'bench');
    const cached = performance.now() - t0;
    const size = (await docker().getImage(plan.tag).inspect()).Size;
    out[`docker.image.${name}.cold_ms`] = Math.round(cold);
    out[`docker.image.${name}.cached_ms`] = Math.round(cached);
    log(`  ${name.padEnd(8)} cold ${Math.round(cold)} ms, cached ${Math.round(cached)} ms, ${(size / 1e6).toFixed(1)} MB (${plan.files.length} files)`);
  }

  log('docker: spawn → ready, cached images (median of 3): create (network, pods, fabric, sidecars) + start → ready');
  for (const name of versions) {
    const v = await resolveVersion(name);
    const cells: string[] = [];
    for (const n of sizes) {
      const total: number[] = [];
      const create: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const work = await mkdtemp(join(tmpdir(), 'amchaos-bench-docker-'));
        const timers = timersFor(n);
        const t0 = performance.now();
        const cluster = await new DockerRuntime().createCluster({
          runId: 'bench',
          scenarioId: `bench-docker-${name}-${n}`,
          workDir: work,
          captureAddress: { host: '127.0.0.1', port: 9 },
          nodes: Array.from({ length: n }, (_, i) => ({
            id: `n${i + 1}`,
            index: i,
            version: v,
            config: defaultConfig('http://127.0.0.1:9', timers).yaml,
            clustered: true,
            peerName: `n${String(i + 1).padStart(2, '0')}`,
            timers,
            logLevel: 'info' as const,
            extraArgs: [],
          })),
        });
        const t1 = performance.now();
        const clients = cluster.nodes.map((node) => new AlertmanagerClient({ node: node.id, url: node.apiURL }));
        try {
          await cluster.startAll();
          await waitClusterReady(cluster.nodes.map((node, i) => ({ runtime: node, client: clients[i]! })), { clustered: true, timeoutMs: 60_000 });
          total.push(performance.now() - t0);
          create.push(t1 - t0);
        } finally {
          for (const c of clients) await c.close();
          await cluster.destroy();
          await rm(work, { recursive: true, force: true });
        }
      }
      out[`docker.ready_ms.${name}.n${n}`] = Math.round(median(total));
      out[`docker.create_ms.${name}.n${n}`] = Math.round(median(create));
      cells.push(`N=${n}: ${Math.round(median(total))} ms (create ${Math.round(median(create))})`);
    }
    log(`  ${name.padEnd(8)} ${cells.join(', ')}`);
  }
  return out;
}
