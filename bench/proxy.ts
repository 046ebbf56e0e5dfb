/**
 * Link proxy benchmark.
 *
 *   npm run bench -- proxy
 *   AMCHAOS_BENCH_TOXIPROXY=/path/to/toxiproxy-server npm run bench -- proxy   # side by side with Toxiproxy
 *   npx tsc -p tsconfig.build.json && node dist/bench/proxy.js [tcp] [chain] [udp]
 *
 * Sections:
 * - `tcp` (the probe): each contestant is a fresh server process driven the way users drive it — our
 *   `amchaos proxy --listen` and, when AMCHAOS_BENCH_TOXIPROXY names a binary, a real
 *   `toxiproxy-server` — with proxies created through the HTTP API (`POST /proxies`). A round-trip
 *   run: 100 round trips of warm-up, then 3,000 round trips of 64-byte writes over one TCP_NODELAY
 *   connection. A bulk run: 1 GiB one way into a sink, timed until the sink acknowledges the last byte.
 *   "direct" is the same against the echo/sink over plain loopback. Runs alternate (direct, ours,
 *   Toxiproxy's, the order rotating each round; AMCHAOS_BENCH_PROXY_ROUNDS rounds, default 8) so drift
 *   on this shared machine hits all alike; every round-trip run comes before every bulk run, so a GiB
 *   just moved never weighs on the next run's round trips. "added" = proxied minus direct, percentile
 *   by percentile over all rounds' samples; the ratios are ours / Toxiproxy's.
 * - `chain`: the same round trip and bulk through an in-process proxy with a noop toxic each way (the
 *   toxic-chain path Toxiproxy always runs; ours runs it only while a toxic exists).
 * - `udp`: 64-byte datagram round trips and the highest lossless rate of 512-byte datagrams, through an
 *   in-process proxy with `udp: true` (Toxiproxy has no UDP, so nothing to compare with).
 * The machine's load average is printed with the figures: other processes on 2 cores move every number.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProxyServer } from '../src/proxy/index.js';

type Log = (line: string) => void;
type Figures = Record<string, number>;

const HOST = '127.0.0.1';
const TOXIPROXY_ENV = 'AMCHAOS_BENCH_TOXIPROXY';
const ROUNDS_ENV = 'AMCHAOS_BENCH_PROXY_ROUNDS';

// The probe (issue 11): 3,000 round trips after a warm-up, 1 GiB of bulk, per run.
const PROBE_SAMPLES = 3_000;
const PROBE_WARMUP = 100;
const PROBE_BULK_BYTES = 1024 * 1024 * 1024;
const PROBE_ROUNDS = 8;

// In-process sections.
const CHAIN_SAMPLES = 10_000;
const CHAIN_WARMUP = 1_000;
const CHAIN_ROUNDS = 3;
const CHAIN_BULK_BYTES = 256 * 1024 * 1024;
const UDP_RTT_SAMPLES = 10_000;
const UDP_RTT_WARMUP = 1_000;
const UDP_RTT_ROUNDS = 3;
const UDP_SIZE = 512;
const UDP_RATES = [25_000, 50_000, 75_000, 100_000, 125_000, 150_000, 200_000];
const UDP_SECONDS = 1;
const UDP_ATTEMPTS = 3;

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

// ---------------------------------------------------------------------------------------------------
// Child roles

interface EchoPorts {
  tcpEcho: number;
  tcpSink: number;
  udpEcho: number;
  udpSink: number;
}

type ChildMessage = { kind: 'ready'; ports: Record<string, number> } | { kind: 'count'; value: number } | { kind: 'settled' };

/**
 * The echo child: TCP and UDP echo for the round trips. Bulk goes to another child (the sink), so that
 * the garbage of a GiB of reads, and the collection it triggers, never lands in a later run's round trips.
 */
async function runEchoRole(): Promise<void> {
  const tcpEcho = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.write(d));
  });
  const udpEcho = dgram.createSocket('udp4');
  udpEcho.on('message', (m, r) => udpEcho.send(m, r.port, r.address));
  await Promise.all([new Promise<void>((r) => tcpEcho.listen(0, HOST, r)), new Promise<void>((r) => udpEcho.bind(0, HOST, r))]);
  udpEcho.setRecvBufferSize(4 * 1024 * 1024);
  const ports = { tcpEcho: (tcpEcho.address() as net.AddressInfo).port, udpEcho: udpEcho.address().port };
  process.send?.({ kind: 'ready', ports } satisfies ChildMessage);
}

