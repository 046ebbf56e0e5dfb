/**
 * The cluster layer on its own: queue and suspicion arithmetic, and clusters of tsam peers on
 * real loopback sockets (no binaries needed). Real-binary interop is in interop.test.ts.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isAmchaosError } from '../../errors/index.js';
import {
  ALERTMANAGER_VSN,
  decodeBody,
  decodePacket,
  encodeAlive,
  encodeDead,
  encodePing,
  encodePushPull,
  encodeSuspect,
  frameStreamMessage,
  encodePingStream,
  parseStreamMessage,
  readAckResp,
  wireCompat,
  MessageType,
  type PushNodeState,
} from '../wire/index.js';
import { bytesToIp, ipToBytes, splitHostPort } from './addr.js';
import { Suspicion, remainingSuspicionTime, suspicionTimeout } from './failure.js';
import { AlertmanagerPeer, createClusterPeer } from './index.js';
import type { ClusterChannel, ClusterPeerOptions, ClusterState } from './peer-api.js';
import { TransmitLimitedQueue, retransmitLimit } from './queue.js';
import { waitFor } from '../../../test/support/tsam/cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const b = (s: string): Uint8Array => Buffer.from(s);

describe('TransmitLimitedQueue', () => {
  it('retransmit limit = mult x ceil(log10(n+1))', () => {
    expect(retransmitLimit(4, 1)).toBe(4);
    expect(retransmitLimit(3, 9)).toBe(3);
    expect(retransmitLimit(3, 10)).toBe(6);
    expect(retransmitLimit(4, 99)).toBe(8);
  });

  it('hands out fresher, then larger messages that fit, each at most the limit', () => {
    const q = new TransmitLimitedQueue(() => 2, 2); // limit 2
    q.queue(b('aa'));
    q.queue(b('bbbb'));
    q.queue(b('c'));
    // limit 6 with overhead 1: bbbb (5) fits, then nothing else fits in 1 byte.
    expect(q.getBroadcasts(1, 6).map((x) => Buffer.from(x).toString())).toEqual(['bbbb']);
    // Untransmitted ones first: aa and c (tier 0), then bbbb (tier 1).
    expect(q.getBroadcasts(1, 100).map((x) => Buffer.from(x).toString())).toEqual(['aa', 'c', 'bbbb']);
    expect(q.getBroadcasts(1, 100).map((x) => Buffer.from(x).toString())).toEqual(['aa', 'c']);
    expect(q.length).toBe(0);
    expect(q.getBroadcasts(1, 100)).toEqual([]);
  });

  it('a named message replaces the older one of the same name and finishes it', () => {
    const q = new TransmitLimitedQueue(() => 1, 4);
    const finished: string[] = [];
    q.queue(b('alive-1'), 'node-a', () => finished.push('1'));
    q.queue(b('other'), 'node-b');
    q.queue(b('alive-2'), 'node-a', () => finished.push('2'));
    expect(finished).toEqual(['1']);
    expect(q.getBroadcasts(0, 1000).map((x) => Buffer.from(x).toString()).sort()).toEqual(['alive-2', 'other']);
    // Unnamed messages never replace each other.
    q.queue(b('x'));
    q.queue(b('x'));
    expect(q.length).toBe(4);
  });

  it('calls finished once the limit is reached (how leave knows its dead message went out)', () => {
    const q = new TransmitLimitedQueue(() => 1, 2);
    let done = 0;
    q.queue(b('dead'), 'me', () => done++);
    q.getBroadcasts(0, 100);
    expect(done).toBe(0);
    q.getBroadcasts(0, 100);
    expect(done).toBe(1);
  });

  it('prune keeps the freshest messages', () => {
    const q = new TransmitLimitedQueue(() => 1, 100);
    q.queue(b('old'));
    q.getBroadcasts(0, 100);
    q.queue(b('new1'));
    q.queue(b('new2'));
    expect(q.prune(2)).toBe(1);
    expect(q.getBroadcasts(0, 100).map((x) => Buffer.from(x).toString()).sort()).toEqual(['new1', 'new2']);
  });
});

describe('suspicion', () => {
  it('timeouts follow memberlist: 4 s for up to 10 nodes at 1 s probes, x6 max', () => {
    expect(suspicionTimeout(4, 2, 1000)).toBe(4000);
    expect(suspicionTimeout(4, 10, 1000)).toBe(4000);
    expect(suspicionTimeout(4, 100, 1000)).toBe(8000);
    expect(remainingSuspicionTime(0, 2, 0, 4000, 24000)).toBe(24000);
    expect(remainingSuspicionTime(1, 2, 0, 4000, 24000)).toBe(11381);
    expect(remainingSuspicionTime(2, 2, 0, 4000, 24000)).toBe(4000);
    expect(remainingSuspicionTime(2, 2, 5000, 4000, 24000)).toBe(-1000);
  });

  it('fires at min without expected confirmations, sooner than max with them', async () => {
    const fired: number[] = [];
    const t0 = Date.now();
    new Suspicion('a', 0, 60, 3000, () => fired.push(Date.now() - t0));
    const s2 = new Suspicion('a', 2, 60, 3000, () => fired.push(Date.now() - t0));
    expect(s2.confirm('a')).toBe(false); // the accuser does not count
    expect(s2.confirm('b')).toBe(true);
    expect(s2.confirm('b')).toBe(false);
    expect(s2.confirm('c')).toBe(true); // k reached: the timer is now the minimum
    expect(s2.confirm('d')).toBe(false);
    await waitFor(() => fired.length === 2, 2500, 'both suspicions to fire');
    // Both at about min (60 ms), far from max (3 s).
    for (const f of fired) expect(f).toBeLessThan(1500);
    let late = false;
    const s3 = new Suspicion('a', 0, 50, 50, () => (late = true));
    s3.stop();
    await sleep(80);
    expect(late).toBe(false);
  });
});

describe('addresses', () => {
  it('IP bytes both ways like Go net.IP', () => {
    expect(Array.from(ipToBytes('127.0.0.1'))).toEqual([127, 0, 0, 1]);
    expect(bytesToIp(ipToBytes('::1'))).toBe('0:0:0:0:0:0:0:1');
    expect(bytesToIp(ipToBytes('fe80::1:2'))).toBe('fe80:0:0:0:0:0:1:2');
    expect(bytesToIp(ipToBytes('::ffff:10.1.2.3'))).toBe('10.1.2.3');
    expect(splitHostPort('[::1]:9094')).toEqual({ host: '::1', port: 9094 });
    expect(() => splitHostPort('nohost')).toThrow(/host:port/);
    expect(() => splitHostPort('h:99999')).toThrow(/bad port/);
  });
});

// ---------------------------------------------------------------- tsam-only clusters

class Recorder implements ClusterState {
  merges: Uint8Array[] = [];
  local: Uint8Array = new Uint8Array(0);
  /** Like nflog/silences Merge: re-broadcast what is new. The sender alone transmits each part only
   * retransmit-limit times, and pings/acks piggy-back it too, so spreading relies on this. */
  channel: ClusterChannel | undefined;
  marshalBinary(): Uint8Array {
    return this.local;
  }
  merge(d: Uint8Array): void {
    const seen = this.merges.some((m) => Buffer.compare(Buffer.from(m), Buffer.from(d)) === 0);
    this.merges.push(d.slice());
    if (!seen) this.channel?.broadcast(d.slice());
  }
  has(s: string): boolean {
    return this.merges.some((m) => Buffer.from(m).toString().includes(s));
  }
}

