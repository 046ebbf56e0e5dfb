/**
 * Link proxy benchmark: the same measurements direct over loopback and through the proxy, in one run,
 * interleaved so drift hits both alike.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/proxy.js
 *
 * Three processes, as in real use: this one (the client), an "echo" child (TCP echo, TCP sink, UDP echo,
 * UDP sink) and a "proxy" child (a ProxyServer with one proxy per target, no toxics unless stated).
 * Figures (µs, MiB/s, datagrams/s):
 * - tcp_rtt_*: 64-byte ping-pong over one connection with TCP_NODELAY, median and p99.
 * - tcp_rtt_chain_*: the same through a proxy with a noop toxic each way (the toxic-chain path).
 * - udp_rtt_*: 64-byte datagram ping-pong.
 * - tcp_bulk_*: 256 MiB one way, timed until the sink acknowledges the last byte; median of 3.
 * - udp_lossless_*: 512-byte datagrams paced at a rising rate for 1 s each; the highest rate at which the
 *   sink counted every datagram in at least one of 3 runs.
 * "added" = proxied minus direct, percentile by percentile.
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProxyServer } from '../src/proxy/index.js';

type Log = (line: string) => void;

const HOST = '127.0.0.1';
const RTT_SAMPLES = 20_000;
const RTT_WARMUP = 2_000;
const RTT_ROUNDS = 5;
const BULK_BYTES = 256 * 1024 * 1024;
const BULK_ROUNDS = 5;
const UDP_SIZE = 512;
const UDP_RATES = [25_000, 50_000, 75_000, 100_000, 125_000, 150_000, 200_000];
const UDP_SECONDS = 1;
const UDP_ATTEMPTS = 3;

// ---------------------------------------------------------------------------------------------------
// Child roles

interface EchoPorts {
  tcpEcho: number;
  tcpSink: number;
  udpEcho: number;
  udpSink: number;
}

type ChildMessage =
  | { kind: 'ready'; ports: Record<string, number> }
  | { kind: 'count'; value: number };

async function runEchoRole(): Promise<void> {
  const tcpEcho = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.write(d));
  });
  // Counts bytes per connection; after `want` bytes (first 8 bytes of the stream, big-endian) answers 'k'.
  const tcpSink = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    let want = -1;
    let got = 0;
    let header = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      if (want < 0) {
        header = Buffer.concat([header, d]);
        if (header.length < 8) return;
        want = Number(header.readBigUInt64BE(0));
        got = header.length - 8;
      } else got += d.length;
      if (got >= want) s.write('k');
    });
  });
  const udpEcho = dgram.createSocket('udp4');
  udpEcho.on('message', (m, r) => udpEcho.send(m, r.port, r.address));
  const udpSink = dgram.createSocket('udp4');
  let sinkCount = 0;
  udpSink.on('message', () => sinkCount++);
  await Promise.all([
    new Promise<void>((r) => tcpEcho.listen(0, HOST, r)),
    new Promise<void>((r) => tcpSink.listen(0, HOST, r)),
    new Promise<void>((r) => udpEcho.bind(0, HOST, r)),
    new Promise<void>((r) => udpSink.bind(0, HOST, r)),
  ]);
  for (const s of [udpEcho, udpSink]) {
    s.setRecvBufferSize(4 * 1024 * 1024);
  }
  process.on('message', (m: { kind: string }) => {
    if (m.kind === 'reset') sinkCount = 0;
    if (m.kind === 'count') process.send?.({ kind: 'count', value: sinkCount } satisfies ChildMessage);
  });
  const ports: EchoPorts = {
    tcpEcho: (tcpEcho.address() as net.AddressInfo).port,
    tcpSink: (tcpSink.address() as net.AddressInfo).port,
    udpEcho: udpEcho.address().port,
    udpSink: udpSink.address().port,
  };
  process.send?.({ kind: 'ready', ports: { ...ports } } satisfies ChildMessage);
}

async function runProxyRole(targets: EchoPorts): Promise<void> {
  const server = new ProxyServer();
  const make = async (name: string, port: number, udp: boolean): Promise<number> => {
    const p = await server.createProxy({ name, listen: `${HOST}:0`, upstream: `${HOST}:${port}`, udp });
    return Number(p.listen.slice(p.listen.lastIndexOf(':') + 1));
  };
  const ports = {
    tcpEcho: await make('tcp-echo', targets.tcpEcho, false),
    tcpEchoChain: await make('tcp-echo-chain', targets.tcpEcho, false),
    tcpSink: await make('tcp-sink', targets.tcpSink, false),
    tcpSinkChain: await make('tcp-sink-chain', targets.tcpSink, false),
    udpEcho: await make('udp-echo', targets.udpEcho, true),
    udpSink: await make('udp-sink', targets.udpSink, true),
  };
  for (const name of ['tcp-echo-chain', 'tcp-sink-chain']) {
    await server.addToxic(name, { type: 'noop', name: 'up', stream: 'upstream' });
    await server.addToxic(name, { type: 'noop', name: 'down', stream: 'downstream' });
  }
  process.on('disconnect', () => {
    void server.close().then(() => process.exit(0));
  });
  process.send?.({ kind: 'ready', ports } satisfies ChildMessage);
}

// ---------------------------------------------------------------------------------------------------
// Client measurements

function now(): bigint {
  return process.hrtime.bigint();
}

/** Round trips of 64-byte messages over one TCP connection; returns µs per sample. */
function tcpPingPong(port: number, samples: number, warmup: number): Promise<Float64Array> {
  return new Promise((resolveRtt, reject) => {
    const out = new Float64Array(samples);
    const msg = Buffer.alloc(64, 1);
    const s = net.connect({ port, host: HOST, noDelay: true });
    let i = 0;
    let got = 0;
    let t0 = 0n;
    s.on('error', reject);
    s.on('connect', () => {
      t0 = now();
      s.write(msg);
    });
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < msg.length) return;
      got -= msg.length;
      const us = Number(now() - t0) / 1000;
      if (i >= warmup) out[i - warmup] = us;
      i++;
      if (i === samples + warmup) {
        s.destroy();
        resolveRtt(out);
        return;
      }
      t0 = now();
      s.write(msg);
    });
  });
}

