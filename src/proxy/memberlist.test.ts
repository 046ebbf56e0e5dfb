/**
 * End to end with real Alertmanager gossip (hashicorp/memberlist, UDP + TCP on one port): two nodes
 * whose every memberlist packet and stream goes through our proxies. Rootless trick: each node
 * advertises its proxy's address, so the other node reaches it only through that proxy, on both
 * transports (node i's pings carry SourceAddr = its advertised address, so acks come back through the
 * other proxy). Checks that a cluster forms, that a UDP-only cut is the fault memberlist reports as
 * "other probes failed" (what a TCP-only Toxiproxy can never produce), and a full partition and heal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultResolveOptions, resolveVersion, type ResolvedVersion } from '../versions/index.js';
import { ProxyServer, statsDelta } from './index.js';
import { portOf, sleep } from '../../test/support/proxy/sockets.js';

const version: ResolvedVersion | null = await resolveVersion('system', defaultResolveOptions({ fetch: false })).catch(() => null);
const why = 'needs an Alertmanager binary on PATH (apt-get install prometheus-alertmanager, or put `alertmanager` on PATH)';

interface Node {
  web: number;
  cluster: number;
  proxyPort: number;
  proc?: ChildProcess;
  log: string;
}

const nodes: Node[] = [];
let proxies: ProxyServer;
let dir: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function peers(n: Node): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${n.web}/api/v2/status`);
    const body = (await res.json()) as { cluster: { peers: unknown[] | null } };
    return body.cluster.peers?.length ?? 0;
  } catch {
    return -1;
  }
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await cond()) return true;
    await sleep(250);
  }
  return false;
}

const both = async (count: number): Promise<boolean> => (await peers(nodes[0] as Node)) === count && (await peers(nodes[1] as Node)) === count;

describe.skipIf(version === null)(`real Alertmanager gossip through the proxy (skipped: ${why})`, () => {
  beforeAll(async () => {
    const v = version as ResolvedVersion;
    dir = await mkdtemp(join(tmpdir(), 'amchaos-proxy-am-'));
    await writeFile(join(dir, 'am.yml'), 'route:\n  receiver: r\nreceivers:\n  - name: r\n');
    proxies = new ProxyServer();
    for (let i = 0; i < 2; i++) nodes.push({ web: await freePort(), cluster: await freePort(), proxyPort: 0, log: '' });
    for (const [i, n] of nodes.entries()) {
      const p = await proxies.createProxy({ name: `to${i}`, listen: '127.0.0.1:0', upstream: `127.0.0.1:${n.cluster}`, udp: true });
      n.proxyPort = portOf(p.listen);
    }
    for (const [i, n] of nodes.entries()) {
      const other = nodes[1 - i] as Node;
      const args = [
        ...v.command.slice(1),
        `--config.file=${join(dir, 'am.yml')}`,
        `--storage.path=${join(dir, `data${i}`)}`,
        `--web.listen-address=127.0.0.1:${n.web}`,
        `--cluster.listen-address=127.0.0.1:${n.cluster}`,
        `--cluster.advertise-address=127.0.0.1:${n.proxyPort}`,
        `--cluster.peer=127.0.0.1:${other.proxyPort}`,
        '--cluster.gossip-interval=200ms',
        '--cluster.pushpull-interval=2s',
        '--cluster.peer-timeout=2s',
        '--cluster.reconnect-interval=2s',
        '--log.level=debug',
        ...v.extraArgs,
      ];
      const proc = spawn(v.command[0] as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr?.on('data', (d: Buffer) => {
        n.log += d.toString();
        if (n.log.length > 2_000_000) n.log = n.log.slice(-1_000_000);
      });
      n.proc = proc;
    }
  });

  afterAll(async () => {
    for (const n of nodes) {
      const p = n.proc;
      if (p === undefined || p.exitCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    await proxies?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a cluster forms with all gossip going through the proxies, on UDP and TCP', { timeout: 40_000 }, async () => {
    expect(await waitFor(() => both(2), 30_000)).toBe(true);
    // Joining is one TCP push/pull through whichever proxy answered first (the other node may not have
    // been up yet); probes over UDP and the periodic push/pull (every 2 s) then use both proxies.
    const flowed = async (): Promise<boolean> =>
      ['to0', 'to1'].every((name) => {
        const s = proxies.stats(name);
        return s.udp.upstream.packets_sent > 0 && s.tcp.upstream.bytes_sent > 0 && s.tcp.downstream.bytes_sent > 0;
      });
    expect(await waitFor(flowed, 20_000)).toBe(true);
  });

  it('a UDP-only cut is seen as "other probes failed" while the TCP fallback still works', { timeout: 40_000 }, async () => {
    await proxies.addToxic('to0', { type: 'blackhole', name: 'udp-up', stream: 'upstream', transport: 'udp' });
    await proxies.addToxic('to0', { type: 'blackhole', name: 'udp-down', stream: 'downstream', transport: 'udp' });
    const before = proxies.stats('to0');
    const logFrom = (nodes[1] as Node).log.length;
    const seen = await waitFor(async () => /other probes failed/.test((nodes[1] as Node).log.slice(logFrom)), 20_000);
    const d = statsDelta(before, proxies.stats('to0'));
    expect(seen).toBe(true);
    expect(d.udp.upstream.packets_received).toBeGreaterThan(0);
    expect(d.udp.upstream.packets_sent).toBe(0);
    expect(d.tcp.upstream.bytes_sent).toBeGreaterThan(0);
    await proxies.reset();
  });

  it('a full partition drops the peer on both sides; healing re-forms the cluster', { timeout: 90_000 }, async () => {
    expect(await waitFor(() => both(2), 20_000)).toBe(true);
    for (const name of ['to0', 'to1']) {
      await proxies.addToxic(name, { type: 'blackhole', name: 'up', stream: 'upstream' });
      await proxies.addToxic(name, { type: 'blackhole', name: 'down', stream: 'downstream' });
    }
    const before = proxies.allStats();
    expect(await waitFor(() => both(1), 45_000)).toBe(true);
    for (const name of ['to0', 'to1']) {
      const d = statsDelta(before[name] as ReturnType<ProxyServer['stats']>, proxies.stats(name));
      expect(d.udp.upstream.packets_sent + d.udp.downstream.packets_sent, name).toBe(0);
      expect(d.tcp.upstream.bytes_sent + d.tcp.downstream.bytes_sent, name).toBe(0);
    }
    await proxies.reset();
    expect(await waitFor(() => both(2), 40_000)).toBe(true);
  });
});