const peers = new Set<AlertmanagerPeer>();
afterEach(async () => {
  for (const p of peers) await p.leave(0);
  peers.clear();
});

const FAST: Omit<ClusterPeerOptions, 'knownPeers'> = {
  listenAddress: '127.0.0.1:0',
  peerTimeoutMs: 500,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 60_000,
  settleTimeoutMs: 0,
  probeIntervalMs: 200,
  probeTimeoutMs: 80,
  reconnectIntervalMs: 500,
  tcpTimeoutMs: 2000,
};

async function tsamPeer(
  knownPeers: string[] = [],
  extra: Partial<ClusterPeerOptions> = {},
): Promise<{ p: AlertmanagerPeer; st: Recorder; ch: ClusterChannel; logs: string[] }> {
  const logs: string[] = [];
  const p = await AlertmanagerPeer.create({ ...FAST, knownPeers, log: (l, m, f) => logs.push(`${l} ${m} ${JSON.stringify(f ?? {})}`), ...extra });
  peers.add(p);
  const st = new Recorder();
  const ch = p.addState('sil', st);
  st.channel = ch;
  return { p, st, ch, logs };
}

const stateOf = (p: AlertmanagerPeer, name: string): string | undefined => p.members().find((m) => m.name === name)?.state;

describe('tsam peers among themselves', () => {
  it('form a cluster, agree on order and positions, and gossip user state', { timeout: 20_000 }, async () => {
    const a = await tsamPeer([], { name: 'node-c' });
    const b2 = await tsamPeer([a.p.address], { name: 'node-a' });
    await b2.p.join();
    const c = await tsamPeer([b2.p.address], { name: 'node-b' });
    await c.p.join();
    for (const x of [a, b2, c]) await waitFor(() => x.p.peers().length === 3, 5000, `${x.p.name} to see 3 members`);
    expect(a.p.peers().map((p) => p.name)).toEqual(['node-a', 'node-b', 'node-c']);
    expect([b2.p.position(), c.p.position(), a.p.position()]).toEqual([0, 1, 2]);
    a.ch.broadcast(b('silence-1'));
    await waitFor(() => b2.st.has('silence-1') && c.st.has('silence-1'), 5000, 'gossip to reach both');
  });

  it('join carries full state both ways through push/pull', { timeout: 10_000 }, async () => {
    const a = await tsamPeer();
    a.st.local = b('state-of-a');
    const c = await tsamPeer([a.p.address]);
    c.st.local = b('state-of-c');
    await c.p.join();
    expect(c.st.has('state-of-a')).toBe(true);
    await waitFor(() => a.st.has('state-of-c'), 2000, 'a to merge c state');
  });

  it('periodic push/pull carries state that was never broadcast', { timeout: 10_000 }, async () => {
    const a = await tsamPeer([], { pushPullIntervalMs: 300 });
    const c = await tsamPeer([a.p.address], { pushPullIntervalMs: 300 });
    await c.p.join();
    a.st.local = b('changed-after-join');
    await waitFor(() => c.st.has('changed-after-join'), 5000, 'anti-entropy to carry the new state');
  });

  it('an indirect ping through a tsam relay rescues a probe; a dead target earns a nack', { timeout: 30_000 }, async () => {
    const a = await tsamPeer();
    const relay = await tsamPeer([a.p.address]);
    await relay.p.join();
    const target = await tsamPeer([a.p.address]);
    await target.p.join();
    await waitFor(() => a.p.peers().length === 3 && relay.p.peers().length === 3, 5000, '3 members');
    const targetPort = Number(target.p.address.split(':')[1]);
    a.p.setPacketFaults({ dropOutbound: (to) => to.port === targetPort });
    await waitFor(() => a.p.probeStats().indirectAcks > 0, 10_000, 'an indirect ack');
    expect(relay.p.probeStats().relayedAcks).toBeGreaterThan(0);
    expect(stateOf(a.p, target.p.name)).toBe('alive');
    // Now make the target vanish without leaving: the relay answers with a nack.
    a.p.setPacketFaults({});
    const targetName = target.p.name;
    await (target.p as unknown as { ml: { shutdown(): Promise<void> } }).ml.shutdown();
    await waitFor(() => a.p.probeStats().nacksReceived > 0, 10_000, 'a nack');
    expect(relay.p.probeStats().relayedNacks).toBeGreaterThan(0);
    await waitFor(() => stateOf(a.p, targetName) === 'dead', 15_000, 'the target to be declared dead');
  });

  it('refutes suspect and dead messages about itself with a higher incarnation', { timeout: 15_000 }, async () => {
    const a = await tsamPeer();
    const other = await tsamPeer([a.p.address]);
    await other.p.join();
    await waitFor(() => other.p.peers().length === 2, 3000, '2 members');
    const inc0 = a.p.members().find((m) => m.name === a.p.name)!.incarnation;
    const [ip, port] = a.p.address.split(':');
    const sock = dgram.createSocket('udp4');
    try {
      const send = (m: Uint8Array): Promise<void> => new Promise((r) => sock.send(m, Number(port), ip, () => r()));
      await send(encodeSuspect({ incarnation: inc0, node: a.p.name, from: 'liar' }));
      await waitFor(() => a.p.probeStats().refutations === 1, 2000, 'a refutation');
      const inc1 = a.p.members().find((m) => m.name === a.p.name)!.incarnation;
      expect(inc1).toBeGreaterThan(inc0);
      // An accusation far ahead forces a jump past it.
      await send(encodeDead({ incarnation: inc1 + 10, node: a.p.name, from: 'liar' }));
      await waitFor(() => a.p.probeStats().refutations === 2, 2000, 'a second refutation');
      expect(a.p.members().find((m) => m.name === a.p.name)!.incarnation).toBe(inc1 + 11);
      await waitFor(() => other.p.members().find((m) => m.name === a.p.name)?.incarnation === inc1 + 11, 3000, 'the other peer to learn it');
      expect(stateOf(other.p, a.p.name)).toBe('alive');
      // An old-incarnation accusation is ignored.
      await send(encodeSuspect({ incarnation: inc0, node: a.p.name, from: 'liar' }));
      await sleep(200);
      expect(a.p.probeStats().refutations).toBe(2);
    } finally {
      sock.close();
    }
  });

  it('answers pings meant for it (UDP and TCP) and ignores pings for another name', { timeout: 10_000 }, async () => {
    const a = await tsamPeer();
    const [ip, port] = a.p.address.split(':');
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const got: Uint8Array[] = [];
    sock.on('message', (m) => got.push(new Uint8Array(m)));
    try {
      const src = { sourceAddr: ipToBytes('127.0.0.1'), sourcePort: sock.address().port, sourceNode: 'probe' };
      sock.send(encodePing({ seqNo: 7, node: 'somebody-else', ...src }), Number(port), ip);
      await sleep(300);
      expect(got).toEqual([]);
      sock.send(encodePing({ seqNo: 8, node: a.p.name, ...src }), Number(port), ip);
      await waitFor(() => got.length > 0, 2000, 'an ack');
      const d = decodePacket(got[0]!, wireCompat('0.25.0'));
      const ack = d.messages.find((m) => m.type === MessageType.ackResp)!;
      // Alertmanager's ping delegate payload: empty, non-nil.
      expect(decodeBody(ack.body, 'ack', readAckResp)).toEqual({ seqNo: 8, payload: new Uint8Array(0) });
    } finally {
      sock.close();
    }
    const s = net.connect(Number(port), ip);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      s.on('data', (c) => (buf = Buffer.concat([buf, c])));
      s.on('close', () => resolve(buf));
      s.on('error', reject);
      s.write(frameStreamMessage(encodePingStream({ seqNo: 9, node: a.p.name, sourceAddr: null, sourcePort: 0, sourceNode: '' }), true));
    });
    const p = parseStreamMessage(reply, { compat: wireCompat('0.25.0'), serverSide: false });
    expect(p.status === 'done' && p.message).toEqual({ kind: 'ack', ack: { seqNo: 9, payload: null } });
  });

  it('rejects a push/pull whose versions do not fit, and an alive with a short version vector', { timeout: 10_000 }, async () => {
    const a = await tsamPeer();
    const [ip, port] = a.p.address.split(':');
    const node = (name: string, vsn: number[]): PushNodeState => ({
      name, addr: ipToBytes('127.0.0.9'), port: 9, meta: null, incarnation: 1, state: 0, vsn: Uint8Array.from(vsn),
    });
    const push = async (n: PushNodeState): Promise<void> => {
      const s = net.connect(Number(port), ip);
      await new Promise<void>((resolve, reject) => {
        s.on('data', () => {});
        s.on('close', () => resolve());
        s.on('error', reject);
        s.write(encodePushPull(false, [n], null));
      });
    };
    await push(node('bad-version', [1, 5, 0, 0, 0, 0]));
    await push(node('good-version', [...ALERTMANAGER_VSN]));
    await waitFor(() => a.p.members().some((m) => m.name === 'good-version'), 2000, 'the good node');
    expect(a.p.members().some((m) => m.name === 'bad-version')).toBe(false);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) =>
      sock.send(encodeAlive({ incarnation: 1, node: 'short-vsn', addr: ipToBytes('127.0.0.8'), port: 9, meta: null, vsn: Uint8Array.from([1, 5, 2]) }), Number(port), ip, () => r()),
    );
    sock.close();
    await sleep(200);
    expect(a.p.members().some((m) => m.name === 'short-vsn')).toBe(false);
  });

  it('leave: others see "left" at once; sockets close', { timeout: 10_000 }, async () => {
    const a = await tsamPeer();
    const c = await tsamPeer([a.p.address]);
    await c.p.join();
    await waitFor(() => a.p.peers().length === 2, 3000, '2 members');
    await c.p.leave(2000);
    peers.delete(c.p);
    await waitFor(() => stateOf(a.p, c.p.name) === 'left', 2000, 'a to see c leave');
    expect(a.p.peers().map((p) => p.name)).toEqual([a.p.name]);
    // Both sockets are released: the same port binds again for TCP and UDP.
    const port = Number(c.p.address.split(':')[1]);
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    srv.close();
    const u = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => u.once('error', reject).bind(port, '127.0.0.1', () => resolve()));
    u.close();
    await c.p.leave(100); // twice is harmless
  });
});

