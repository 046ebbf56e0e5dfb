import { createServer, type Server, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import { History, ofType } from '../history/history.js';
import { AlertmanagerClient, nodeApiErrorDetails } from './client.js';
import { failedOutcome, OpRecorder, RecordingClient } from './recording.js';
import {
  binaryEnvVar,
  findAlertmanagerBinary,
  freePort,
  startTestAlertmanager,
  type TestAlertmanager,
} from '../../test/support/client/alertmanager-process.js';

/** A receiver without integrations: the node routes alerts but notifies nobody. */
const CONFIG = `route:
  receiver: quiet
  group_by: [alertname]
receivers:
- name: quiet
`;

async function expectNodeApiError(p: Promise<unknown>): Promise<ReturnType<typeof nodeApiErrorDetails> & object> {
  try {
    await p;
  } catch (e) {
    expect(isAmchaosError(e, 'AMCHAOS_NODE_API'), String(e)).toBe(true);
    const d = nodeApiErrorDetails(e);
    expect(d).toBeDefined();
    return d!;
  }
  throw new Error('expected the call to fail');
}

function silenceFor(name: string, value: string, minutes = 60) {
  const now = Date.now();
  return {
    matchers: [{ name, value, isRegex: false, isEqual: true }],
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + minutes * 60_000).toISOString(),
    createdBy: 'amchaos-test',
    comment: 'client test',
  };
}

