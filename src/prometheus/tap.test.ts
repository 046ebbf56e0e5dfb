import { createServer, type Server } from 'node:http';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { History } from '../history/history.js';
import type { OpCompleteEvent, OpInvokeEvent } from '../history/types.js';
import { freePort } from '../runtime/common/ports.js';
import { SendTap } from './tap.js';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

/** A stand-in for a node's API that keeps what it was sent and answers `status`. */
async function upstream(status: number): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bodies };
}

const ALERTS = [{ labels: { alertname: 'A' }, startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T00:00:08Z' }];

describe('SendTap: what a replica sends to a node passes through unchanged, recorded as it was sent', () => {
  it('records the POST (from the replica, to the node) and the answer, hands the alerts to the intents first, and forwards the body byte for byte', async () => {
    const node = await upstream(200);
    const history = new History();
    const seen: string[] = [];
    const tap = new SendTap({ replica: 'p1', node: 'n1', upstream: node.url, history, onAlerts: (r, alerts) => seen.push(`${r}:${alerts.length}`) });
    stops.push(() => tap.stop());
    const addr = await tap.start();
    const body = JSON.stringify(ALERTS);
    const res = await request(`http://${addr}/api/v2/alerts`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(node.bodies).toEqual([body]);
    expect(seen).toEqual(['p1:1']);
    const inv = history.all().find((e): e is OpInvokeEvent => e.type === 'op.invoke')!;
    expect(inv).toMatchObject({ kind: 'alerts.post', node: 'n1', from: 'p1', value: ALERTS });
    expect(history.all().find((e): e is OpCompleteEvent => e.type === 'op.complete')).toMatchObject({ op: inv.op, ok: true });
  });

  it('an error answer may have had an effect (indeterminate); a node that refuses makes the tap drop the connection, as the network would', async () => {
    const node = await upstream(400);
    const history = new History();
    const tap = new SendTap({ replica: 'p2', node: 'n1', upstream: node.url, history });
    stops.push(() => tap.stop());
    const addr = await tap.start();
    const r400 = await request(`http://${addr}/api/v2/alerts`, { method: 'POST', body: JSON.stringify(ALERTS) });
    expect(r400.statusCode).toBe(400);
    await r400.body.dump();

    const gone = new SendTap({ replica: 'p2', node: 'n2', upstream: `http://127.0.0.1:${await freePort()}`, history });
    stops.push(() => gone.stop());
    const addr2 = await gone.start();
    await expect(request(`http://${addr2}/api/v2/alerts`, { method: 'POST', body: JSON.stringify(ALERTS) })).rejects.toThrow(/socket|closed|other side/i);
    const completes = history.all().filter((e): e is OpCompleteEvent => e.type === 'op.complete');
    expect(completes.map((c) => [c.node, c.ok])).toEqual([
      ['n1', null],
      ['n2', false],
    ]);
  });
});