describe('settle, status, position', () => {
  it('settles after 3 unchanged polls at 10 x gossip interval, not before', { timeout: 10_000 }, async () => {
    const { p } = await tsamPeer([], { gossipIntervalMs: 20, settleTimeoutMs: 30_000 });
    expect(p.status()).toBe('settling');
    const t0 = Date.now();
    await p.settle();
    // Poll 1 sees a change (0 -> 1), polls 2-4 count three okays, poll 5 proceeds: 5 x 200 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5 * 200 - 20);
    expect(p.status()).toBe('ready');
  });

  it('gives up at the settle timeout, or when aborted', { timeout: 10_000 }, async () => {
    const { p, logs } = await tsamPeer([], { gossipIntervalMs: 100, settleTimeoutMs: 300 });
    await p.settle();
    expect(p.status()).toBe('ready');
    expect(logs.some((l) => l.includes('gossip not settled but continuing anyway'))).toBe(true);
    const q = await tsamPeer([], { gossipIntervalMs: 100, settleTimeoutMs: 60_000 });
    const ac = new AbortController();
    const done = q.p.settle(ac.signal);
    ac.abort();
    await done;
    expect(q.p.status()).toBe('ready');
  });

  it('a settle timeout of 0 is ready at once (what the interop tests run with)', async () => {
    const { p } = await tsamPeer();
    await p.settle();
    expect(p.status()).toBe('ready');
    expect(p.position()).toBe(0);
    expect(p.peers()).toEqual([{ name: p.name, address: p.address }]);
  });

  it('default names are ULIDs, sorting by start time', async () => {
    const x = await tsamPeer();
    await sleep(5);
    const y = await tsamPeer();
    expect(x.p.name).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(x.p.name < y.p.name).toBe(true);
  });

  it('a disabled cluster has no peers and position 0', async () => {
    const d = await createClusterPeer({ ...FAST, listenAddress: '', knownPeers: [] });
    expect(d.status()).toBe('disabled');
    expect(d.peers()).toEqual([]);
    expect(d.position()).toBe(0);
    d.addState('sil', new Recorder()).broadcast(b('ignored'));
    await d.leave(0);
  });
});

