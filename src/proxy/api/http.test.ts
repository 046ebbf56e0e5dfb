/**
 * The HTTP API as Toxiproxy 2.12 defines it (reference §2–§4): status codes, bodies, headers, and every
 * kind of bad input, which must get a 4xx with an error body and never crash or hang the server.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProxyServer } from '../server.js';
import { startTcpEcho, type TcpEcho } from '../../../test/support/proxy/sockets.js';

let server: ProxyServer;
let base: string;
let echo: TcpEcho;

beforeAll(async () => {
  echo = await startTcpEcho();
  server = new ProxyServer();
  base = (await server.start({ port: 0 })).url;
});
afterAll(async () => {
  await server.close();
  await echo.close();
});
afterEach(async () => {
  for (const name of Object.keys(server.listProxies())) await server.deleteProxy(name);
});

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function expectError(r: Reply, status: number, message?: string | RegExp): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  expect(r.text.endsWith('\n')).toBe(true);
  const body = r.json as { error: string; status: number };
  expect(body.status).toBe(status);
  expect(typeof body.error).toBe('string');
  if (typeof message === 'string') expect(body.error).toBe(message);
  else if (message) expect(body.error).toMatch(message);
}

const up = (): string => `127.0.0.1:${echo.port}`;

async function mkProxy(name = 'p', extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const r = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: up(), ...extra });
  expect(r.status).toBe(201);
  return r.json as Record<string, unknown>;
}

describe('transport conventions', () => {
  it('/version: exact body and content type', async () => {
    const r = await call('GET', '/version');
    expect(r.status).toBe(200);
    // Toxiproxy 2.12.0's exact text, so clients comparing versions accept us; `server` says who answers.
    expect(r.text).toBe('{"version": "2.12.0", "server": "amchaos"}\n');
    expect(r.headers.get('content-type')).toBe('application/json;charset=utf-8');
    // Whole, not chunked, as Go's net/http sends a small answer.
    expect(r.headers.get('content-length')).toBe(String(r.text.length));
    expect(r.headers.get('x-toxiproxy-request-id')).toMatch(/^[0-9a-f]{20}$/);
  });

  it('unknown paths and trailing slashes are 404 "404 page not found"', async () => {
    for (const path of ['/nope', '/proxies/', '/proxies/p/toxics/', '/proxies//toxics', '/metrics', '/proxies/a/b']) {
      const r = await call('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.text).toBe('404 page not found\n');
      expect(r.headers.get('content-length')).toBe('19');
    }
  });

  it('a known path with the wrong method is 405 with an empty body and no request id', async () => {
    for (const [method, path] of [
      ['PUT', '/proxies'],
      ['DELETE', '/version'],
      ['GET', '/reset'],
      ['GET', '/populate'],
      ['PUT', '/proxies/p'],
      ['PATCH', '/proxies/p/toxics'],
    ] as const) {
      const r = await call(method, path);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.text).toBe('');
      expect(r.headers.get('x-toxiproxy-request-id')).toBeNull();
    }
  });

  it('browsers (User-Agent Mozilla/...) are refused with 403', async () => {
    const r = await call('GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0 (X11)' });
    expect(r.status).toBe(403);
    expect(r.text).toBe('User agent not allowed\n');
    expect((await call('GET', '/proxies', undefined, { 'User-Agent': 'curl/8' })).status).toBe(200);
  });
});

describe('proxies', () => {
  it('create: 201 with Toxiproxy key order, then our extensions', async () => {
    const body = await mkProxy('shape');
    expect(Object.keys(body)).toEqual(['name', 'listen', 'upstream', 'enabled', 'Logger', 'toxics', 'udp', 'stats']);
    expect(body['Logger']).toEqual({});
    expect(body['toxics']).toEqual([]);
    expect(body['udp']).toBe(false);
    expect(body['listen']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(body['listen']).not.toBe('127.0.0.1:0');
  });

  it('create: localhost is rewritten to the bound IP; a disabled proxy keeps listen as given', async () => {
    const a = await mkProxy('lh', { listen: 'localhost:0' });
    expect(a['listen']).toMatch(/^127\.0\.0\.1:\d+$/);
    const b = await mkProxy('off', { listen: 'localhost:0', enabled: false });
    expect(b['listen']).toBe('localhost:0');
    expect(b['enabled']).toBe(false);
  });

  it('create: bad bodies are 400s with Toxiproxy messages where it has them', async () => {
    expectError(await call('POST', '/proxies', ''), 400, 'bad request body: EOF');
    expectError(await call('POST', '/proxies', '{"name":'), 400, /^bad request body: /);
    expectError(await call('POST', '/proxies', '[1,2]'), 400, /^bad request body: expected a JSON object/);
    expectError(await call('POST', '/proxies', '"str"'), 400, /^bad request body/);
    expectError(await call('POST', '/proxies', { upstream: up() }), 400, 'missing required field: name');
    expectError(await call('POST', '/proxies', { name: '', upstream: up() }), 400, 'missing required field: name');
    expectError(await call('POST', '/proxies', { name: 'x' }), 400, 'missing required field: upstream');
    expectError(await call('POST', '/proxies', { name: 5, upstream: up() }), 400, /name must be a string/);
    expectError(await call('POST', '/proxies', { name: 'x', upstream: up(), enabled: 'yes' }), 400, /enabled must be true or false/);
    expectError(await call('POST', '/proxies', { name: 'x', upstream: up(), udp: 1 }), 400, /udp must be true or false/);
    expect(server.listProxies()).toEqual({});
  });

  it('create: malformed listen and upstream addresses are 400s that say what is wrong', async () => {
    const bad: [string, string, RegExp][] = [
      ['listen', '127.0.0.1', /missing port/],
      ['listen', '127.0.0.1:99999', /port must be a number/],
      ['listen', '127.0.0.1:http', /port must be a number/],
      ['listen', '::1:80', /IPv6 addresses need brackets/],
      ['listen', '[::1:80', /missing "]"/],
      ['listen', 'bad host!:80', /neither an IP address nor a hostname/],
      ['upstream', 'nohost', /missing port/],
      ['upstream', '127.0.0.1:0', /upstream port must not be 0/],
      ['upstream', '127.0.0.1:-5', /port must be a number/],
    ];
    for (const [field, value, why] of bad) {
      const body = { name: 'x', listen: '127.0.0.1:0', upstream: up(), [field]: value };
      expectError(await call('POST', '/proxies', body), 400, why);
    }
    expect(server.listProxies()).toEqual({});
  });

  it('create: duplicate name is 409; a port in use is 500 and adds nothing', async () => {
    const first = await mkProxy('dup');
    expectError(await call('POST', '/proxies', { name: 'dup', listen: '127.0.0.1:0', upstream: up() }), 409, 'proxy already exists');
    const r = await call('POST', '/proxies', { name: 'clash', listen: first['listen'], upstream: up() });
    expectError(r, 500, /address already in use/);
    expect(Object.keys(server.listProxies())).toEqual(['dup']);
  });

  it('two concurrent creates of one name: one 201, one 409', async () => {
    const body = { name: 'race', listen: '127.0.0.1:0', upstream: up() };
    const codes = (await Promise.all([call('POST', '/proxies', body), call('POST', '/proxies', body)])).map((r) => r.status);
    expect(codes.sort()).toEqual([201, 409]);
  });

  it('get / list / delete', async () => {
    await mkProxy('g');
    expect((await call('GET', '/proxies/g')).status).toBe(200);
    expect(Object.keys((await call('GET', '/proxies')).json as object)).toEqual(['g']);
    expectError(await call('GET', '/proxies/none'), 404, 'proxy not found');
    const d = await call('DELETE', '/proxies/g');
    expect(d.status).toBe(204);
    expect(d.text).toBe('');
    expectError(await call('DELETE', '/proxies/g'), 404, 'proxy not found');
  });

  it('update: POST and PATCH, partial bodies, empty body is 400, unknown proxy 404', async () => {
    const p = await mkProxy('upd');
    expectError(await call('POST', '/proxies/upd', ''), 400, 'bad request body: EOF');
    expectError(await call('PATCH', '/proxies/upd', { enabled: 'no' }), 400);
    expectError(await call('PATCH', '/proxies/upd', { listen: 'junk' }), 400, /missing port/);
    expectError(await call('PATCH', '/proxies/nope', {}), 404, 'proxy not found');
    const same = await call('POST', '/proxies/upd', {});
    expect(same.status).toBe(200);
    expect((same.json as Record<string, unknown>)['listen']).toBe(p['listen']);
    const off = await call('PATCH', '/proxies/upd', { enabled: false });
    expect((off.json as Record<string, unknown>)['enabled']).toBe(false);
    const on = await call('PATCH', '/proxies/upd', { enabled: true, name: 'ignored' });
    expect(on.json).toMatchObject({ name: 'upd', enabled: true, listen: p['listen'] });
  });

  it('update: a new upstream keeps the proxy listening on the same address', async () => {
    const p = await mkProxy('mv');
    const r = await call('PATCH', '/proxies/mv', { upstream: '127.0.0.1:9' });
    expect(r.json).toMatchObject({ upstream: '127.0.0.1:9', enabled: true });
    // Same listen string re-bound (it was concrete).
    expect((r.json as Record<string, unknown>)['listen']).toBe(p['listen']);
  });
});

describe('toxics', () => {
  it('create: 200, key order, default name from type and stream as given', async () => {
    await mkProxy('t');
    const r = await call('POST', '/proxies/t/toxics', { type: 'latency', stream: 'UpStream', attributes: { latency: 5 } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json as object)).toEqual(['attributes', 'name', 'type', 'stream', 'toxicity', 'transport']);
    expect(r.json).toEqual({
      attributes: { latency: 5, jitter: 0 },
      name: 'latency_UpStream',
      type: 'latency',
      stream: 'UpStream',
      toxicity: 1,
      transport: 'both',
    });
    const d = await call('POST', '/proxies/t/toxics', { type: 'bandwidth', attributes: { rate: 10 } });
    expect(d.json).toMatchObject({ name: 'bandwidth_downstream', stream: 'downstream', transport: 'tcp' });
    const n = await call('POST', '/proxies/t/toxics', { type: 'noop', attributes: null });
    expect(n.json).toMatchObject({ name: 'noop_downstream', attributes: {} });
    // Listing: upstream first, then downstream, each in creation order.
    const list = await call('GET', '/proxies/t/toxics');
    expect((list.json as { name: string }[]).map((t) => t.name)).toEqual(['latency_UpStream', 'bandwidth_downstream', 'noop_downstream']);
  });

  it('create: structural errors (stream, type, name, JSON) with Toxiproxy messages', async () => {
    await mkProxy('t');
    const T = '/proxies/t/toxics';
    expectError(await call('POST', T, ''), 400, 'bad request body: EOF');
    expectError(await call('POST', T, '{"type":"latency",'), 400, /^bad request body/);
    expectError(await call('POST', T, { type: 'latency', stream: 'sideways' }), 400, 'stream was invalid, can be either upstream or downstream');
    expectError(await call('POST', T, { type: 'latency', stream: 3 }), 400, /stream must be a string/);
    expectError(await call('POST', T, { type: 'down' }), 400, 'invalid toxic type');
    expectError(await call('POST', T, { attributes: {} }), 400, 'invalid toxic type');
    expectError(await call('POST', T, { type: 'latency', name: 7 }), 400, /name must be a string/);
    expectError(await call('POST', '/proxies/none/toxics', { type: 'latency' }), 404, 'proxy not found');
    expectError(await call('GET', '/proxies/none/toxics'), 404, 'proxy not found');
    await call('POST', T, { type: 'latency', name: 'same', stream: 'upstream' });
    // Names are unique across both directions.
    expectError(await call('POST', T, { type: 'noop', name: 'same', stream: 'downstream' }), 409, 'toxic already exists');
    expectError(await call('GET', `${T}/missing`), 404, 'toxic not found');
  });

  it('create: every attribute is range-checked (values that hang or crash real Toxiproxy included)', async () => {
    await mkProxy('t');
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ type: 'latency', attributes: { latency: -1 } }, /latency must be between 0/],
      [{ type: 'latency', attributes: { jitter: -5 } }, /jitter must be between 0/],
      [{ type: 'latency', attributes: { latency: '100' } }, /must be a number/],
      [{ type: 'latency', attributes: { latency: 1.5 } }, /whole number/],
      [{ type: 'latency', attributes: { latency: 3_000_000_000 } }, /latency must be between/],
      [{ type: 'latency', attributes: 'fast' }, /attributes must be an object/],
      [{ type: 'latency', attributes: [1] }, /attributes must be an object/],
      [{ type: 'bandwidth', attributes: { rate: 0 } }, /rate must be between 1/],
      [{ type: 'bandwidth', attributes: { rate: -10 } }, /rate must be between 1/],
      [{ type: 'slow_close', attributes: { delay: -1 } }, /delay must be between 0/],
      [{ type: 'timeout', attributes: { timeout: -1 } }, /timeout must be between 0/],
      [{ type: 'reset_peer', attributes: { timeout: -1 } }, /timeout must be between 0/],
      [{ type: 'slicer', attributes: { average_size: 0, size_variation: 0 } }, /average_size must be between 1/],
      [{ type: 'slicer', attributes: { average_size: 10, size_variation: 20 } }, /size_variation \(20\) must be smaller than average_size \(10\)/],
      [{ type: 'slicer', attributes: { average_size: 10, size_variation: 10 } }, /must be smaller/],
      [{ type: 'slicer', attributes: { average_size: 10, size_variation: -1 } }, /size_variation must be between 0/],
      [{ type: 'slicer', attributes: { average_size: 10, delay: -1 } }, /delay must be between 0/],
      [{ type: 'limit_data', attributes: { bytes: -1 } }, /bytes must be between 0/],
      [{ type: 'loss', attributes: { probability: 1.5 } }, /probability must be between 0 and 1/],
      [{ type: 'loss', attributes: { probability: -0.1 } }, /probability must be between 0 and 1/],
      [{ type: 'latency', toxicity: 1.5 }, /toxicity must be between 0 and 1/],
      [{ type: 'latency', toxicity: -0.1 }, /toxicity must be between 0 and 1/],
      [{ type: 'latency', toxicity: '1' }, /toxicity must be a number/],
      [{ type: 'latency', transport: 'sctp' }, /transport must be/],
      [{ type: 'loss', transport: 'tcp' }, /acts on udp only/],
      [{ type: 'loss', transport: 'both' }, /acts on udp only/],
      [{ type: 'bandwidth', attributes: { rate: 1 }, transport: 'udp' }, /acts on tcp only/],
    ];
    for (const [body, why] of bad) expectError(await call('POST', '/proxies/t/toxics', body), 400, why);
    expect((await call('GET', '/proxies/t/toxics')).json).toEqual([]);
  });

  it('create: unknown attribute keys are ignored (Toxiproxy) and missing ones are 0', async () => {
    await mkProxy('t');
    const r = await call('POST', '/proxies/t/toxics', { type: 'latency', attributes: { latency: 3, typo: 9 } });
    expect((r.json as { attributes: unknown }).attributes).toEqual({ latency: 3, jitter: 0 });
  });

  it('update: partial attributes merge; bad values leave the toxic unchanged; name/type/stream ignored', async () => {
    await mkProxy('t');
    await call('POST', '/proxies/t/toxics', { type: 'latency', name: 'l', attributes: { latency: 100, jitter: 10 } });
    const a = await call('POST', '/proxies/t/toxics/l', { attributes: { jitter: 3 } });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ attributes: { latency: 100, jitter: 3 } });
    const b = await call('PATCH', '/proxies/t/toxics/l', { toxicity: 0.5, name: 'other', type: 'bandwidth', stream: 'upstream' });
    expect(b.json).toMatchObject({ name: 'l', type: 'latency', stream: 'downstream', toxicity: 0.5 });
    expectError(await call('PATCH', '/proxies/t/toxics/l', { attributes: { latency: -1 } }), 400);
    expectError(await call('PATCH', '/proxies/t/toxics/l', { attributes: { latency: 1 }, toxicity: 2 }), 400);
    expectError(await call('PATCH', '/proxies/t/toxics/l', ''), 400, 'bad request body: EOF');
    expect((await call('GET', '/proxies/t/toxics/l')).json).toMatchObject({ attributes: { latency: 100, jitter: 3 }, toxicity: 0.5 });
    await call('POST', '/proxies/t/toxics', { type: 'slicer', name: 's', attributes: { average_size: 10, size_variation: 2 } });
    expectError(await call('PATCH', '/proxies/t/toxics/s', { attributes: { average_size: 2 } }), 400, /must be smaller/);
    expectError(await call('PATCH', '/proxies/t/toxics/missing', {}), 404, 'toxic not found');
  });

  it('delete: 204 then 404', async () => {
    await mkProxy('t');
    await call('POST', '/proxies/t/toxics', { type: 'noop', name: 'n' });
    const d = await call('DELETE', '/proxies/t/toxics/n');
    expect(d.status).toBe(204);
    expect(d.text).toBe('');
    expectError(await call('DELETE', '/proxies/t/toxics/n'), 404, 'toxic not found');
  });
});

describe('/populate and /reset', () => {
  it('populate: 201 {proxies:[...]}; [] gives an empty array (not null)', async () => {
    const r = await call('POST', '/populate', [{ name: 'a', listen: '127.0.0.1:0', upstream: up() }]);
    expect(r.status).toBe(201);
    expect((r.json as { proxies: { name: string }[] }).proxies.map((p) => p.name)).toEqual(['a']);
    expect((await call('POST', '/populate', [])).json).toEqual({ proxies: [] });
  });

  it('populate: validation errors come before any change, with "at proxy N" and proxies:null', async () => {
    const r = await call('POST', '/populate', [
      { name: 'ok', listen: '127.0.0.1:0', upstream: up() },
      { listen: '127.0.0.1:0', upstream: up() },
    ]);
    expectError(r, 400, 'missing required field: name at proxy 2');
    expect((r.json as { proxies: unknown }).proxies).toBeNull();
    expectError(await call('POST', '/populate', { name: 'x' }), 400, /expected an array/);
    expectError(await call('POST', '/populate', ''), 400, 'bad request body: EOF');
    expect(server.listProxies()).toEqual({});
  });

  it('populate: a listen failure stops processing and reports the proxies handled so far', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const busyPort = (busy.address() as net.AddressInfo).port;
    try {
      const r = await call('POST', '/populate', [
        { name: 'first', listen: '127.0.0.1:0', upstream: up() },
        { name: 'second', listen: `127.0.0.1:${busyPort}`, upstream: up() },
        { name: 'third', listen: '127.0.0.1:0', upstream: up() },
      ]);
      expectError(r, 500, /address already in use/);
      expect((r.json as { proxies: { name: string }[] }).proxies.map((p) => p.name)).toEqual(['first']);
      expect(Object.keys(server.listProxies())).toEqual(['first']);
    } finally {
      busy.close();
    }
  });

  it('populate: an unchanged proxy is kept with its toxics; a changed one is replaced without them', async () => {
    const p = await mkProxy('keep');
    await call('POST', '/proxies/keep/toxics', { type: 'noop', name: 'n' });
    await call('POST', '/populate', [{ name: 'keep', listen: p['listen'], upstream: up() }]);
    expect((await call('GET', '/proxies/keep/toxics')).json).toHaveLength(1);
    await call('POST', '/populate', [{ name: 'keep', listen: p['listen'], upstream: '127.0.0.1:9' }]);
    expect((await call('GET', '/proxies/keep')).json).toMatchObject({ upstream: '127.0.0.1:9', toxics: [] });
  });

  it('reset: 204, re-enables and strips toxics, ignores its body', async () => {
    await mkProxy('r');
    await call('POST', '/proxies/r/toxics', { type: 'latency', attributes: { latency: 100 } });
    await call('PATCH', '/proxies/r', { enabled: false });
    const r = await call('POST', '/reset', 'not even json');
    expect(r.status).toBe(204);
    expect((await call('GET', '/proxies/r')).json).toMatchObject({ enabled: true, toxics: [] });
  });
});

describe('robustness', () => {
  it('an oversized body is a 400, and the server keeps answering after a barrage of garbage', async () => {
    expectError(await call('POST', '/proxies', 'x'.repeat(2 * 1024 * 1024)), 400, /larger than/);
    // (`null` is not here: for /populate Go decodes it as an empty list and answers 201.)
    const garbage = ['{', '{"name":null}', '\u0000\u0001', '{"attributes":{"latency":{}}}', '1e999', '[{"name":1}]'];
    for (const g of garbage) {
      for (const path of ['/proxies', '/populate', '/proxies/none/toxics']) {
        const r = await call('POST', path, g);
        expect(r.status, `${path} ${JSON.stringify(g)}`).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
      }
    }
    expect((await call('POST', '/populate', 'null')).json).toEqual({ proxies: [] });
    expectError(await call('POST', '/proxies', '[]'), 400, /expected a JSON object/);
    expect((await call('GET', '/version')).status).toBe(200);
  });

  it('a toxic body with garbage in it is a 400 on a live proxy', async () => {
    await mkProxy('g');
    for (const g of ['{', '[]', '"x"', '{"type":"latency","attributes":{"latency":{}}}', '{"type":["latency"]}', '{"type":"latency","toxicity":null,"attributes":{"latency":null}}']) {
      const r = await call('POST', '/proxies/g/toxics', g);
      if (g.includes('null')) expect(r.status, g).toBe(200);
      else expect(r.status, g).toBe(400);
    }
  });
});
