import { describe, expect, it } from 'vitest';
import { byCluster, dockerSkipReason } from '../../test/support/docker/engine.js';
import { clusterStatus, peerCounts, testCluster, waitFor } from '../../test/support/runtime/clusters.js';
import { ofType } from '../history/history.js';
import type { FaultEvent, HistoryEvent } from '../history/types.js';
import { DockerRuntime, type DockerCluster } from '../runtime/docker/index.js';
import { resolveVersion } from '../versions/index.js';
import { Nemesis } from './nemesis.js';

const skip = await dockerSkipReason();
const SKIP = skip ? ` [SKIPPED: ${skip}]` : '';

function lastFault(events: readonly HistoryEvent[], id: number, state: FaultEvent['state']): FaultEvent {
  const e = ofType(events, 'fault').filter((f) => f.fault === id && f.state === state).at(-1);
  if (!e) throw new Error(`no ${state} event for fault ${id}`);
  return e;
}

describe('nemesis on docker', () => {
  it.skipIf(skip !== undefined)(
    `3 × 0.25.0: a partition and a UDP-only cut (proxy counters, after the routing proof), then the engine's own faults — pause, kill, stop, restart with storage kept and wiped, network disconnect — each verified by the daemon's view and healed${SKIP}`,
    { timeout: 180_000 },
    async (ctx) => {
      const v = await resolveVersion('0.25.0');
      const tc = await testCluster(new DockerRuntime(), { versions: [v, v, v], scenarioId: 'docker-faults' });
      const cluster = tc.cluster as DockerCluster;
      ctx.onTestFinished(async () => {
        await tc.cleanup();
        expect(await byCluster(cluster.tag)).toEqual([]);
      });
      const { history } = tc;
      await cluster.startAll();
      await waitFor(() => peerCounts(cluster), (p) => p.every((n) => n === 3), 30_000, '3 peers everywhere');
      await waitFor(async () => cluster.fabric.traffic(), (t) => cluster.fabric.links('peer').every((l) => t[l.name]!.udpBytes > 0), 20_000, 'UDP on every peer link');
      const nem = new Nemesis({ cluster, history, stopGraceMs: 3_000 });
      const [n1, n2, n3] = cluster.nodes;
      const detail = (id: number, state: FaultEvent['state'] = 'applied') => lastFault(history.all(), id, state).detail as Record<string, unknown>;

      // Link faults through the proxies; the first carries the proof that no gossip goes around them.
      const iso = await nem.apply({ kind: 'partition', mode: 'isolate', node: 'n1' });
      expect(detail(iso.id)).toMatchObject({ links: ['n1->n2', 'n1->n3', 'n2->n1', 'n3->n1'], verification: { leaked: [] }, routing: { bypass: { n1: { packets: 0 }, n2: { packets: 0 }, n3: { packets: 0 } } } });
      await nem.remove(iso);
      expect(detail(iso.id, 'removed')).toMatchObject({ leakedDuringFault: [], verification: { blocked: [] } });
      const udp = await nem.apply({ kind: 'link-cut', links: 'all', transport: 'udp' });
      expect(detail(udp.id)).toMatchObject({ transport: 'udp', verification: { leaked: [] } });
      expect(detail(udp.id)['routing']).toBeUndefined();
      await nem.remove(udp);

      // docker pause: the engine says paused; the node does not answer; unpause brings it back.
      const pause = await nem.apply({ kind: 'pause', node: 'n2' });
      expect(detail(pause.id)).toMatchObject({ verification: 'docker inspect', containerState: 'paused' });
      expect((await clusterStatus(n2!.apiURL, 500)).status).toBe('unreachable');
      await nem.remove(pause);
      expect(detail(pause.id, 'removed')).toMatchObject({ containerState: 'running' });
      expect((await clusterStatus(n2!.apiURL)).status).toBe('ready');

      // docker kill, then start of the same container (storage kept).
      const before = n3!.containerId;
      const kill = await nem.apply({ kind: 'kill', node: 'n3' });
      expect(detail(kill.id)).toMatchObject({ signal: 'SIGKILL', verification: 'docker inspect', containerState: 'exited', exitCode: 137 });
      expect(n3!.running).toBe(false);
      await nem.remove(kill);
      expect(n3!.running).toBe(true);
      expect(n3!.containerId).toBe(before);

      // docker stop: SIGTERM, a graceful exit.
      const term = await nem.apply({ kind: 'terminate', node: 'n1' });
      expect(detail(term.id)).toMatchObject({ signal: 'SIGTERM', containerState: 'exited', exitCode: 0 });
      await nem.remove(term);

      // Restart with storage wiped: a fresh container (and volume) in the same pod, same address.
      const n2Before = n2!.containerId;
      const wipe = await nem.apply({ kind: 'restart', node: 'n2', signal: 'SIGKILL', wipe: true });
      expect(detail(wipe.id)).toMatchObject({ wiped: true, containerState: 'exited' });
      await nem.remove(wipe);
      expect(n2!.containerId).not.toBe(n2Before);
      expect((await clusterStatus(n2!.apiURL)).status).not.toBe('unreachable');

      // docker network disconnect: the pod leaves the network (the harness cannot reach n1 either);
      // reconnect puts it back at its own address, and the cluster forms again through the proxies.
      const disc = await nem.apply({ kind: 'disconnect', node: 'n1' });
      expect(detail(disc.id)).toMatchObject({ verification: 'docker inspect' });
      expect(detail(disc.id)['networks']).not.toContain(expect.stringMatching(/^amc-/));
      expect((await clusterStatus(n1!.apiURL, 500)).status).toBe('unreachable');
      await nem.remove(disc);
      expect(detail(disc.id, 'removed')).toMatchObject({ ip: n1!.ip });
      await waitFor(() => peerCounts(cluster), (p) => p.every((n) => n === 3), 45_000, 'the cluster to re-form after the faults');
      await cluster.verifyRouting();

      const states = ofType(history.all(), 'fault').map((e) => e.state);
      expect(states.filter((s) => s === 'failed')).toEqual([]);
      expect(states.filter((s) => s === 'removed')).toHaveLength(7);
      expect(ofType(history.all(), 'node').map((e) => `${e.node}:${e.state}`)).toEqual([
        'n2:paused', 'n2:resumed',
        'n3:killed', 'n3:starting', 'n3:started',
        'n1:stopping', 'n1:stopped', 'n1:starting', 'n1:started',
        'n2:killed', 'n2:starting', 'n2:started',
      ]);
      await nem.heal();
    },
  );
});