describe('bad input', () => {
  const bad = async (o: Partial<ClusterPeerOptions>, code: string, re: RegExp): Promise<void> => {
    const err = await createClusterPeer({ ...FAST, knownPeers: [], ...o }).then(
      (p) => p.leave(0).then(() => undefined),
      (e: unknown) => e,
    );
    expect(isAmchaosError(err)).toBe(true);
    if (isAmchaosError(err)) {
      expect(err.code).toBe(code);
      expect(err.message).toMatch(re);
      expect(err.hint).toBeTruthy();
    }
  };

  it('rejects malformed addresses, timers and compat versions with typed errors', async () => {
    await bad({ listenAddress: 'localhost' }, 'AMCHAOS_BAD_ARGUMENT', /host:port/);
    await bad({ knownPeers: ['a:b:c'] }, 'AMCHAOS_BAD_ARGUMENT', /host:port/);
    await bad({ advertiseAddress: 'host.example:9094' }, 'AMCHAOS_BAD_ARGUMENT', /not an IP/);
    await bad({ gossipIntervalMs: 0 }, 'AMCHAOS_BAD_ARGUMENT', /gossipIntervalMs/);
    await bad({ probeTimeoutMs: -1 }, 'AMCHAOS_BAD_ARGUMENT', /probeTimeoutMs/);
    await bad({ compat: 'latest' }, 'AMCHAOS_BAD_ARGUMENT', /compat/);
  });

  it('a taken port is AMCHAOS_PORT_IN_USE', async () => {
    // Hold a port by listening on it (port 0: the kernel picks one no one holds — asking for a free
    // port first and binding it later could lose it to another process in between).
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      await bad({ listenAddress: `127.0.0.1:${port}` }, 'AMCHAOS_PORT_IN_USE', /cannot bind/);
    } finally {
      srv.close();
    }
  });
});
