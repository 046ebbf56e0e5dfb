/**
 * Conformance with toxiproxy-node-client 4.1.0: every call the client has, against our server, on real
 * sockets. If one of these fails, standard Toxiproxy tooling would break against amchaos.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { ProxyServer } from '../server.js';
import { connectTcp, portOf, startTcpEcho, tcpRoundTrip, type TcpEcho } from '../../../test/support/proxy/sockets.js';

let server: ProxyServer;
let echo: TcpEcho;
let client: Toxiproxy;

beforeAll(async () => {
  echo = await startTcpEcho();
  server = new ProxyServer();
  const api = await server.start({ port: 0 });
  client = new Toxiproxy(api.url);
});

afterAll(async () => {
  await server.close();
  await echo.close();
});

afterEach(async () => {
  for (const p of Object.values(await client.getAll())) await p.remove();
});

// The client's Proxy object does not keep toxics; read them through its own HTTP layer.
async function toxicNames(proxy: string): Promise<string[]> {
  const res = await client.getApi().get(`${client.host}/proxies/${proxy}`);
  return (res.data as { toxics: { name: string }[] }).toxics.map((t) => t.name);
}

const upstream = (): string => `127.0.0.1:${echo.port}`;

async function expectStatus(p: Promise<unknown>, status: number): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToxiproxyError);
  expect((err as Error).message).toBe(`Request failed with status code ${status}`);
}

describe('toxiproxy-node-client 4.1.0 against ProxyServer', () => {
  it('getVersion returns the raw version text', async () => {
    const text = await client.getVersion();
    expect(JSON.parse(text)).toEqual({ version: '2.12.0', server: 'amchaos' });
    expect(text.endsWith('\n')).toBe(true);
  });

  it('createProxy / get / getAll return usable Proxy objects and data flows', async () => {
    const p = await client.createProxy({ name: 'c1', listen: '127.0.0.1:0', upstream: upstream() });
    expect(p.name).toBe('c1');
    expect(p.upstream).toBe(upstream());
    expect(p.enabled).toBe(true);
    expect(portOf(p.listen)).toBeGreaterThan(0);

    const got = await client.get('c1');
    expect(got.toJson()).toEqual(p.toJson());
    const all = await client.getAll();
    expect(Object.keys(all)).toEqual(['c1']);
    expect(all['c1']?.listen).toBe(p.listen);

    const s = await connectTcp(portOf(p.listen));
    expect(await tcpRoundTrip(s, 'hello')).not.toBeNull();
    s.destroy();
  });

  it('createProxy rejects a duplicate (409) and a missing upstream (400)', async () => {
    await client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: upstream() });
    await expectStatus(client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: upstream() }), 409);
    await expectStatus(client.createProxy({ name: 'x', listen: '127.0.0.1:0', upstream: '' }), 400);
  });

  it('get of an unknown proxy is a 404', async () => {
    await expectStatus(client.get('nope'), 404);
  });

  it('proxy.update disables (connections refused) and re-enables on the same address', async () => {
    const p = await client.createProxy({ name: 'u1', listen: '127.0.0.1:0', upstream: upstream() });
    const off = await p.update({ enabled: false, listen: p.listen, upstream: p.upstream });
    expect(off.enabled).toBe(false);
    expect(off.listen).toBe(p.listen);
    await expect(connectTcp(portOf(p.listen))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const on = await off.update({ enabled: true, listen: p.listen, upstream: p.upstream });
    expect(on.enabled).toBe(true);
    const s = await connectTcp(portOf(on.listen));
    expect(await tcpRoundTrip(s, 'again')).not.toBeNull();
    s.destroy();
  });

  it('addToxic / getToxic / toxic.update / toxic.remove', async () => {
    const p = await client.createProxy({ name: 't1', listen: '127.0.0.1:0', upstream: upstream() });
    const t = await p.addToxic({
      name: 'lat',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 150, jitter: 0 },
    });
    expect(t.toJson()).toEqual({
      name: 'lat',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 150, jitter: 0 },
    });
    const s = await connectTcp(portOf(p.listen));
    expect(await tcpRoundTrip(s, 'x')).toBeGreaterThanOrEqual(140);

    const fetched = await p.getToxic<{ latency: number; jitter: number }>('lat');
    expect(fetched.attributes.latency).toBe(150);

    // The client's update sends the whole toxic body by POST; the server ignores name/type/stream.
    const updated = await fetched.update({ ...fetched.toJson(), attributes: { latency: 0, jitter: 0 } });
    expect(updated.attributes).toEqual({ latency: 0, jitter: 0 });
    expect((await tcpRoundTrip(s, 'y')) ?? Infinity).toBeLessThan(140);

    await updated.remove();
    await expectStatus(p.getToxic('lat'), 404);
    s.destroy();
  });

  it('addToxic with the client-typed "down" type is a 400 (it is not a toxic in Toxiproxy either)', async () => {
    const p = await client.createProxy({ name: 't2', listen: '127.0.0.1:0', upstream: upstream() });
    await expectStatus(
      p.addToxic({ name: 'd', type: 'down', stream: 'downstream', toxicity: 1, attributes: {} }),
      400,
    );
  });

  it('populate creates, keeps unchanged ones, and returns {} for an empty list', async () => {
    const made = await client.populate([
      { name: 'p1', listen: '127.0.0.1:0', upstream: upstream() },
      { name: 'p2', listen: '127.0.0.1:0', upstream: upstream(), enabled: false },
    ]);
    expect(Object.keys(made).sort()).toEqual(['p1', 'p2']);
    expect(made['p2']?.enabled).toBe(false);
    const p1 = made['p1'];
    if (p1 === undefined) throw new Error('p1 missing');
    await p1.addToxic({ name: 'keep', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 0, jitter: 0 } });
    // Same listen (now concrete) and upstream: kept as is, toxic included.
    const again = await client.populate([{ name: 'p1', listen: p1.listen, upstream: upstream() }]);
    expect(again['p1']?.listen).toBe(p1.listen);
    expect((await toxicNames('p1'))).toEqual(['keep']);
    expect(await client.populate([])).toEqual({});
  });

  it('reset re-enables proxies and removes all toxics', async () => {
    const p = await client.createProxy({ name: 'r1', listen: '127.0.0.1:0', upstream: upstream() });
    await p.addToxic({ name: 'slow', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 500, jitter: 0 } });
    await p.update({ enabled: false, listen: p.listen, upstream: p.upstream });
    await client.reset();
    const after = await client.get('r1');
    expect(after.enabled).toBe(true);
    expect(await toxicNames('r1')).toEqual([]);
  });

  it('proxy.remove deletes it (and frees its port)', async () => {
    const p = await client.createProxy({ name: 'gone', listen: '127.0.0.1:0', upstream: upstream() });
    await p.remove();
    await expectStatus(client.get('gone'), 404);
    await expectStatus(p.remove(), 404);
    await expect(connectTcp(portOf(p.listen))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('the low-level HttpClient (getApi) reads our JSON and empty bodies', async () => {
    const api = client.getApi();
    const res = await api.get(`${client.host}/proxies`);
    expect(res.data).toEqual({});
    await api.post(`${client.host}/reset`);
    await api.delete(`${client.host}/proxies/none`).then(
      () => expect.fail('expected 404'),
      (e: unknown) => expect((e as Error).message).toContain('404'),
    );
  });
});

// The client's TestHelper hard-codes http://localhost:8474; exercise it only when that port is free.
const port8474Free = await new Promise<boolean>((resolve) => {
  const probe = net.createServer();
  probe.once('error', () => resolve(false));
  probe.listen(8474, '127.0.0.1', () => probe.close(() => resolve(true)));
});

describe('toxiproxy-node-client TestHelper (hard-coded localhost:8474)', () => {
  it.skipIf(!port8474Free)(
    'createProxy / createToxic / removeAllProxies work (skipped when 127.0.0.1:8474 is taken: stop whatever listens there to run it)',
    async () => {
      const fixed = new ProxyServer();
      await fixed.start({ port: 8474 });
      try {
        // Deep import: TestHelper is not re-exported from the package index.
        const helper = (await import('toxiproxy-node-client/dist/TestHelper.js')) as typeof import('toxiproxy-node-client/dist/TestHelper.js');
        const { proxy } = await helper.createProxy('helper');
        expect(proxy.upstream).toBe('localhost:6379');
        const toxic = await helper.createToxic(proxy, 'latency', { latency: 10, jitter: 0 });
        expect(toxic.type).toBe('latency');
        await helper.removeAllProxies();
        expect(fixed.listProxies()).toEqual({});
      } finally {
        await fixed.close();
      }
    },
  );
});