for (const version of ['0.25.0', '0.28.1', '0.33.1']) {
  const binary = await findAlertmanagerBinary(version);
  if (!binary) {
    console.warn(`client tests against Alertmanager ${version} skipped: binary not found; set ${binaryEnvVar(version)}=/path/to/alertmanager to enable`);
  }

  describe.skipIf(!binary)(`AlertmanagerClient against real Alertmanager ${version}`, () => {
    let am: TestAlertmanager;
    let client: AlertmanagerClient;

    beforeAll(async () => {
      // A route prefix proves the client keeps the base path on every call.
      am = await startTestAlertmanager({ binary: binary!, config: CONFIG, routePrefix: '/n1' });
      client = new AlertmanagerClient({ node: 'n1', url: am.apiURL, timeoutMs: 5000 });
    });
    afterAll(async () => {
      await client?.close();
      await am?.stop();
    });

    it('healthy, ready, status, receivers', async () => {
      await client.healthy();
      await client.ready();
      const s = await client.status();
      // Debian's 0.28.1 reports "0.28.1+ds".
      expect(s.versionInfo.version.startsWith(version), s.versionInfo.version).toBe(true);
      expect(s.cluster.status).toBe('disabled');
      expect(s.config.original).toContain('quiet');
      expect((await client.receivers()).map((r) => r.name)).toEqual(['quiet']);
    });

    it('posts alerts and lists them, with filters, and as groups', async () => {
      const endsAt = new Date(Date.now() + 600_000).toISOString();
      await client.postAlerts([
        { labels: { alertname: 'ClientA', instance: 'i1' }, annotations: { summary: 's' }, endsAt },
        { labels: { alertname: 'ClientA', instance: 'i2' }, endsAt },
        { labels: { alertname: 'ClientB', instance: 'i1' }, endsAt },
      ]);
      const all = await client.getAlerts();
      expect(all.map((a) => a.labels['alertname'] + '/' + a.labels['instance']).sort()).toEqual(['ClientA/i1', 'ClientA/i2', 'ClientB/i1']);
      const a1 = all.find((a) => a.labels['instance'] === 'i1' && a.labels['alertname'] === 'ClientA')!;
      expect(a1.annotations).toEqual({ summary: 's' });
      expect(a1.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(a1.receivers).toEqual([{ name: 'quiet' }]);

      const onlyA = await client.getAlerts({ filter: ['alertname="ClientA"'], active: true });
      expect(onlyA).toHaveLength(2);
      const none = await client.getAlerts({ filter: ['alertname="Nope"'] });
      expect(none).toEqual([]);
      const regex = await client.getAlerts({ filter: ['alertname=~"Client.*"', 'instance="i1"'] });
      expect(regex).toHaveLength(2);

      const groups = await client.getAlertGroups();
      const byName = new Map(groups.map((g) => [g.labels['alertname'], g]));
      expect(byName.get('ClientA')?.alerts).toHaveLength(2);
      expect(byName.get('ClientB')?.receiver).toEqual({ name: 'quiet' });
      expect(await client.getAlertGroups({ filter: ['alertname="ClientB"'] })).toHaveLength(1);
    });

    it('creates, gets, lists and expires a silence, and the alert shows as silenced', async () => {
      await client.postAlerts([{ labels: { alertname: 'Silenced', instance: 'x' }, endsAt: new Date(Date.now() + 600_000).toISOString() }]);
      const id = await client.createSilence(silenceFor('alertname', 'Silenced'));
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const got = await client.getSilence(id);
      expect(got.id).toBe(id);
      expect(got.status.state).toBe('active');
      expect(got.matchers[0]).toMatchObject({ name: 'alertname', value: 'Silenced', isRegex: false });
      const list = await client.getSilences();
      expect(list.map((s) => s.id)).toContain(id);
      const filtered = await client.getSilences({ filter: ['alertname="Silenced"'] });
      expect(filtered.map((s) => s.id)).toEqual([id]);

      const silenced = await client.getAlerts({ filter: ['alertname="Silenced"'] });
      expect(silenced[0]?.status.silencedBy).toEqual([id]);
      expect(silenced[0]?.status.state).toBe('suppressed');
      expect(await client.getAlerts({ filter: ['alertname="Silenced"'], silenced: false })).toEqual([]);

      await client.expireSilence(id);
      expect((await client.getSilence(id)).status.state).toBe('expired');
    });

    it('reload works, and a broken config fails with the node, status and reason', async () => {
      await client.reload();
      await writeFile(am.configFile, 'route: [not a route\n');
      try {
        const d = await expectNodeApiError(client.reload());
        expect(d.node).toBe('n1');
        expect(d.operation).toBe('reload');
        expect(d.failure).toBe('http');
        expect(d.status).toBe(500);
        expect(d.body).toMatch(/yaml|unmarshal|parse/i);
      } finally {
        await writeFile(am.configFile, CONFIG);
      }
      await client.reload();
    });

    it('rejects bad input with the HTTP status and the body excerpt', async () => {
      const empty = await expectNodeApiError(client.createSilence({ ...silenceFor('a', 'b'), matchers: [] }));
      expect(empty.status).toBe(422);
      expect(empty.body).toContain('matchers');
      expect(empty.operation).toBe('createSilence');

      const backwards = silenceFor('a', 'b');
      backwards.endsAt = new Date(Date.now() - 3_600_000).toISOString();
      const bw = await expectNodeApiError(client.createSilence(backwards));
      expect(bw.status).toBe(400);

      const noLabels = await expectNodeApiError(client.postAlerts([{ labels: {} }]));
      expect(noLabels.status).toBe(400);
      expect(noLabels.body).toContain('at least one label pair required');

      const unknown = await expectNodeApiError(client.getSilence('00000000-0000-0000-0000-000000000000'));
      expect(unknown.status).toBe(404);
      const notUUID = await expectNodeApiError(client.getSilence('nope'));
      expect(notUUID.status).toBe(422);

      // 0.25.0 answers 500 "silence not found", newer versions 404.
      const expireUnknown = await expectNodeApiError(client.expireSilence('00000000-0000-0000-0000-000000000000'));
      expect([404, 500]).toContain(expireUnknown.status);
    });

    it('without the route prefix every call is a 404 naming the node and operation', async () => {
      const wrong = new AlertmanagerClient({ node: 'n9', url: `http://127.0.0.1:${am.port}` });
      try {
        const e = await wrong.status().catch((x: unknown) => x);
        expect(isAmchaosError(e, 'AMCHAOS_NODE_API')).toBe(true);
        expect((e as Error).message).toContain('n9');
        expect((e as Error).message).toContain('status');
        expect(nodeApiErrorDetails(e)?.status).toBe(404);
      } finally {
        await wrong.close();
      }
    });

    it('RecordingClient records invoke/complete pairs with outcomes', async () => {
      const history = new History();
      const rec = new RecordingClient(client, new OpRecorder(history));
      const id = await rec.createSilence(silenceFor('alertname', 'Recorded'));
      await rec.expireSilence(id);
      await rec.getSilences();
      await rec.status();
      await rec.postAlerts([{ labels: { alertname: 'Recorded' } }]);
      await rec.getAlerts();
      await expect(rec.createSilence({ ...silenceFor('a', 'b'), matchers: [] })).rejects.toThrow(/422/);

      const inv = ofType(history.all(), 'op.invoke');
      const comp = ofType(history.all(), 'op.complete');
      expect(inv.map((e) => e.kind)).toEqual(['silence.create', 'silence.expire', 'silences.list', 'status', 'alerts.post', 'alerts.list', 'silence.create']);
      expect(comp.map((e) => e.op)).toEqual(inv.map((e) => e.op));
      expect(new Set(inv.map((e) => e.op)).size).toBe(inv.length);
      expect(comp[0]).toMatchObject({ ok: true, value: { silenceID: id }, node: 'n1' });
      expect(comp[3]?.value).toMatchObject({ cluster: { status: 'disabled' } });
      expect(String((comp[3]?.value as { version?: string }).version)).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')}`));
      expect(comp[6]).toMatchObject({ ok: false, value: { failure: 'http', status: 422 } });
      expect(comp[6]?.error).toContain('createSilence');
    });
  });
}

describe('AlertmanagerClient failures without a node', () => {
  let silent: Server;
  let silentPort: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never answers: the shape of a paused (SIGSTOP) node.
    silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const a = silent.address();
    silentPort = typeof a === 'object' && a ? a.port : 0;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('a closed port is "refused", names node, URL and operation, and records ok=false', async () => {
    const port = await freePort();
    const client = new AlertmanagerClient({ node: 'n3', url: `http://127.0.0.1:${port}` });
    const history = new History();
    const rec = new RecordingClient(client, new OpRecorder(history));
    try {
      const e = await rec.createSilence(silenceFor('a', 'b')).catch((x: unknown) => x);
      expect(isAmchaosError(e, 'AMCHAOS_NODE_API')).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toContain('n3');
      expect(msg).toContain(`127.0.0.1:${port}`);
      expect(msg).toContain('createSilence');
      expect(nodeApiErrorDetails(e)).toMatchObject({ failure: 'refused', errno: 'ECONNREFUSED', node: 'n3' });
      expect((e as { hint?: string }).hint).toMatch(/running/);
      const c = ofType(history.all(), 'op.complete');
      expect(c).toHaveLength(1);
      expect(c[0]?.ok).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('a node that never answers times out per request and records ok=null', async () => {
    const client = new AlertmanagerClient({ node: 'n2', url: `http://127.0.0.1:${silentPort}`, timeoutMs: 60_000 });
    const history = new History();
    const rec = new RecordingClient(client, new OpRecorder(history));
    try {
      const e = await rec.postAlerts([{ labels: { a: 'b' } }], { timeoutMs: 300 }).catch((x: unknown) => x);
      expect(nodeApiErrorDetails(e)).toMatchObject({ failure: 'timeout', node: 'n2', operation: 'postAlerts' });
      expect((e as Error).message).toContain('300 ms');
      const c = ofType(history.all(), 'op.complete');
      expect(c[0]?.ok).toBeNull();
      const e2 = await rec.getSilences(undefined, { timeoutMs: 200 }).catch((x: unknown) => x);
      expect(nodeApiErrorDetails(e2)?.failure).toBe('timeout');
    } finally {
      await client.close();
    }
  });

  it('a caller abort is "aborted", not a timeout', async () => {
    const client = new AlertmanagerClient({ node: 'n2', url: `http://127.0.0.1:${silentPort}` });
    try {
      const ac = new AbortController();
      const p = client.status({ signal: ac.signal }).catch((x: unknown) => x);
      setTimeout(() => ac.abort(), 50);
      expect(nodeApiErrorDetails(await p)?.failure).toBe('aborted');
    } finally {
      await client.close();
    }
  });

  it('a connection reset mid-request is "network" (indeterminate for writes)', async () => {
    const rude = createServer((s) => s.once('data', () => s.destroy()));
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    const a = rude.address();
    const client = new AlertmanagerClient({ node: 'n4', url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
    try {
      const e = await client.postAlerts([{ labels: { a: 'b' } }]).catch((x: unknown) => x);
      expect(nodeApiErrorDetails(e)?.failure).toBe('network');
      expect(failedOutcome('alerts.post', e)).toBeNull();
      expect(failedOutcome('silences.list', e)).toBe(false);
    } finally {
      await client.close();
      await new Promise((r) => rude.close(r));
    }
  });

  it('classifies outcomes: connect failures definite, answers definite for reads, writes careful', () => {
    const err = (failure: string, status?: number) =>
      new AmchaosError('AMCHAOS_NODE_API', 'x', { details: { node: 'n1', url: 'u', operation: 'o', method: 'GET', path: '/', failure, status } });
    expect(failedOutcome('silence.create', err('unreachable'))).toBe(false);
    expect(failedOutcome('silence.create', err('refused'))).toBe(false);
    expect(failedOutcome('silence.create', err('timeout'))).toBeNull();
    expect(failedOutcome('silence.create', err('http', 422))).toBe(false);
    expect(failedOutcome('silence.create', err('http', 500))).toBeNull();
    expect(failedOutcome('alerts.post', err('http', 400))).toBeNull();
    expect(failedOutcome('silences.list', err('http', 500))).toBe(false);
    expect(failedOutcome('status', new Error('not ours'))).toBeNull();
  });

  it('bad URLs are rejected at construction', () => {
    expect(() => new AlertmanagerClient({ node: 'n1', url: 'not a url' })).toThrow(/n1.*not a URL/);
    expect(() => new AlertmanagerClient({ node: 'n1', url: 'https://x' })).toThrow(/http:\/\//);
  });

  it('op ids stay unique across recorders sharing a history', async () => {
    const history = new History();
    const a = new OpRecorder(history);
    const b = new OpRecorder(history);
    await a.run('status', 'n1', undefined, async () => 1);
    await b.run('status', 'n2', undefined, async () => 2);
    await a.run('status', 'n1', undefined, async () => 3);
    expect(ofType(history.all(), 'op.invoke').map((e) => e.op)).toEqual([1, 2, 3]);
  });
});
