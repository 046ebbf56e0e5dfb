import { request } from 'undici';
import { describe, expect, it, type TestContext } from 'vitest';
import { byCluster, dockerSkipReason } from '../../../test/support/docker/engine.js';
import { OFFICIAL_LIKE_TAG, officialLikeImage } from '../../../test/support/docker/official-like.js';
import { clusterStatus, peerCounts, testCluster, waitFor, type TestCluster } from '../../../test/support/runtime/clusters.js';
import { versionProviders } from '../../run/runtime-registry.js';
import { defaultResolveOptions, resolveVersion } from '../../versions/index.js';
import { ProcessRuntime } from '../process/process-runtime.js';
import { docker, LABEL } from './engine.js';
import { ensureImage, planVersionImage } from './images.js';
import { DockerRuntime, type DockerCluster } from './index.js';

const skip = await dockerSkipReason();
const SKIP = skip ? ` [SKIPPED: ${skip}]` : '';
if (skip) console.warn(`docker runtime tests skipped: ${skip}`);

async function versions(...names: string[]) {
  return Promise.all(names.map((n) => resolveVersion(n)));
}

/** A docker test cluster removed when its test finishes; the teardown also proves nothing of it is left in the engine. */
async function startedCluster(ctx: TestContext, ...args: Parameters<typeof testCluster>): Promise<Omit<TestCluster, 'cluster'> & { cluster: DockerCluster }> {
  const tc = await testCluster(...args);
  ctx.onTestFinished(async () => {
    const tag = (tc.cluster as DockerCluster).tag;
    await tc.cleanup();
    expect(await byCluster(tag), 'containers and networks left in the engine').toEqual([]);
  });
  return { ...tc, cluster: tc.cluster as DockerCluster };
}

