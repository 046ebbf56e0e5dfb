import { afterEach, expect, it } from 'vitest';
import { isRoot } from '../../util/fs.js';
import { resolveVersion } from '../../versions/index.js';
import { NetnsRuntime, visibleNetnsResources, type NetnsCluster } from './netns-runtime.js';
import { clusterStatus, testCluster, waitFor, type TestCluster } from '../../../test/support/runtime/clusters.js';

/**
 * The largest cluster the suite forms by default: 9 × 0.25.0, every one of the 72 peer links
 * proxied. AMCHAOS_NETNS_NODES=N tries another size (measurements in the README). Prints how long
 * each stage took; asserts only that it forms with all traffic through the proxies.
 */
const N = Number(process.env['AMCHAOS_NETNS_NODES'] ?? 9);
const root = isRoot();
const v025 = await resolveVersion('0.25.0').catch(() => undefined);

let tc: TestCluster | undefined;
afterEach(async () => {
  const tag = tc ? (tc.cluster as NetnsCluster).tag : undefined;
  await tc?.cleanup();
  tc = undefined;
  if (tag) expect((await visibleNetnsResources()).filter((r) => r.includes(tag))).toEqual([]);
});

it.skipIf(!root || !v025)(
  `${N} × 0.25.0 in namespaces form a cluster with all ${N * (N - 1)} peer links proxied${root ? '' : ' [SKIPPED: needs root]'}${v025 ? '' : ' [SKIPPED: 0.25.0 not installed]'}`,
  { timeout: 180_000 },
  async () => {
    const t0 = performance.now();
    tc = await testCluster(new NetnsRuntime(), { versions: Array.from({ length: N }, () => v025!), scenarioId: `scale${N}` });
    const cluster = tc.cluster as NetnsCluster;
    const tCreated = performance.now();
    await cluster.startAll();
    const tStarted = performance.now();
    const ready = await waitFor(
      () => Promise.all(cluster.nodes.map((n) => clusterStatus(n.apiURL))),
      (s) => s.every((x) => x.status === 'ready' && x.peers.length === N),
      60_000,
      `every node ready with ${N} peers`,
      200,
    );
    const tReady = performance.now();
    const links = cluster.fabric.links('peer');
    expect(links).toHaveLength(N * (N - 1));
    const traffic = await waitFor(
      async () => cluster.fabric.traffic(),
      (t) => links.every((l) => t[l.name]!.tcpBytes + t[l.name]!.udpBytes > 0),
      60_000,
      'traffic on every peer link',
      200,
    );
    const tTraffic = performance.now();
    const bypass = await cluster.bypassCounters();
    expect(Object.values(bypass).every((b) => b.packets === 0)).toBe(true);
    expect(ready.value.every((s) => s.status === 'ready')).toBe(true);
    const bytes = links.map((l) => traffic.value[l.name]!.tcpBytes + traffic.value[l.name]!.udpBytes);
    const tDestroy = performance.now();
    await tc.cleanup();
    const tGone = performance.now();
    console.log(
      `netns scale N=${N}: create ${Math.round(tCreated - t0)} ms, start ${Math.round(tStarted - tCreated)} ms, ` +
        `ready (${N} peers everywhere) ${Math.round(tReady - tStarted)} ms after start, traffic on all ${links.length} peer links ` +
        `${Math.round(tTraffic - tStarted)} ms after start (min ${Math.min(...bytes)} B, max ${Math.max(...bytes)} B per link), destroy ${Math.round(tGone - tDestroy)} ms`,
    );
  },
);
