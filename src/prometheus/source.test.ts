import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { findAlertmanagerBinary, startTestAlertmanager, type TestAlertmanager } from '../../test/support/client/alertmanager-process.js';
import { History, type EventOfType } from '../history/history.js';
import type { HistoryEvent, OpInvokeEvent } from '../history/types.js';
import { defaultResolveOptions } from '../versions/resolve.js';
import { resolvePrometheus, type ResolvedPrometheus } from '../versions/prometheus.js';
import { PrometheusSource } from './source.js';

const prometheus: ResolvedPrometheus | undefined = await resolvePrometheus('2.42.0', defaultResolveOptions()).catch(() => undefined);
const am = await findAlertmanagerBinary('0.25.0');
const skip = !prometheus ? 'Prometheus 2.42.0 does not resolve here' : !am ? 'Alertmanager 0.25.0 does not resolve here' : undefined;

const A = { alertname: 'DiskFull', group: 'db', instance: 'db-1:9100', job: 'node' };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function amAlerts(node: TestAlertmanager): Promise<{ labels: Record<string, string>; status: { state: string } }[]> {
  const res = await request(`${node.apiURL}/api/v2/alerts?active=true`);
  return (await res.body.json()) as { labels: Record<string, string>; status: { state: string } }[];
}

const of = <T extends HistoryEvent['type']>(h: History, type: T) => h.all().filter((e): e is EventOfType<T> => e.type === type);

describe.skipIf(skip !== undefined)(`the Prometheus source against a real Alertmanager${skip ? ` — skipped: ${skip}; run bash .ci/setup to enable` : ''}`, () => {
  it(
    'two replicas fire, send through the taps, record intents at the moment Prometheus fired, and follow a reconfiguration',
    { timeout: 90_000 },
    async () => {
      const node = await startTestAlertmanager({ binary: am!, config: 'route: { receiver: none }\nreceivers: [{ name: none }]\n' });
      cleanups.push(() => node.stop());
      const dir = await mkdtemp(join(tmpdir(), 'amchaos-source-test-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const history = new History();
      const source = new PrometheusSource({ history, version: prometheus!, nodes: ['n1'], upstreamFor: async () => node.apiURL, workDir: dir, alerts: [{ labels: A }] });
      cleanups.push(() => source.shutdown());
      await source.start();
      expect(of(history, 'source')[0]).toMatchObject({ kind: 'prometheus', state: 'configured', replicaLabels: { replica: ['p1', 'p2'] } });
      expect(of(history, 'replica').filter((e) => e.state === 'ready').map((e) => e.replica)).toEqual(['p1', 'p2']);

      const flipAt = history.clock.now();
      await source.fire([{ labels: A }]);
      const fires = of(history, 'alert.fire');
      expect(fires.map((e) => e.labels)).toEqual([A]);
      // The intent is when Prometheus fired (a scrape and an evaluation after the flip), not later than its POST.
      const firstPost = history.all().find((e): e is OpInvokeEvent => e.type === 'op.invoke' && e.kind === 'alerts.post' && Array.isArray(e.value) && (e.value as { labels: Record<string, string> }[]).some((a) => a.labels['alertname'] === 'DiskFull'))!;
      expect(fires[0]!.t).toBeGreaterThanOrEqual(flipAt);
      expect(fires[0]!.t).toBeLessThanOrEqual(firstPost.t);
      // Both replicas' sends reach the node through their own taps.
      await sleep(3 * source.resendIntervalMs);
      const posters = new Set(of(history, 'op.invoke').filter((e) => e.kind === 'alerts.post').map((e) => e.from));
      expect([...posters].sort()).toEqual(['p1', 'p2']);
      expect(of(history, 'op.complete').filter((e) => e.kind === 'alerts.post').every((e) => e.ok === true)).toBe(true);
      expect((await amAlerts(node)).map((a) => a.labels)).toEqual([A]);

      // The mistake: nothing drops the replica label — the node holds one alert per replica.
      await source.reconfigure(Object.fromEntries(source.replicaIds.map((id) => [id, { ...source.healthySetup()[id]!, dropReplicaLabel: false }])), 'replica label kept');
      expect(of(history, 'source').at(-1)!.replicas.map((r) => r.dropsReplicaLabel)).toEqual([false, false]);
      const deadline = Date.now() + 15_000;
      let labels: string[] = [];
      while (Date.now() < deadline) {
        labels = (await amAlerts(node)).map((a) => a.labels['replica'] ?? '-').sort();
        if (labels.includes('p1') && labels.includes('p2')) break;
        await sleep(200);
      }
      expect(labels).toEqual(expect.arrayContaining(['p1', 'p2']));
      // Still one alert as far as the intents go.
      expect(of(history, 'alert.fire')).toHaveLength(1);

      await source.resolve();
      expect(of(history, 'alert.resolve').map((e) => e.labels)).toEqual([A]);
      expect(of(history, 'source.flip').map((e) => e.value)).toEqual([1, 0]);
      expect(of(history, 'source.sample').some((e) => e.up && e.alerts?.some((a) => a.state === 'firing'))).toBe(true);

      const pids = source.replicaIds.map((id) => source.replica(id).pid!);
      await source.shutdown();
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    },
  );
});