// Each test owns its cluster (own network, tag, capture): they run side by side.
describe.concurrent('docker runtime', () => {
  it.skipIf(skip !== undefined)(`3 × 0.25.0 in pods: gossip only through the link proxies (advertised addresses, traffic on every link, bypass guards 0), labelled, and nothing left after destroy${SKIP}`, { timeout: 120_000 }, async (ctx) => {
    const [v] = await versions('0.25.0');
    const tc = await startedCluster(ctx, new DockerRuntime(), { versions: [v!, v!, v!], scenarioId: 'docker-basic', runId: 'amc-test-docker-basic' });
    const { cluster } = tc;
    await cluster.startAll();
    await waitFor(() => peerCounts(cluster), (p) => p.every((n) => n === 3), 30_000, '3 peers everywhere');
    const fabric = cluster.fabric;
    await waitFor(async () => fabric.traffic(), (t) => fabric.links('peer').every((l) => t[l.name]!.udpBytes > 0), 20_000, 'UDP on every peer link');
    // Every node advertises, and lists its peers at, the addresses the fabric redirects.
    const routing = (await cluster.verifyRouting()) as { advertised: Record<string, { self: string; peers: string[] }>; bypass: Record<string, { packets: number }> };
    for (const n of cluster.nodes) {
      expect(routing.advertised[n.id]!.self).toBe(n.clusterAddress);
      expect(routing.advertised[n.id]!.peers.sort()).toEqual(cluster.nodes.map((m) => m.clusterAddress).sort());
    }
    expect(Object.values(routing.bypass).map((b) => b.packets)).toEqual([0, 0, 0]);
    // The harness reaches each node through its client link on loopback; proxies listen on the gateway only.
    expect(cluster.nodes[0]!.apiURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const l of fabric.links()) expect(l.listen.startsWith(`${cluster.info.gateway}:`) || l.listen.startsWith('127.0.0.1:')).toBe(true);
    // Every container and the network carry the run id and the cluster tag.
    const labelled = await docker().listContainers({ all: true, filters: { label: [`${LABEL.run}=amc-test-docker-basic`, `${LABEL.cluster}=${cluster.tag}`] } });
    expect(labelled.map((c) => c.Labels[LABEL.role]).sort()).toEqual(['holder', 'holder', 'holder', 'node', 'node', 'node']);
    // Nodes run as nobody, as the official images do.
    const inspect = await docker().getContainer(cluster.nodes[0]!.containerId!).inspect();
    expect(inspect.Config.User).toBe('65534:65534');
    expect(inspect.HostConfig.NetworkMode).toBe(`container:${cluster.nodes[0]!.holder}`);
  });

  it.skipIf(skip !== undefined)(`a mixed 0.25.0 + 0.28.1 + 0.33.1 + tsam cluster: each image carries its own templates and binary; images are reused while their content hash holds${SKIP}`, { timeout: 180_000 }, async (ctx) => {
    const vs = await versions('0.25.0', '0.28.1', '0.33.1', 'tsam');
    const tc = await startedCluster(ctx, new DockerRuntime(), { versions: vs, scenarioId: 'docker-mixed' });
    const { cluster } = tc;
    await cluster.startAll();
    await waitFor(() => peerCounts(cluster), (p) => p.every((n) => n === 4), 30_000, '4 peers everywhere');
    const reported = await Promise.all(cluster.nodes.map(async (n) => (await clusterStatus(n.apiURL)).version));
    expect(reported.map((r) => r.replace(/\+ds.*$/, ''))).toEqual(['0.25.0', '0.28.1', '0.33.1', '0.33.1']);
    expect(new Set(cluster.nodes.map((n) => n.image)).size).toBe(4);
    // The same inputs give the same tag, and a tag the engine has is not built again.
    for (const v of vs) {
      const a = await planVersionImage(v);
      const b = await planVersionImage(v);
      expect(a.plan.tag).toBe(b.plan.tag);
      expect(await ensureImage(a.plan, 'amc-test')).toBe(false);
    }
  });

  it.skipIf(skip !== undefined)(`a node that exits at start fails startAll with its log tail, and destroy still leaves nothing${SKIP}`, { timeout: 120_000 }, async (ctx) => {
    const [v] = await versions('0.25.0');
    const tc = await startedCluster(ctx, new DockerRuntime(), { versions: [v!, v!], scenarioId: 'docker-bad-start' });
    tc.cluster.nodes[1]!.spec.extraArgs.push('--no.such-flag');
    const err = await tc.cluster.startAll().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'AMCHAOS_NODE_START_FAILED', message: expect.stringMatching(/n2/) });
    expect(((err as { details: { logTail?: string[] } }).details.logTail ?? []).join('\n')).toMatch(/no.such-flag/);
  });

  it.skipIf(skip !== undefined)(`image:REF runs a user's image (an official-layout image the engine has) beside a built node; an image that cannot be had is refused before anything starts${SKIP}`, { timeout: 180_000 }, async (ctx) => {
    await officialLikeImage();
    // As a run resolves it: the docker runtime's provider in front of the version chain.
    const official = await resolveVersion(`image:${OFFICIAL_LIKE_TAG}`, defaultResolveOptions(), versionProviders());
    expect(official).toMatchObject({ image: OFFICIAL_LIKE_TAG, version: '0.33.1', features: { peerName: true } });
    await expect(resolveVersion('image:amchaos-test/no-such-image:v0', defaultResolveOptions(), versionProviders())).rejects.toMatchObject({ code: 'AMCHAOS_UNKNOWN_VERSION', message: expect.stringMatching(/cannot be had/) });
    // The host runtimes refuse it, naming docker.
    await expect(new ProcessRuntime().preflight({ runId: 'r', scenarioId: 's', workDir: '/tmp/x', captureAddress: { host: '127.0.0.1', port: 9 }, nodes: [{ id: 'n1', index: 0, version: official, config: '', clustered: true, peerName: 'n01', timers: {} as never, logLevel: 'info', extraArgs: [] }] })).rejects.toMatchObject({ code: 'AMCHAOS_RUNTIME_UNSUPPORTED', hint: expect.stringMatching(/--runtime docker/) });
    const [built] = await versions('0.33.1');
    const tc = await startedCluster(ctx, new DockerRuntime(), { versions: [official, official, built!], scenarioId: 'docker-image' });
    const { cluster } = tc;
    await cluster.startAll();
    await waitFor(() => peerCounts(cluster), (p) => p.every((n) => n === 3), 30_000, '3 peers everywhere');
    expect(cluster.nodes[0]!.image).toBe(OFFICIAL_LIKE_TAG);
    const inspect = await docker().getContainer(cluster.nodes[0]!.containerId!).inspect();
    expect(inspect.Config.Entrypoint).toEqual(['/bin/alertmanager']);
    expect(inspect.Config.User).toBe('65534:65534');
    const res = await request(`${cluster.nodes[0]!.apiURL}/api/v2/status`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});
