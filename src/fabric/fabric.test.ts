import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { Toxiproxy } from 'toxiproxy-node-client';
import { Fabric, receiverBaseURL } from './fabric.js';
import type { Redirect } from './types.js';

/**
 * The fabric on loopback, without root: nodes are stand-ins (UDP + TCP echo on a "cluster port", an
 * HTTP server on a "web port"), and the redirects a runtime would install are recorded instead.
 * The netns runtime's tests run the same fabric between real Alertmanagers.
 */
interface StandIn {
  id: string;
  clusterPort: number;
  webPort: number;
  udp: UdpSocket;
  tcp: Server;
  web: HttpServer;
  udpReceived: number;
}

async function standIn(id: string): Promise<StandIn> {
  const tcp = createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => undefined));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const clusterPort = (tcp.address() as { port: number }).port;
  const udp = createSocket('udp4');
  const node: StandIn = { id, clusterPort, webPort: 0, udp, tcp, web: createHttpServer((_req, res) => res.end(`hello from ${id}`)), udpReceived: 0 };
  udp.on('message', () => node.udpReceived++);
  await new Promise<void>((r) => udp.bind(clusterPort, '127.0.0.1', r));
  await new Promise<void>((r) => node.web.listen(0, '127.0.0.1', r));
  node.webPort = (node.web.address() as { port: number }).port;
  return node;
}

function hostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i), port: Number(listen.slice(i + 1)) };
}

