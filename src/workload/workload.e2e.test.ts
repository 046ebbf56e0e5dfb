import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { History, ofType } from '../history/history.js';
import { labelKey } from '../history/types.js';
import { AlertmanagerClient } from '../client/client.js';
import {
  binaryEnvVar,
  findAlertmanagerBinary,
  freePort,
  startTestAlertmanager,
  type TestAlertmanager,
} from '../../test/support/client/alertmanager-process.js';
import { AlertSource } from './alert-source.js';
import { generateAlerts } from './generate.js';
import { ClusterSampler } from './sampler.js';
import { matchersForAlert, matchersForGroup, SilenceOps } from './silences.js';

const CONFIG = `route:
  receiver: quiet
  group_by: [alertname, group]
receivers:
- name: quiet
`;

const binary = await findAlertmanagerBinary('0.25.0');
if (!binary) console.warn(`workload e2e skipped: Alertmanager 0.25.0 not found; set ${binaryEnvVar('0.25.0')}=/path/to/alertmanager`);

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!binary)('workload against real Alertmanager 0.25.0 nodes', () => {
  // Two clustered nodes: the sampler then has peers to see and a silence to watch propagate.
  let n1: TestAlertmanager;
  let n2: TestAlertmanager;
  let c1: AlertmanagerClient;
  let c2: AlertmanagerClient;

  beforeAll(async () => {
    const p1 = await freePort();
    const p2 = await freePort();
    // Settling waits for the push-pull interval otherwise; 0 makes "ready" mean "joined".
    const fast = ['--cluster.gossip-interval=50ms', '--cluster.pushpull-interval=2s', '--cluster.settle-timeout=0s'];
    n1 = await startTestAlertmanager({ binary: binary!, config: CONFIG, routePrefix: '/n1', cluster: { port: p1, peers: [`127.0.0.1:${p2}`], extraArgs: fast } });
    n2 = await startTestAlertmanager({ binary: binary!, config: CONFIG, routePrefix: '/n2', cluster: { port: p2, peers: [`127.0.0.1:${p1}`], extraArgs: fast } });
    c1 = new AlertmanagerClient({ node: 'n1', url: n1.apiURL });
    c2 = new AlertmanagerClient({ node: 'n2', url: n2.apiURL });
  });
  afterAll(async () => {
    await c1?.close();
    await c2?.close();
    await n1?.stop();
    await n2?.stop();
  });

  it('posted alerts are listed by every node with the source startsAt; resolved ones stop being active', { timeout: 60_000 }, async () => {
    const history = new History();
    const alerts = generateAlerts({ seed: 11, groups: 4, alertsPerGroup: 2 });
    const source = new AlertSource({ history, clients: [c1, c2], resendIntervalMs: 500, resolvedResends: 2 });
    try {
      source.start();
      await source.fire(alerts);
      for (const c of [c1, c2]) {
        const listed = await c.getAlerts();
        const byKey = new Map(listed.map((a) => [labelKey(a.labels), a]));
        for (const a of alerts) expect(byKey.has(labelKey(a.labels)), `${c.node} lists ${labelKey(a.labels)}`).toBe(true);
      }
      const firstPost = ofType(history.all(), 'op.invoke')[0]!;
      const sentStartsAt = (firstPost.value as { labels: Record<string, string>; startsAt: string }[])[0]!;
      const listedOne = (await c1.getAlerts({ filter: Object.entries(sentStartsAt.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`) }))[0]!;
      expect(Date.parse(listedOne.startsAt)).toBe(Date.parse(sentStartsAt.startsAt));

      // Let a few resend rounds happen, then resolve one group.
      await until(() => ofType(history.all(), 'op.invoke').length >= 6, 10_000, 'resend rounds');
      const gone = alerts.filter((a) => a.labels['group'] === alerts[0]!.labels['group']);
      await source.resolve(gone);
      for (const c of [c1, c2]) {
        const active = await c.getAlerts({ active: true, silenced: true, inhibited: true });
        const keys = new Set(active.map((a) => labelKey(a.labels)));
        for (const a of gone) expect(keys.has(labelKey(a.labels)), `${c.node} still lists resolved ${labelKey(a.labels)}`).toBe(false);
        expect(keys.size).toBe(alerts.length - gone.length);
      }
    } finally {
      await source.stop();
    }
    const comps = ofType(history.all(), 'op.complete');
    expect(comps.length).toBe(ofType(history.all(), 'op.invoke').length);
    expect(comps.every((c) => c.ok === true)).toBe(true);
    expect(ofType(history.all(), 'alert.resolve')).toHaveLength(2);
  });

  it('a silence created on one node shows up there and, by gossip, on the other; the sampler records it and the cluster', { timeout: 60_000 }, async () => {
    const history = new History();
    const dead = new AlertmanagerClient({ node: 'n3', url: `http://127.0.0.1:${await freePort()}` });
    const sampler = new ClusterSampler({ history, clients: [c1, c2, dead], intervalMs: 200 });
    const silences = new SilenceOps({ history, clients: [c1, c2] });
    try {
      // The cluster must have formed for gossip to carry the silence.
      await until(async () => {
        const s = await c1.status();
        return s.cluster.status === 'ready' && (s.cluster.peers ?? []).length === 2;
      }, 30_000, 'a ready cluster of two peers');
      sampler.start();
      const alert = { alertname: 'SilenceMe', group: 'gs', instance: 'x' };
      const id = await silences.create('n1', { matchers: matchersForAlert(alert), durationMs: 600_000, comment: 'e2e' });
      expect((await c1.getSilences()).map((s) => s.id)).toContain(id);
      await until(async () => (await c2.getSilences()).some((s) => s.id === id), 15_000, 'the silence on n2');
      await until(
        () => ofType(history.all(), 'silences.sample').some((s) => s.node === 'n2' && (s.active ?? []).includes(id)),
        10_000,
        'a sample of n2 listing the silence',
      );
      await silences.expire('n1', id);
      expect((await c1.getSilence(id)).status.state).toBe('expired');
      await until(
        () => ofType(history.all(), 'silences.sample').some((s) => s.node === 'n1' && (s.expired ?? []).includes(id)),
        10_000,
        'a sample of n1 listing the silence as expired',
      );
      const groupId = await silences.create('n2', { matchers: matchersForGroup({ alertname: 'SilenceMe', group: 'gs' }) });
      expect((await c2.getSilence(groupId)).matchers.map((m) => m.name)).toEqual(['alertname', 'group']);
      await silences.expire('n2', groupId);
    } finally {
      await sampler.stop();
      await silences.stop();
      await dead.close();
    }
    const status = ofType(history.all(), 'status.sample');
    const n1Samples = status.filter((s) => s.node === 'n1');
    expect(n1Samples.length).toBeGreaterThan(0);
    expect(n1Samples.at(-1)?.clusterStatus).toBe('ready');
    expect(n1Samples.at(-1)?.peers).toHaveLength(2);
    const n3 = status.filter((s) => s.node === 'n3');
    expect(n3.length).toBeGreaterThan(0);
    expect(n3.every((s) => s.clusterStatus === 'unreachable' && s.peers.length === 0)).toBe(true);
    expect(ofType(history.all(), 'silences.sample').filter((s) => s.node === 'n3').every((s) => s.active === undefined)).toBe(true);
    const ops = ofType(history.all(), 'op.complete');
    expect(ops.map((o) => [o.kind, o.node, o.ok])).toEqual([
      ['silence.create', 'n1', true],
      ['silence.expire', 'n1', true],
      ['silence.create', 'n2', true],
      ['silence.expire', 'n2', true],
    ]);
    expect(ops[0]?.value).toEqual({ silenceID: expect.any(String) as unknown });
  });

  it('a failed silence create is recorded as ok=false and thrown', async () => {
    const history = new History();
    const silences = new SilenceOps({ history, clients: [c1] });
    const e = await silences
      .create('n1', { matchers: [{ name: 'a', value: 'b', isRegex: false }], durationMs: -60_000 })
      .catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/n1.*createSilence.*HTTP 400/);
    expect(ofType(history.all(), 'op.complete')[0]?.ok).toBe(false);
    await expect(silences.create('n7', { matchers: matchersForAlert({ a: 'b' }) })).rejects.toThrow(/n7/);
    expect(() => matchersForAlert({})).toThrow(/at least one matcher/);
  });
});
