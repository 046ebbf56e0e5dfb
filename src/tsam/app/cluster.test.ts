/**
 * A mixed cluster: one real Alertmanager 0.33.1 and one tsam, on loopback. The lower-sorting peer name
 * notifies; the other waits peer_timeout, finds the gossiped nflog entry and stays quiet. Silences
 * travel both ways. The no-nflog-gossip fault must break the dedup (the test's own failure check).
 */
import { describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { captureServer, findRealAlertmanager, freePort, howToGetReal, startReal, startTsam, tempDir } from '../../../test/support/tsam/nodes.js';

const VERSIONS = ['0.33.1', '0.28.1', '0.25.0'] as const;
const found = Object.fromEntries(await Promise.all(VERSIONS.map(async (v) => [v, await findRealAlertmanager(v)] as const)));
for (const v of VERSIONS) if (!found[v]) console.warn(`SKIP mixed cluster test ${v}: ${howToGetReal(v)}`);
const real = found['0.33.1'];

const config = (url: string): string => `
route:
  receiver: cap
  group_by: [alertname]
  group_wait: 1s
  group_interval: 30s
  repeat_interval: 1h
receivers:
  - name: cap
    webhook_configs:
      - url: ${url}/hook
`;

const timing = ['--cluster.peer-timeout=2s', '--cluster.gossip-interval=200ms', '--cluster.pushpull-interval=10s', '--cluster.settle-timeout=0s'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Concurrent: each test builds its own two-node cluster on its own ports and capture, and hands
// its cleanups to its own onTestFinished.
describe.concurrent('mixed cluster: a real node + tsam', () => {

  /**
   * realName undefined: the version has no --cluster.peer-name (before 0.30) and names itself with a
   * ULID ("01…"), so tsam's name decides the order: "00…" sorts before it, "a…" after.
   */
  async function cluster(onDone: (fn: OnTestFinishedHandler) => void, realName: string | undefined, tsamName: string, tsamArgs: string[] = [], version = '0.33.1') {
    const bin = found[version]!;
    const cap = await captureServer();
    onDone(cap.close);
    const d1 = await tempDir('cl-real');
    onDone(d1.cleanup);
    const d2 = await tempDir('cl-tsam');
    onDone(d2.cleanup);
    const [rp, tp] = [await freePort(), await freePort()];
    const am = await startReal(bin, config(cap.url), d1.dir, [
      `--cluster.listen-address=127.0.0.1:${rp}`,
      `--cluster.peer=127.0.0.1:${tp}`,
      ...(realName ? [`--cluster.peer-name=${realName}`] : []),
      '--web.external-url=http://real.example/',
      ...timing,
    ]);
    onDone(am.stop);
    const ts = await startTsam(config(cap.url), d2.dir, [
      `--cluster.listen-address=127.0.0.1:${tp}`,
      `--cluster.peer=127.0.0.1:${rp}`,
      `--cluster.peer-name=${tsamName}`,
      '--web.external-url=http://tsam.example/',
      `--tsam.compat=${version}`,
      ...timing,
      ...tsamArgs,
    ]);
    onDone(ts.stop);
    const peersOf = async (u: string) =>
      ((await (await fetch(`${u}/api/v2/status`)).json()) as { cluster: { peers: unknown[]; status: string } }).cluster;
    await waitUntil('both nodes to see 2 ready peers', async () => {
      const [a, b] = await Promise.all([peersOf(am.url), peersOf(ts.url)]);
      return a.peers.length === 2 && b.peers.length === 2 && a.status === 'ready' && b.status === 'ready';
    }, 10_000);
    const postAlert = (name: string) =>
      Promise.all(
        [am.url, ts.url].map((u) =>
          fetch(`${u}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ labels: { alertname: name } }]) }),
        ),
      );
    return { cap, am, ts, postAlert };
  }

  for (const version of VERSIONS) {
    for (const [first, label] of [['real', 'real node sorts first: it notifies, tsam dedups'], ['tsam', 'tsam sorts first: it notifies, the real node dedups']] as const) {
      it.skipIf(!found[version])(`${version}: ${label}`, { timeout: 40_000 }, async ({ onTestFinished }) => {
        const named = version === '0.33.1';
        const realName = named ? (first === 'real' ? 'a-real' : 'b-real') : undefined;
        const tsamName = named ? (first === 'real' ? 'b-tsam' : 'a-tsam') : first === 'real' ? 'a-tsam' : '00-tsam';
        const { cap, am, ts, postAlert } = await cluster(onTestFinished, realName, tsamName, [], version);
        await postAlert('HA');
        await cap.waitFor(1, 5000);
        await sleep(2000 + 2000); // the second position's wait (peer timeout 2s) plus margin
        expect(cap.received.map((c) => c.body['externalURL'])).toEqual([`http://${first}.example`]);

        // A silence made on one node shows up on the other.
        const now = Date.now();
        const make = (u: string, v: string) =>
          fetch(`${u}/api/v2/silences`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({
              matchers: [{ name: 'alertname', value: v, isRegex: false }],
              startsAt: new Date(now).toISOString(),
              endsAt: new Date(now + 3_600_000).toISOString(),
              createdBy: 'cluster-test',
              comment: v,
            }),
          }).then(async (r) => ((await r.json()) as { silenceID: string }).silenceID);
        const fromReal = await make(am.url, 'from-real');
        const fromTsam = await make(ts.url, 'from-tsam');
        const ids = async (u: string) => ((await (await fetch(`${u}/api/v2/silences`)).json()) as { id: string }[]).map((s) => s.id).sort();
        await waitUntil('silences on both nodes', async () => {
          const [a, b] = await Promise.all([ids(am.url), ids(ts.url)]);
          return a.length === 2 && b.length === 2;
        }, 10_000);
        expect(await ids(am.url)).toEqual([fromReal, fromTsam].sort());
        expect(await ids(ts.url)).toEqual([fromReal, fromTsam].sort());
      });
    }
  }

  // Issue 14 row 1: a silence with an empty-value matcher ("env is absent" / "env is present") made on
  // one node is stored, listed and applied by the other, whichever of them made it.
  for (const version of VERSIONS) {
    for (const [maker, label] of [['real', 'made on the real node, applied by tsam (which notifies)'], ['tsam', 'made on tsam, applied by the real node (which notifies)']] as const) {
      it.skipIf(!found[version])(`${version}: empty-value matcher silences ${label}`, { timeout: 40_000 }, async ({ onTestFinished }) => {
        const named = version === '0.33.1';
        // The node that did not make the silences sorts first, so it is the one that notifies.
        const tsamFirst = maker === 'real';
        const realName = named ? (tsamFirst ? 'b-real' : 'a-real') : undefined;
        const tsamName = named ? (tsamFirst ? 'a-tsam' : 'b-tsam') : tsamFirst ? '00-tsam' : 'a-tsam';
        const { cap, am, ts } = await cluster(onTestFinished, realName, tsamName, [], version);
        const on = maker === 'real' ? am.url : ts.url;
        const now = Date.now();
        const make = async (matchers: object[], endsInMs: number): Promise<string> => {
          const r = await fetch(`${on}/api/v2/silences`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ matchers, startsAt: new Date(now).toISOString(), endsAt: new Date(now + endsInMs).toISOString(), createdBy: '', comment: '' }),
          });
          expect(r.status).toBe(200);
          return ((await r.json()) as { silenceID: string }).silenceID;
        };
        const present = await make([{ name: 'alertname', value: 'EV1', isRegex: false }, { name: 'env', value: '', isRegex: false, isEqual: false }], 3_600_000);
        const absent = await make([{ name: 'alertname', value: 'EV2', isRegex: false }, { name: 'env', value: '', isRegex: false, isEqual: true }], 3_700_000);
        type Sil = { id: string; matchers: { name: string; value: string; isEqual: boolean }[] };
        const listed = async (u: string): Promise<Sil[]> => (await (await fetch(`${u}/api/v2/silences`)).json()) as Sil[];
        await waitUntil('both silences on both nodes', async () => {
          const [a, b] = await Promise.all([listed(am.url), listed(ts.url)]);
          return a.length === 2 && b.length === 2;
        }, 10_000);
        for (const u of [am.url, ts.url]) {
          const sils = await listed(u);
          expect(sils.map((x) => x.id)).toEqual([present, absent]);
          expect(sils[0]!.matchers).toContainEqual({ isEqual: false, isRegex: false, name: 'env', value: '' });
          expect(sils[1]!.matchers).toContainEqual({ isEqual: true, isRegex: false, name: 'env', value: '' });
        }
        const alerts = [
          { labels: { alertname: 'EV1', env: 'prod' } },
          { labels: { alertname: 'EV1', instance: 'no-env' } },
          { labels: { alertname: 'EV2', env: 'prod' } },
          { labels: { alertname: 'EV2', instance: 'no-env' } },
        ];
        await Promise.all([am.url, ts.url].map((u) => fetch(`${u}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(alerts) })));
        // Both nodes show the same alerts silenced, by the same silence.
        type Gettable = { labels: Record<string, string>; status: { silencedBy: string[] } };
        for (const u of [am.url, ts.url]) {
          const got = (await (await fetch(`${u}/api/v2/alerts`)).json()) as Gettable[];
          const by = (name: string, env: boolean) => got.find((a) => a.labels['alertname'] === name && ('env' in a.labels) === env)!.status.silencedBy;
          expect([by('EV1', true), by('EV1', false), by('EV2', true), by('EV2', false)]).toEqual([[present], [], [], [absent]]);
        }
        // The notifying node sends only the unmuted alert of each group, once.
        await cap.waitFor(2, 6000);
        await sleep(2000 + 1000); // the other node's wait (peer timeout 2s) plus margin: no duplicate
        const sent = cap.received.map((c) => ({
          from: c.body['externalURL'],
          alerts: (c.body['alerts'] as { labels: Record<string, string> }[]).map((a) => a.labels),
        }));
        const notifier = `http://${tsamFirst ? 'tsam' : 'real'}.example`;
        expect(sent.sort((a, b) => String(a.alerts[0]!['alertname']).localeCompare(String(b.alerts[0]!['alertname'])))).toEqual([
          { from: notifier, alerts: [{ alertname: 'EV1', instance: 'no-env' }] },
          { from: notifier, alerts: [{ alertname: 'EV2', env: 'prod' }] },
        ]);
      });
    }
  }

  // Issue 14 row 6: the cluster families a dashboard reads, as the real peer exports them.
  it.skipIf(!real)('0.33.1: tsam exports the alertmanager_cluster_* series the real peer does, pings per peer included', { timeout: 40_000 }, async ({ onTestFinished }) => {
    const { am, ts } = await cluster(onTestFinished, 'a-real', 'b-tsam');
    const scrape = async (u: string): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (const line of (await (await fetch(`${u}/metrics`)).text()).split('\n')) {
        const m = /^(alertmanager_(?:cluster|peer)_[a-z_]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (m) out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
      }
      return out;
    };
    // Each probes the other once per probe interval (1 s): wait for a recorded round trip both ways.
    await waitUntil('a ping round trip each way', async () => {
      const [r, t] = await Promise.all([scrape(am.url), scrape(ts.url)]);
      return (t.get('alertmanager_cluster_pings_seconds_count{peer="a-real"}') ?? 0) > 0 && (r.get('alertmanager_cluster_pings_seconds_count{peer="b-tsam"}') ?? 0) > 0;
    }, 10_000);
    const [r, t] = await Promise.all([scrape(am.url), scrape(ts.url)]);
    const family = (k: string): string => k.replace(/\{.*/, '').replace(/_(bucket|sum|count)$/, '');
    const realFamilies = new Set([...r.keys()].map(family));
    for (const k of t.keys()) expect(realFamilies.has(family(k)), `${family(k)} on the real node`).toBe(true);
    for (const name of ['alertmanager_cluster_members', 'alertmanager_cluster_failed_peers', 'alertmanager_cluster_health_score', 'alertmanager_cluster_peers_joined_total', 'alertmanager_peer_position']) {
      expect(t.has(name), name).toBe(true);
    }
    expect(t.get('alertmanager_cluster_members')).toBe(2);
    expect(t.get('alertmanager_cluster_failed_peers')).toBe(0);
    expect(t.get('alertmanager_peer_position')).toBe(1);
    expect(t.get('alertmanager_cluster_peer_info{peer="b-tsam"}')).toBe(1);
    // The real node's view of tsam and tsam's view of the real node, in the same series shape.
    expect(t.get('alertmanager_cluster_pings_seconds_bucket{peer="a-real",le="0.5"}')).toBeGreaterThan(0);
  });

  it.skipIf(!real)('fault no-nflog-gossip on the first node makes the second notify too', { timeout: 40_000 }, async ({ onTestFinished }) => {
    const { cap, postAlert } = await cluster(onTestFinished, 'b-real', 'a-tsam', ['--tsam.fault=no-nflog-gossip']);
    await postAlert('Dup');
    await cap.waitFor(2, 8000);
    expect(cap.received.map((c) => c.body['externalURL']).sort()).toEqual(['http://real.example', 'http://tsam.example']);
  });

  it.skipIf(!real)('fault no-wait on the second node makes it notify at once, beside the first', { timeout: 40_000 }, async ({ onTestFinished }) => {
    const { cap, postAlert } = await cluster(onTestFinished, 'a-real', 'b-tsam', ['--tsam.fault=no-wait']);
    await postAlert('Race');
    await cap.waitFor(2, 8000);
    // Without the fault the second node would wait 2s, find the first one's nflog entry and stay quiet.
    expect(cap.received.map((c) => c.body['externalURL']).sort()).toEqual(['http://real.example', 'http://tsam.example']);
  });

  it.skipIf(!real)('fault no-silence-gossip keeps silences apart', { timeout: 40_000 }, async ({ onTestFinished }) => {
    const { am, ts } = await cluster(onTestFinished, 'a-real', 'b-tsam', ['--tsam.fault=no-silence-gossip']);
    const now = Date.now();
    const body = JSON.stringify({
      matchers: [{ name: 'alertname', value: 'x', isRegex: false }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      createdBy: 't',
      comment: 'c',
    });
    for (const u of [am.url, ts.url]) {
      await fetch(`${u}/api/v2/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    }
    await sleep(3000);
    for (const u of [am.url, ts.url]) {
      expect(((await (await fetch(`${u}/api/v2/silences`)).json()) as unknown[]).length).toBe(1);
    }
  });
});