describe('fabric (loopback stand-ins)', () => {
  let fabric: Fabric | undefined;
  let nodes: StandIn[] = [];
  let sender: UdpSocket | undefined;
  afterEach(async () => {
    await fabric?.close();
    sender?.close();
    for (const n of nodes) {
      n.udp.close();
      n.tcp.close();
      n.web.close();
    }
    fabric = undefined;
    sender = undefined;
    nodes = [];
  });

  async function build(): Promise<{ fabric: Fabric; redirects: Map<string, Redirect[]> }> {
    nodes = await Promise.all(['n1', 'n2', 'n3'].map(standIn));
    const redirects = new Map<string, Redirect[]>();
    fabric = await Fabric.create({
      nodes: nodes.map((n) => ({ id: n.id, ip: '127.0.0.1', clusterPort: n.clusterPort, webPort: n.webPort })),
      capture: { host: '127.0.0.1', port: 9 },
      receiverIP: '10.213.255.254',
      host: { listenIP: '127.0.0.1', redirect: async (node, r) => void redirects.set(node, r) },
    });
    return { fabric, redirects };
  }

  it('creates one proxy per directed link and the redirects that force traffic through them', async () => {
    const { fabric, redirects } = await build();
    expect(fabric.links('peer').map((l) => l.name).sort()).toEqual(['n1->n2', 'n1->n3', 'n2->n1', 'n2->n3', 'n3->n1', 'n3->n2']);
    expect(fabric.links('client').map((l) => l.name)).toEqual(['client->n1', 'client->n2', 'client->n3']);
    expect(fabric.links('receiver').map((l) => l.name)).toEqual(['n1->receiver', 'n2->receiver', 'n3->receiver']);
    expect(fabric.links('peer').every((l) => l.udp)).toBe(true);
    // n1's namespace: TCP and UDP for each peer's cluster address, and the receiver address.
    const r1 = redirects.get('n1')!;
    const toN2 = fabric.link('n1->n2');
    expect(r1).toContainEqual({ proto: 'udp', dest: { ip: '127.0.0.1', port: nodes[1]!.clusterPort }, to: { ip: '127.0.0.1', port: hostPort(toN2.listen).port } });
    expect(r1).toContainEqual({ proto: 'tcp', dest: { ip: '127.0.0.1', port: nodes[1]!.clusterPort }, to: { ip: '127.0.0.1', port: hostPort(toN2.listen).port } });
    expect(r1).toContainEqual({ proto: 'tcp', dest: { ip: '10.213.255.254', port: 9 }, to: { ip: '127.0.0.1', port: hostPort(fabric.link('n1->receiver').listen).port } });
    expect(r1).toHaveLength(5);
    expect(fabric.receiverBaseURL).toBe('http://10.213.255.254:9');
    expect(receiverBaseURL('10.1.2.3', { port: 80 })).toBe('http://10.1.2.3:80');
    expect(() => fabric.link('n1->n9')).toThrow(/no link "n1->n9"/);
  });

  it('the client link reaches the node API and counts the bytes', async () => {
    const { fabric } = await build();
    const res = await request(`${fabric.nodeApiURL('n2')}/`);
    expect(await res.body.text()).toBe('hello from n2');
    expect(fabric.traffic()['client->n2']!.tcpBytes).toBeGreaterThan(0);
    expect(fabric.traffic()['client->n1']!.tcpBytes).toBe(0);
  });

  it('a cut set through the Toxiproxy HTTP API holds (attempts counted, nothing delivered) and heals', async () => {
    const { fabric } = await build();
    const link = fabric.link('n1->n2');
    const { host, port } = hostPort(link.listen);
    sender = createSocket('udp4');
    await new Promise<void>((r) => sender!.bind(0, '127.0.0.1', r));
    const send = () => sender!.send('ping', port, host);
    // Traffic flows before the cut.
    let before = fabric.snapshot([link.name]);
    send();
    const flowing = await fabric.verifyFlow([link.name], 'udp', before, { timeoutMs: 2_000, pollMs: 20 });
    expect(flowing.ok).toBe(true);
    expect(nodes[1]!.udpReceived).toBe(1);

    // Any Toxiproxy client can poke the links: a standard `timeout` toxic (timeout 0 = drop
    // everything) created through the HTTP API also drops UDP on our proxies.
    const client = new Toxiproxy(fabric.apiURL);
    const proxy = await client.get('n1->n2');
    await proxy.addToxic({ name: 'cut', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
    before = fabric.snapshot([link.name]);
    send();
    const cut = await fabric.verifyCut([link.name], 'udp', before, { timeoutMs: 2_000, pollMs: 20 });
    expect(cut).toMatchObject({ ok: true, leaked: [], held: ['n1->n2'], idle: [] });
    await sleep(50);
    expect(nodes[1]!.udpReceived).toBe(1);

    // The verification must be able to fail: the same check on a link that is not cut reports a leak.
    const open = fabric.link('n1->n3');
    const b2 = fabric.snapshot([open.name]);
    sender.send('ping', hostPort(open.listen).port, host);
    const leak = await fabric.verifyCut([open.name], 'udp', b2, { timeoutMs: 2_000, pollMs: 20 });
    expect(leak).toMatchObject({ ok: false, leaked: ['n1->n3'] });

    expect(await fabric.removeToxics('cut')).toBe(1);
    before = fabric.snapshot([link.name]);
    send();
    expect((await fabric.verifyFlow([link.name], 'udp', before, { timeoutMs: 2_000, pollMs: 20 })).ok).toBe(true);
    expect(fabric.traffic()['n1->n2']).toMatchObject({ udpPackets: 2, droppedPackets: 1 });
  });

  it('a flow check with nothing attempted is not a pass', async () => {
    const { fabric } = await build();
    const before = fabric.snapshot(['n2->n3']);
    const r = await fabric.verifyFlow(['n2->n3'], 'both', before, { timeoutMs: 200, pollMs: 20 });
    expect(r).toMatchObject({ ok: false, idle: ['n2->n3'] });
  });

  it('close() stops every listener and the HTTP API', async () => {
    const { fabric: f } = await build();
    const api = f.apiURL;
    const { port } = hostPort(f.link('n1->n2').listen);
    await f.close();
    fabric = undefined;
    await expect(request(`${api}/version`)).rejects.toThrow();
    await expect(
      new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s.destroy()));
        s.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