/** The sink child: counts bulk bytes (TCP) and datagrams (UDP). */
async function runSinkRole(): Promise<void> {
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
  const udpSink = dgram.createSocket('udp4');
  let sinkCount = 0;
  udpSink.on('message', () => sinkCount++);
  await Promise.all([new Promise<void>((r) => tcpSink.listen(0, HOST, r)), new Promise<void>((r) => udpSink.bind(0, HOST, r))]);
  udpSink.setRecvBufferSize(4 * 1024 * 1024);
  process.on('message', (m: { kind: string }) => {
    if (m.kind === 'reset') sinkCount = 0;
    if (m.kind === 'count') process.send?.({ kind: 'count', value: sinkCount } satisfies ChildMessage);
    if (m.kind === 'settle') {
      // A GiB of reads leaves a GiB of garbage; collect it now, between runs, not under the next run.
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ kind: 'settled' } satisfies ChildMessage);
    }
  });
  const ports = { tcpSink: (tcpSink.address() as net.AddressInfo).port, udpSink: udpSink.address().port };
  process.send?.({ kind: 'ready', ports } satisfies ChildMessage);
}

/** An in-process ProxyServer (what the fabric runs) for the chain and UDP sections. */
async function runProxyRole(targets: EchoPorts): Promise<void> {
  const server = new ProxyServer();
  const make = async (name: string, port: number, udp: boolean): Promise<number> => {
    const p = await server.createProxy({ name, listen: `${HOST}:0`, upstream: `${HOST}:${port}`, udp });
    return portOf(p.listen);
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

function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** Round trips of 64-byte messages over one TCP connection; returns µs per measured sample. */
function tcpPingPong(port: number, samples: number, warmup: number): Promise<Float64Array> {
  return new Promise((resolveRtt, reject) => {
    const out = new Float64Array(samples);
    const msg = Buffer.alloc(64, 1);
    const s = net.connect({ port, host: HOST, noDelay: true });
    let i = 0;
    let got = 0;
    let t0 = 0n;
    s.on('error', reject);
    s.on('close', () => {
      if (i < samples + warmup) reject(new Error(`connection to ${port} closed after ${i} round trips`));
    });
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
    // A lost datagram would stall a ping-pong for ever; give up after a generous pause.
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
    let done = false;
    s.on('error', reject);
    s.on('close', () => {
      if (!done) reject(new Error(`bulk connection to ${port} closed before the sink answered`));
    });
    s.once('data', () => {
      done = true;
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
  await sleep(50);
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** ours / theirs, or why there is no meaningful ratio (an added figure at or below zero is noise). */
function ratioText(ours: number, theirs: number): string {
  if (!(theirs > 0) || !(ours >= 0)) return 'n/a (added ≤ 0: noise)';
  return `${(ours / theirs).toFixed(2)} ×`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function fmt(xs: number[] | undefined): string {
  return (xs ?? []).map((x) => Math.round(x)).join(', ');
}

function forkRole(role: string, args: string[] = []): Promise<{ child: ChildProcess; ports: Record<string, number> }> {
  const child = fork(fileURLToPath(import.meta.url), [`--bench-role=${role}`, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: role === 'sink' ? ['--expose-gc'] : [],
  });
  return new Promise((resolveFork, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench ${role} process exited early (${code})`)));
    child.once('message', (m: ChildMessage) => {
      if (m.kind === 'ready') resolveFork({ child, ports: m.ports });
    });
  });
}

function stopRole(child: ChildProcess): void {
  child.removeAllListeners('exit');
  if (child.connected) child.disconnect();
  child.kill();
}

/** Has the sink collect its garbage and waits until it has. */
function settle(sink: ChildProcess): Promise<void> {
  return new Promise((resolveSettle) => {
    const on = (m: ChildMessage): void => {
      if (m.kind !== 'settled') return;
      sink.off('message', on);
      resolveSettle();
    };
    sink.on('message', on);
    sink.send({ kind: 'settle' });
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

// ---------------------------------------------------------------------------------------------------
// The probe: separate server processes driven through the Toxiproxy HTTP API

interface Target {
  rtt: number;
  bulk: number;
  stop(): Promise<void>;
}

interface Contestant {
  /** Short key for figures: direct, amchaos, toxiproxy. */
  key: string;
  label: string;
  start(echo: EchoPorts): Promise<Target>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Starts an API server process and waits until GET /version answers. */
async function startApiProcess(label: string, command: string, args: (port: number) => string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(command, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const url = `http://${HOST}:${port}`;
  const until = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited (${child.exitCode}) before its API answered: ${stderr.trim()}`);
    try {
      const r = await fetch(`${url}/version`);
      await r.text();
      if (r.ok) return { url, child };
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`${label}: its API did not answer within 15 s: ${stderr.trim()}`);
    }
    await sleep(20);
  }
}

async function createProxy(api: string, name: string, upstreamPort: number): Promise<number> {
  const r = await fetch(`${api}/proxies`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, listen: `${HOST}:0`, upstream: `${HOST}:${upstreamPort}`, enabled: true }),
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`POST /proxies ${name}: ${r.status} ${text}`);
  return portOf((JSON.parse(text) as { listen: string }).listen);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

function proxyProcess(key: string, label: string, command: string, args: (port: number) => string[]): Contestant {
  return {
    key,
    label,
    async start(echo) {
      const { url, child } = await startApiProcess(label, command, args);
      try {
        const rtt = await createProxy(url, 'probe-rtt', echo.tcpEcho);
        const bulk = await createProxy(url, 'probe-bulk', echo.tcpSink);
        return { rtt, bulk, stop: () => stopProcess(child) };
      } catch (e) {
        await stopProcess(child);
        throw e;
      }
    },
  };
}

const direct: Contestant = {
  key: 'direct',
  label: 'direct loopback',
  start: (echo) => Promise.resolve({ rtt: echo.tcpEcho, bulk: echo.tcpSink, stop: () => Promise.resolve() }),
};

function amchaosContestant(): Contestant {
  const bin = resolve(REPO_ROOT, 'bin/amchaos.js');
  return proxyProcess('amchaos', 'amchaos proxy', process.execPath, (port) => [bin, 'proxy', '--listen', `${HOST}:${port}`]);
}

function toxiproxyContestant(path: string): Contestant {
  return proxyProcess('toxiproxy', 'toxiproxy-server', path, (port) => ['-host', HOST, '-port', String(port)]);
}

async function toxiproxyVersion(path: string): Promise<string> {
  const child = spawn(path, ['-version'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((r) => child.once('close', () => r()));
  return out.trim();
}

async function probeSection(echo: EchoPorts, sink: ChildProcess, out: Figures, log: Log): Promise<void> {
  const toxiPath = process.env[TOXIPROXY_ENV];
  const rounds = Math.max(1, Number(process.env[ROUNDS_ENV] ?? PROBE_ROUNDS) || PROBE_ROUNDS);
  const contestants: Contestant[] = [direct, amchaosContestant()];
  if (toxiPath !== undefined && toxiPath !== '') {
    if (!existsSync(toxiPath)) throw new Error(`${TOXIPROXY_ENV}=${toxiPath}: no such file`);
    log(`  toxiproxy: ${toxiPath} (${await toxiproxyVersion(toxiPath)})`);
    contestants.push(toxiproxyContestant(toxiPath));
  } else {
    log(`  (no Toxiproxy to compare with: set ${TOXIPROXY_ENV}=/path/to/toxiproxy-server to add it side by side)`);
  }
  log(
    `  probe: fresh server process per run, proxies created with POST /proxies; ${PROBE_WARMUP} warm-up + ${PROBE_SAMPLES} round trips of 64 B ` +
      `(${rounds} rounds), then ${PROBE_BULK_BYTES / 2 ** 30} GiB bulk (${rounds} rounds); an unrecorded round first; order rotating`,
  );
  // Round 0, unrecorded: every contestant once, so that this process (the client: fetch, the
  // ping-pong, the bulk writer), the echo and the sink have compiled their code before anything is
  // recorded. Without it the first proxy measured also measured the client's first fetch and
  // connections (its p99 was several times the later rounds').
  for (const c of contestants) {
    const target = await c.start(echo);
    try {
      await tcpPingPong(target.rtt, 3_000, 0);
      await tcpBulk(target.bulk, 64 * 1024 * 1024);
    } finally {
      await target.stop();
    }
    await settle(sink);
  }
  const rtt = new Map<string, Float64Array[]>(contestants.map((c) => [c.key, []]));
  const bulk = new Map<string, number[]>(contestants.map((c) => [c.key, []]));
  // Round trips first, bulk after: a GiB moved by one run must not weigh on the next run's round trips.
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contestants.length; k++) {
      const c = contestants[(k + round) % contestants.length] as Contestant;
      const target = await c.start(echo);
      try {
        const samples = await tcpPingPong(target.rtt, PROBE_SAMPLES, PROBE_WARMUP);
        rtt.get(c.key)?.push(samples);
        const sorted = Float64Array.from(samples).sort();
        log(`    round trips, round ${round + 1} ${c.key.padEnd(9)} p50 ${percentile(sorted, 0.5).toFixed(1).padStart(6)} µs  p99 ${percentile(sorted, 0.99).toFixed(1).padStart(7)} µs`);
      } finally {
        await target.stop();
      }
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contestants.length; k++) {
      const c = contestants[(k + round) % contestants.length] as Contestant;
      const target = await c.start(echo);
      try {
        bulk.get(c.key)?.push(await tcpBulk(target.bulk, PROBE_BULK_BYTES));
      } finally {
        await target.stop();
      }
      await settle(sink);
    }
  }
  const pooled = new Map([...rtt].map(([k, parts]) => [k, merge(parts)]));
  const p = (k: string, q: number): number => percentile(pooled.get(k) as Float64Array, q);
  const d50 = p('direct', 0.5);
  const d99 = p('direct', 0.99);
  out['tcp_direct_p50_us'] = round1(d50);
  out['tcp_direct_p99_us'] = round1(d99);
  out['tcp_direct_bulk_mibps'] = Math.round(median(bulk.get('direct') ?? []));
  log(`  ${'figure'.padEnd(28)}${contestants.map((c) => c.key.padStart(12)).join('')}${contestants.length === 3 ? '   ours/theirs' : ''}`);
  const rows: [string, (k: string) => number, 'lower' | 'higher'][] = [
    ['round trip p50 (µs)', (k) => p(k, 0.5), 'lower'],
    ['round trip p99 (µs)', (k) => p(k, 0.99), 'lower'],
    ['added p50 (µs)', (k) => p(k, 0.5) - d50, 'lower'],
    ['added p99 (µs)', (k) => p(k, 0.99) - d99, 'lower'],
    ['bulk 1 GiB, median (MiB/s)', (k) => median(bulk.get(k) ?? []), 'higher'],
  ];
  for (const [name, value] of rows) {
    const cells = contestants.map((c) => (name.startsWith('added') && c.key === 'direct' ? '' : value(c.key).toFixed(name.startsWith('bulk') ? 0 : 1)).padStart(12));
    const ratio = contestants.length === 3 ? `   ${ratioText(value('amchaos'), value('toxiproxy'))}` : '';
    log(`  ${name.padEnd(28)}${cells.join('')}${ratio}`);
  }
  for (const c of contestants) {
    if (c.key === 'direct') continue;
    out[`tcp_${c.key}_p50_us`] = round1(p(c.key, 0.5));
    out[`tcp_${c.key}_p99_us`] = round1(p(c.key, 0.99));
    out[`tcp_${c.key}_added_p50_us`] = round1(p(c.key, 0.5) - d50);
    out[`tcp_${c.key}_added_p99_us`] = round1(p(c.key, 0.99) - d99);
    out[`tcp_${c.key}_bulk_mibps`] = Math.round(median(bulk.get(c.key) ?? []));
  }
  log(`  bulk runs (MiB/s): ${contestants.map((c) => `${c.key} ${fmt(bulk.get(c.key))}`).join('; ')}`);
  if (contestants.length === 3) {
    const a50 = out['tcp_amchaos_added_p50_us'] as number;
    const t50 = out['tcp_toxiproxy_added_p50_us'] as number;
    const a99 = out['tcp_amchaos_added_p99_us'] as number;
    const t99 = out['tcp_toxiproxy_added_p99_us'] as number;
    out['ratio_added_p50'] = round2(a50 / t50);
    out['ratio_added_p99'] = round2(a99 / t99);
    out['ratio_bulk'] = round2((out['tcp_amchaos_bulk_mibps'] as number) / (out['tcp_toxiproxy_bulk_mibps'] as number));
    log(
      `  ours / Toxiproxy: added p50 ${ratioText(a50, t50)} (goal ≤ 0.8), added p99 ${ratioText(a99, t99)} (goal ≤ 1.0), ` +
        `bulk ${out['ratio_bulk']} × (goal ≥ 1.1)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// In-process sections

async function chainSection(echo: EchoPorts, sink: ChildProcess, via: (k: string) => number, out: Figures, log: Log): Promise<void> {
  const rtt: Record<string, Float64Array[]> = { direct: [], proxy: [], chain: [] };
  const bulk: Record<string, number[]> = { direct: [], proxy: [], chain: [] };
  const runs: [string, number, number][] = [
    ['direct', echo.tcpEcho, echo.tcpSink],
    ['proxy', via('tcpEcho'), via('tcpSink')],
    ['chain', via('tcpEchoChain'), via('tcpSinkChain')],
  ];
  for (let round = 0; round < CHAIN_ROUNDS; round++) {
    for (let k = 0; k < runs.length; k++) {
      const [key, rttPort, bulkPort] = runs[(k + round) % runs.length] as [string, number, number];
      rtt[key]?.push(await tcpPingPong(rttPort, CHAIN_SAMPLES, CHAIN_WARMUP));
      bulk[key]?.push(await tcpBulk(bulkPort, CHAIN_BULK_BYTES));
      await settle(sink);
    }
  }
  const pct = (k: string, q: number): number => percentile(merge(rtt[k] ?? []), q);
  for (const key of ['proxy', 'chain']) {
    out[`inproc_tcp_${key}_added_p50_us`] = round1(pct(key, 0.5) - pct('direct', 0.5));
    out[`inproc_tcp_${key}_added_p99_us`] = round1(pct(key, 0.99) - pct('direct', 0.99));
    out[`inproc_tcp_${key}_bulk_mibps`] = Math.round(median(bulk[key] ?? []));
  }
  log(
    `  in-process proxy, no toxic: added p50 ${out['inproc_tcp_proxy_added_p50_us']} µs, p99 ${out['inproc_tcp_proxy_added_p99_us']} µs, bulk ${out['inproc_tcp_proxy_bulk_mibps']} MiB/s`,
  );
  log(
    `  in-process proxy, noop toxic each way: added p50 ${out['inproc_tcp_chain_added_p50_us']} µs, p99 ${out['inproc_tcp_chain_added_p99_us']} µs, bulk ${out['inproc_tcp_chain_bulk_mibps']} MiB/s` +
      `  [bulk runs: direct ${fmt(bulk['direct'])}; proxy ${fmt(bulk['proxy'])}; chain ${fmt(bulk['chain'])}]`,
  );
}

async function udpLossless(sink: ChildProcess, port: number, log: Log, label: string): Promise<number> {
  let best = 0;
  for (const rate of UDP_RATES) {
    let ok = false;
    // Best of 3: on a shared 2-core machine a single scheduling gap of ~100 ms overflows any socket
    // buffer at these rates, which says nothing about the relay itself.
    for (let attempt = 0; attempt < UDP_ATTEMPTS && !ok; attempt++) {
      sink.send({ kind: 'reset' });
      await sleep(50);
      const sent = await udpBlast(port, rate, UDP_SECONDS);
      await sleep(300);
      const got = await askCount(sink);
      log(`    udp ${label} ${rate}/s: sent ${sent}, received ${got}${got === sent ? '' : ` (lost ${sent - got})`}`);
      ok = got === sent;
    }
    if (!ok) break;
    best = rate;
  }
  return best;
}

async function udpSection(sinkChild: ChildProcess, echo: EchoPorts, via: (k: string) => number, out: Figures, log: Log): Promise<void> {
  const rtt: Record<string, Float64Array[]> = { direct: [], proxy: [] };
  for (let round = 0; round < UDP_RTT_ROUNDS; round++) {
    const order: [string, number][] = [
      ['direct', echo.udpEcho],
      ['proxy', via('udpEcho')],
    ];
    if (round % 2 === 1) order.reverse();
    for (const [key, port] of order) rtt[key]?.push(await udpPingPong(port, UDP_RTT_SAMPLES, UDP_RTT_WARMUP));
  }
  const pct = (k: string, q: number): number => percentile(merge(rtt[k] ?? []), q);
  out['udp_direct_p50_us'] = round1(pct('direct', 0.5));
  out['udp_direct_p99_us'] = round1(pct('direct', 0.99));
  out['udp_added_p50_us'] = round1(pct('proxy', 0.5) - pct('direct', 0.5));
  out['udp_added_p99_us'] = round1(pct('proxy', 0.99) - pct('direct', 0.99));
  log(
    `  udp round trip, 64 B: direct p50 ${out['udp_direct_p50_us']} µs p99 ${out['udp_direct_p99_us']} µs | added p50 ${out['udp_added_p50_us']} µs p99 ${out['udp_added_p99_us']} µs`,
  );
  out['udp_lossless_direct_dps'] = await udpLossless(sinkChild, echo.udpSink, log, 'direct');
  out['udp_lossless_proxy_dps'] = await udpLossless(sinkChild, via('udpSink'), log, 'proxy');
  log(
    `  udp lossless (${UDP_SIZE}-byte datagrams, ${UDP_SECONDS} s per rate, best of ${UDP_ATTEMPTS}): direct ≥ ${out['udp_lossless_direct_dps']}/s | proxy ≥ ${out['udp_lossless_proxy_dps']}/s` +
      (out['udp_lossless_direct_dps'] === UDP_RATES[UDP_RATES.length - 1] ? ' (direct hit the top of the ladder)' : ''),
  );
}

export type Section = 'tcp' | 'chain' | 'udp';
const ALL_SECTIONS: readonly Section[] = ['tcp', 'chain', 'udp'];

/**
 * Runs the benchmark; returns the figures (also logged line by line). `only` limits it to some sections.
 */
export async function run(log: Log, only: readonly Section[] = ALL_SECTIONS): Promise<Figures> {
  const echo = await forkRole('echo');
  const sink = await forkRole('sink');
  const targets = { ...echo.ports, ...sink.ports } as unknown as EchoPorts;
  const out: Figures = {};
  let proxy: { child: ChildProcess; ports: Record<string, number> } | null = null;
  try {
    log(`proxy bench: Node ${process.version}; load average ${loadavg()[0]?.toFixed(2)}`);
    out['proxy_load_average_start'] = round1(loadavg()[0] ?? 0);
    if (only.includes('tcp')) {
      log('proxy tcp probe (separate processes, HTTP API):');
      await probeSection(targets, sink.child, out, log);
    }
    if (only.includes('chain') || only.includes('udp')) {
      proxy = await forkRole('proxy', [JSON.stringify(targets)]);
      const via = (k: string): number => proxy?.ports[k] as number;
      if (only.includes('chain')) {
        log('proxy toxic chain (in-process ProxyServer):');
        await chainSection(targets, sink.child, via, out, log);
      }
      if (only.includes('udp')) {
        log('proxy udp (in-process ProxyServer, udp: true):');
        await udpSection(sink.child, targets, via, out, log);
      }
    }
    out['proxy_load_average_end'] = round1(loadavg()[0] ?? 0);
    log(`proxy bench: load average at the end ${out['proxy_load_average_end']}`);
    return out;
  } finally {
    if (proxy !== null) {
      const child = proxy.child;
      stopRole(child);
    }
    stopRole(echo.child);
    stopRole(sink.child);
  }
}

// ---------------------------------------------------------------------------------------------------
// Entry: a child role, or `node dist/bench/proxy.js` run directly.

const roleArg = process.argv.find((a) => a.startsWith('--bench-role='));
if (roleArg !== undefined) {
  const role = roleArg.slice('--bench-role='.length);
  if (role === 'echo') await runEchoRole();
  else if (role === 'sink') await runSinkRole();
  else if (role === 'proxy') await runProxyRole(JSON.parse(process.argv[process.argv.indexOf(roleArg) + 1] ?? '{}') as EchoPorts);
  // A child lives until the parent kills it or goes away.
  process.on('disconnect', () => process.exit(0));
} else if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const wanted = process.argv.slice(2).filter((a): a is Section => (ALL_SECTIONS as readonly string[]).includes(a));
  const figures = await run((line) => process.stdout.write(`${line}\n`), wanted.length > 0 ? wanted : ALL_SECTIONS);
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