function udpPingPong(port: number, samples: number, warmup: number): Promise<Float64Array> {
  return new Promise((resolveRtt, reject) => {
    const out = new Float64Array(samples);
    const msg = Buffer.alloc(64, 2);
    const s = dgram.createSocket('udp4');
    let i = 0;
    let t0 = 0n;
    // A lost datagram would stall a ping-pong for ever; resend after a generous pause and count it.
    let guard: NodeJS.Timeout | null = null;
    const send = (): void => {
      t0 = now();
      s.send(msg, port, HOST);
      if (guard) clearTimeout(guard);
      guard = setTimeout(() => {
        reject(new Error(`UDP ping-pong to ${port} lost a datagram`));
        s.close();
      }, 2000);
    };
    s.on('error', reject);
    s.on('message', () => {
      const us = Number(now() - t0) / 1000;
      if (i >= warmup) out[i - warmup] = us;
      i++;
      if (i === samples + warmup) {
        if (guard) clearTimeout(guard);
        s.close();
        resolveRtt(out);
        return;
      }
      send();
    });
    s.bind(0, HOST, send);
  });
}

/** Sends `bytes` one way and waits for the sink's acknowledgement; returns MiB/s. */
function tcpBulk(port: number, bytes: number): Promise<number> {
  return new Promise((resolveBulk, reject) => {
    const s = net.connect({ port, host: HOST, noDelay: true });
    const block = Buffer.alloc(1024 * 1024, 7);
    let start = 0n;
    s.on('error', reject);
    s.once('data', () => {
      const sec = Number(now() - start) / 1e9;
      s.destroy();
      resolveBulk(bytes / (1024 * 1024) / sec);
    });
    s.on('connect', () => {
      start = now();
      const header = Buffer.alloc(8);
      header.writeBigUInt64BE(BigInt(bytes));
      s.write(header);
      let sent = 0;
      const pump = (): void => {
        while (sent < bytes) {
          sent += block.length;
          if (!s.write(block)) {
            s.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

/** Paces `rate` datagrams/s for `seconds`; returns how many were sent. */
async function udpBlast(port: number, rate: number, seconds: number): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, r));
  s.setSendBufferSize(4 * 1024 * 1024);
  const msg = Buffer.alloc(UDP_SIZE, 3);
  const total = rate * seconds;
  const start = now();
  let sent = 0;
  while (sent < total) {
    const elapsedMs = Number(now() - start) / 1e6;
    const due = Math.min(total, Math.floor((elapsedMs * rate) / 1000));
    while (sent < due) {
      s.send(msg, port, HOST);
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 50));
  await new Promise<void>((r) => s.close(() => r()));
  return sent;
}

function percentile(sorted: Float64Array, p: number): number {
  const i = Math.min(sorted.length - 1, Math.floor(sorted.length * p));
  return sorted[i] ?? Number.NaN;
}

function merge(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.sort();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function forkRole(role: string, args: string[] = []): Promise<{ child: ChildProcess; ports: Record<string, number> }> {
  const child = fork(fileURLToPath(import.meta.url), [`--bench-role=${role}`, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolveFork, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench ${role} process exited early (${code})`)));
    child.once('message', (m: ChildMessage) => {
      if (m.kind === 'ready') resolveFork({ child, ports: m.ports });
    });
  });
}

function askCount(child: ChildProcess): Promise<number> {
  return new Promise((resolveCount) => {
    const on = (m: ChildMessage): void => {
      if (m.kind !== 'count') return;
      child.off('message', on);
      resolveCount(m.value);
    };
    child.on('message', on);
    child.send({ kind: 'count' });
  });
}

async function udpLossless(echo: ChildProcess, port: number, log: Log, label: string): Promise<number> {
  let best = 0;
  for (const rate of UDP_RATES) {
    let ok = false;
    // Best of 3: on a shared 2-core machine a single scheduling gap of ~100 ms overflows any socket
    // buffer at these rates, which says nothing about the relay itself.
    for (let attempt = 0; attempt < UDP_ATTEMPTS && !ok; attempt++) {
      echo.send({ kind: 'reset' });
      await new Promise((r) => setTimeout(r, 50));
      const sent = await udpBlast(port, rate, UDP_SECONDS);
      await new Promise((r) => setTimeout(r, 300));
      const got = await askCount(echo);
      log(`  udp ${label} ${rate}/s: sent ${sent}, received ${got}${got === sent ? '' : ` (lost ${sent - got})`}`);
      ok = got === sent;
    }
    if (!ok) break;
    best = rate;
  }
  return best;
}

export type Section = 'rtt' | 'bulk' | 'udp';
const ALL_SECTIONS: readonly Section[] = ['rtt', 'bulk', 'udp'];

/**
 * Runs the benchmark; returns the figures (also logged line by line). `only` limits it to some sections.
 * The machine's load average is reported with the figures: other processes on 2 cores move every number.
 */
export async function run(log: (line: string) => void, only: readonly Section[] = ALL_SECTIONS): Promise<Record<string, number>> {
  const echo = await forkRole('echo');
  const targets = echo.ports as unknown as EchoPorts;
  const proxy = await forkRole('proxy', [JSON.stringify(targets)]);
  const via = proxy.ports as Record<string, number>;
  const port = (k: string): number => via[k] as number;
  const out: Record<string, number> = {};
  try {
    log(`proxy bench: Node ${process.version}, 3 processes (client, proxy, echo); load average ${loadavg()[0]?.toFixed(2)}`);
    out['load_average_start'] = round1(loadavg()[0] ?? 0);
    if (only.includes('rtt')) await rttSection(targets, port, out, log);
    if (only.includes('bulk')) await bulkSection(targets, port, out, log);
    if (only.includes('udp')) {
      out['udp_lossless_direct_dps'] = await udpLossless(echo.child, targets.udpSink, log, 'direct');
      out['udp_lossless_proxy_dps'] = await udpLossless(echo.child, port('udpSink'), log, 'proxy');
      log(
        `udp_lossless (${UDP_SIZE}-byte datagrams, ${UDP_SECONDS} s per rate, best of ${UDP_ATTEMPTS}): direct ≥ ${out['udp_lossless_direct_dps']}/s | proxy ≥ ${out['udp_lossless_proxy_dps']}/s` +
          (out['udp_lossless_direct_dps'] === UDP_RATES[UDP_RATES.length - 1] ? ' (direct hit the top of the ladder)' : ''),
      );
    }
    out['load_average_end'] = round1(loadavg()[0] ?? 0);
    log(`load average at the end: ${out['load_average_end']}`);
    return out;
  } finally {
    proxy.child.removeAllListeners('exit');
    echo.child.removeAllListeners('exit');
    proxy.child.disconnect();
    echo.child.kill();
    await new Promise((r) => setTimeout(r, 100));
    if (proxy.child.exitCode === null) proxy.child.kill();
  }
}

async function rttSection(targets: EchoPorts, port: (k: string) => number, out: Record<string, number>, log: Log): Promise<void> {
  // TCP and UDP round trips, interleaved rounds.
  const rtt: Record<string, Float64Array[]> = { tcpDirect: [], tcpProxy: [], tcpChain: [], udpDirect: [], udpProxy: [] };
  const runs: [string, () => Promise<Float64Array>][] = [
    ['tcpDirect', () => tcpPingPong(targets.tcpEcho, RTT_SAMPLES, RTT_WARMUP)],
    ['tcpProxy', () => tcpPingPong(port('tcpEcho'), RTT_SAMPLES, RTT_WARMUP)],
    ['tcpChain', () => tcpPingPong(port('tcpEchoChain'), RTT_SAMPLES, RTT_WARMUP)],
    ['udpDirect', () => udpPingPong(targets.udpEcho, RTT_SAMPLES, RTT_WARMUP)],
    ['udpProxy', () => udpPingPong(port('udpEcho'), RTT_SAMPLES, RTT_WARMUP)],
  ];
  // The order rotates every round: what runs first or right after another measurement otherwise gets
  // a systematic edge or penalty (caches, CPU placement), which would show up as a difference.
  for (let round = 0; round < RTT_ROUNDS; round++) {
    for (let k = 0; k < runs.length; k++) {
      const [key, measure] = runs[(k + round) % runs.length] as [string, () => Promise<Float64Array>];
      rtt[key]?.push(await measure());
    }
  }
  const pct = (k: string, p: number): number => percentile(merge(rtt[k] ?? []), p);
  for (const [proto, direct, viaKey, name] of [
    ['tcp', 'tcpDirect', 'tcpProxy', 'tcp_rtt'],
    ['tcp', 'tcpDirect', 'tcpChain', 'tcp_rtt_chain'],
    ['udp', 'udpDirect', 'udpProxy', 'udp_rtt'],
  ] as const) {
    const d50 = pct(direct, 0.5);
    const d99 = pct(direct, 0.99);
    const p50 = pct(viaKey, 0.5);
    const p99 = pct(viaKey, 0.99);
    if (!name.includes('chain')) {
      out[`${proto}_rtt_direct_p50_us`] = round1(d50);
      out[`${proto}_rtt_direct_p99_us`] = round1(d99);
    }
    out[`${name}_proxy_p50_us`] = round1(p50);
    out[`${name}_proxy_p99_us`] = round1(p99);
    out[`${name}_added_p50_us`] = round1(p50 - d50);
    out[`${name}_added_p99_us`] = round1(p99 - d99);
    log(
      `${name}: direct p50 ${d50.toFixed(1)} µs p99 ${d99.toFixed(1)} µs | proxy p50 ${p50.toFixed(1)} µs p99 ${p99.toFixed(1)} µs | added p50 ${(p50 - d50).toFixed(1)} µs p99 ${(p99 - d99).toFixed(1)} µs`,
    );
  }
}

async function bulkSection(targets: EchoPorts, port: (k: string) => number, out: Record<string, number>, log: Log): Promise<void> {
  const bulk: Record<string, number[]> = { direct: [], proxy: [], chain: [] };
  const runs: [string, number][] = [
    ['direct', targets.tcpSink],
    ['proxy', port('tcpSink')],
    ['chain', port('tcpSinkChain')],
  ];
  for (let round = 0; round < BULK_ROUNDS; round++) {
    for (let k = 0; k < runs.length; k++) {
      const [key, target] = runs[(k + round) % runs.length] as [string, number];
      bulk[key]?.push(await tcpBulk(target, BULK_BYTES));
    }
  }
  out['tcp_bulk_direct_mibps'] = Math.round(median(bulk['direct'] ?? []));
  out['tcp_bulk_proxy_mibps'] = Math.round(median(bulk['proxy'] ?? []));
  out['tcp_bulk_chain_mibps'] = Math.round(median(bulk['chain'] ?? []));
  log(
    `tcp_bulk (256 MiB, median of ${BULK_ROUNDS}): direct ${out['tcp_bulk_direct_mibps']} MiB/s | proxy ${out['tcp_bulk_proxy_mibps']} MiB/s | proxy+noop chain ${out['tcp_bulk_chain_mibps']} MiB/s` +
      `  [all: direct ${fmt(bulk['direct'])}; proxy ${fmt(bulk['proxy'])}; chain ${fmt(bulk['chain'])}]`,
  );
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function fmt(xs: number[] | undefined): string {
  return (xs ?? []).map((x) => Math.round(x)).join(', ');
}

// ---------------------------------------------------------------------------------------------------
// Entry: a child role, or `node dist/bench/proxy.js` run directly.

const roleArg = process.argv.find((a) => a.startsWith('--bench-role='));
if (roleArg !== undefined) {
  const role = roleArg.slice('--bench-role='.length);
  if (role === 'echo') await runEchoRole();
  else if (role === 'proxy') await runProxyRole(JSON.parse(process.argv[process.argv.indexOf(roleArg) + 1] ?? '{}') as EchoPorts);
  // The echo child lives until the parent kills it or goes away.
  process.on('disconnect', () => process.exit(0));
} else if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Optional section names as arguments: node dist/bench/proxy.js rtt udp
  const wanted = process.argv.slice(2).filter((a): a is Section => (ALL_SECTIONS as readonly string[]).includes(a));
  const figures = await run((line) => process.stdout.write(`${line}\n`), wanted.length > 0 ? wanted : ALL_SECTIONS);
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
