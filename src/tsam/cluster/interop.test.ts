/**
 * tsam's memberlist layer against REAL Alertmanager binaries (Debian 0.25.0, 0.28.1, 0.33.1), on
 * 127.0.0.1 with free ports. Each version runs the same scenarios; a missing binary skips that
 * version with a reason saying how to enable it.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AlertmanagerPeer } from './index.js';
import type { ClusterChannel, ClusterPeerOptions, ClusterState } from './peer-api.js';
import {
  TARGET_VERSIONS,
  clusterNameOf,
  clusterPeersOf,
  createSilenceViaApi,
  findAlertmanager,
  groupKeysIn,
  meshEntry,
  meshSilence,
  readFileIfExists,
  runningRealAlertmanagers,
  silenceIdsIn,
  silenceIdsOf,
  skipReason,
  startRealAlertmanager,
  stopAllRealAlertmanagers,
  stopRealAlertmanager,
  waitFor,
  type RealAlertmanager,
} from '../../../test/support/tsam/cluster.js';

class RecordingState implements ClusterState {
  readonly merges: Uint8Array[] = [];
  local: Uint8Array = new Uint8Array(0);
  marshalBinary(): Uint8Array {
    return this.local;
  }
  merge(data: Uint8Array): void {
    this.merges.push(data.slice());
  }
  silenceIds(): string[] {
    return this.merges.flatMap(silenceIdsIn);
  }
  groupKeys(): string[] {
    return this.merges.flatMap(groupKeysIn);
  }
}

interface Tsam {
  peer: AlertmanagerPeer;
  sil: RecordingState;
  nfl: RecordingState;
  silChan: ClusterChannel;
  nflChan: ClusterChannel;
  logs: string[];
}

/** tsam peers by the version they interoperate with: each version's tests clean up only their own. */
const started = new Map<string, Set<AlertmanagerPeer>>();

async function startTsam(knownPeers: string[], compat: string, extra: Partial<ClusterPeerOptions> = {}): Promise<Tsam> {
  const logs: string[] = [];
  const peer = await AlertmanagerPeer.create({
    listenAddress: '127.0.0.1:0',
    knownPeers,
    peerTimeoutMs: 2000,
    gossipIntervalMs: 200,
    pushPullIntervalMs: 60_000,
    settleTimeoutMs: 0,
    compat,
    log: (level, msg, fields) => logs.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`),
    ...extra,
  });
  let mine = started.get(compat);
  if (!mine) started.set(compat, (mine = new Set()));
  mine.add(peer);
  const sil = new RecordingState();
  const nfl = new RecordingState();
  const silChan = peer.addState('sil', sil);
  const nflChan = peer.addState('nfl', nfl);
  return { peer, sil, nfl, silChan, nflChan, logs };
}

/** Leaves every tsam peer and kills every real node of one version (or of all). */
async function cleanup(version?: string): Promise<void> {
  for (const [v, peers] of started) {
    if (version !== undefined && v !== version) continue;
    for (const p of peers) await p.leave(0).catch(() => {});
    started.delete(v);
  }
  await stopAllRealAlertmanagers(version);
}

const names = async (am: RealAlertmanager): Promise<string[]> => ((await clusterPeersOf(am)) ?? []).map((p) => p.name);

async function mutualMembership(t: Tsam, am: RealAlertmanager): Promise<string> {
  const amName = await clusterNameOf(am);
  await waitFor(async () => (await names(am)).includes(t.peer.name), 15_000, `${am.version} to list tsam ${t.peer.name}`);
  await waitFor(() => t.peer.peers().some((p) => p.name === amName), 15_000, `tsam to list ${am.version} ${amName}`);
  const listed = (await clusterPeersOf(am))!.find((p) => p.name === t.peer.name)!;
  expect(listed.address).toBe(t.peer.address);
  expect(t.peer.peers().find((p) => p.name === amName)!.address).toBe(am.clusterAddress);
  return amName;
}

const bins = Object.fromEntries(await Promise.all(TARGET_VERSIONS.map(async (v) => [v, await findAlertmanager(v)] as const)));

afterAll(() => cleanup());

// The versions run side by side (concurrent suites, each on its own ports, cleaning up only its own
// nodes); the tests of one version run in order (sequential tests).
describe('tsam cluster interop', () => {
  for (const version of TARGET_VERSIONS) {
    const bin = bins[version];
    if (!bin) {
      describe(`tsam cluster interop with Alertmanager ${version}`, () => {
        it.skip(`skipped: ${skipReason(version)}`, () => {});
      });
      continue;
    }
    const start = (peers: string[] = [], reuse?: RealAlertmanager): Promise<RealAlertmanager> =>
      startRealAlertmanager({ bin, version, peers, ...(reuse ? { reuse } : {}) });

    describe.concurrent(`tsam cluster interop with Alertmanager ${version}`, () => {
      afterEach(() => cleanup(version));

      it.sequential('(a) tsam joins the real node; both list each other; the real node never suspects tsam', { timeout: 60_000 }, async () => {
        const am = await start();
        const t = await startTsam([am.clusterAddress], version);
        await t.peer.join();
        await t.peer.settle();
        expect(t.peer.status()).toBe('ready');
        await mutualMembership(t, am);
        // A few probe rounds: tsam must ack every UDP ping, or the real node would suspect it.
        await new Promise((r) => setTimeout(r, 4000));
        expect(await names(am)).toContain(t.peer.name);
        expect(am.logs.filter((l) => l.includes(`Suspect ${t.peer.name}`))).toEqual([]);
        // Not even one missed UDP ack ("Failed ping: X" in 0.2.2, "Failed UDP ping: X" in 0.5.x).
        expect(am.logs.filter((l) => new RegExp(`Failed (UDP )?ping: ${t.peer.name}`).test(l))).toEqual([]);
        expect(t.peer.probeStats().probes).toBeGreaterThan(0);
        expect(t.peer.probeStats().suspicionsRaised).toBe(0);
      });

      it.sequential('(a) the real node joins tsam', { timeout: 60_000 }, async () => {
        const t = await startTsam([], version);
        await t.peer.join();
        const am = await start([t.peer.address]);
        await mutualMembership(t, am);
        expect(t.peer.position()).toBe(t.peer.peers().findIndex((p) => p.name === t.peer.name));
      });

      it.sequential('(b) real + tsam + real form a 3-member cluster, with the same order everywhere', { timeout: 60_000 }, async () => {
        const am1 = await start();
        const t = await startTsam([am1.clusterAddress], version);
        await t.peer.join();
        // am2 knows only tsam: it can learn am1 only from tsam's push/pull state and gossip.
        const am2 = await start([t.peer.address]);
        await waitFor(async () => (await names(am1)).length === 3 && (await names(am2)).length === 3, 20_000, 'both real nodes to list 3 peers');
        await waitFor(() => t.peer.peers().length === 3, 10_000, 'tsam to list 3 peers');
        const fromAm1 = await names(am1);
        expect(await names(am2)).toEqual(fromAm1);
        expect(t.peer.peers().map((p) => p.name)).toEqual(fromAm1);
        expect(t.peer.position()).toBe(fromAm1.indexOf(t.peer.name));
      });

      it.sequential('(c) silences and nflog flow both ways: push/pull, gossip, and oversized over TCP', { timeout: 90_000 }, async () => {
        const am = await start();
        const before = await createSilenceViaApi(am, 'created before tsam joined');
        const t = await startTsam([am.clusterAddress], version);
        // A silence only in tsam's full state: it can reach the real node only by push/pull.
        const pushedId = randomUUID();
        t.sil.local = meshSilence(pushedId, 'in tsam state before join');
        await t.peer.join();
        // Real -> tsam by push/pull (join).
        expect(t.sil.silenceIds()).toContain(before);
        // tsam -> real by push/pull.
        await waitFor(async () => (await silenceIdsOf(am)).includes(pushedId), 10_000, 'the pushed silence to show in the real API');

        // Real -> tsam by UDP gossip.
        const gossiped = await createSilenceViaApi(am, 'created after join');
        await waitFor(() => t.sil.silenceIds().includes(gossiped), 10_000, 'the gossiped silence to reach tsam');
        // Real -> tsam oversized (> 700 bytes: the real node sends it over TCP to every peer).
        const big = await createSilenceViaApi(am, 'x'.repeat(900));
        await waitFor(() => t.sil.silenceIds().includes(big), 10_000, 'the oversized silence to reach tsam');
        const metrics = await (await fetch(`${am.webUrl}/metrics`)).text();
        expect(metrics).toMatch(/alertmanager_oversized_gossip_message_sent_total\S* [1-9]/);

        // tsam -> real by UDP gossip.
        const small = randomUUID();
        t.silChan.broadcast(meshSilence(small, 'gossiped by tsam'));
        await waitFor(async () => (await silenceIdsOf(am)).includes(small), 10_000, 'the tsam silence to show in the real API');
        // tsam -> real oversized over TCP.
        const large = randomUUID();
        t.silChan.broadcast(meshSilence(large, 'y'.repeat(1000)));
        await waitFor(async () => (await silenceIdsOf(am)).includes(large), 10_000, 'the oversized tsam silence to show in the real API');
        expect(t.peer.stats.oversizedSent).toBeGreaterThanOrEqual(1);
        expect(t.peer.stats.oversizedFailed).toBe(0);

        // nflog: tsam broadcasts an entry; the real node merges it, re-gossips it back to us (state
        // changed, small) and writes it in its shutdown snapshot.
        const groupKey = `{}:{alertname="tsam-interop-${version}"}`;
        t.nflChan.broadcast(meshEntry(groupKey));
        await waitFor(() => t.nfl.groupKeys().includes(groupKey), 10_000, 'the real node to re-gossip the nflog entry');
        await stopRealAlertmanager(am, 'SIGTERM');
        const snapshot = await readFileIfExists(path.join(am.dir, 'data', 'nflog'));
        expect(snapshot).toBeDefined();
        expect(groupKeysIn(snapshot!)).toContain(groupKey);
      });

      it.sequential('(d) SIGKILL: tsam marks the node suspect, then dead after the suspicion timeout; a restart rejoins', { timeout: 90_000 }, async () => {
        const am = await start();
        const t = await startTsam([am.clusterAddress], version, { reconnectIntervalMs: 1000 });
        await t.peer.join();
        const oldName = await mutualMembership(t, am);
        const seen: { suspect?: number; dead?: number } = {};
        const poll = setInterval(() => {
          const m = t.peer.members().find((x) => x.name === oldName);
          if (m?.state === 'suspect' && seen.suspect === undefined) seen.suspect = Date.now();
          if (m?.state === 'dead' && seen.dead === undefined) seen.dead = Date.now();
        }, 20);
        try {
          await stopRealAlertmanager(am, 'SIGKILL');
          await waitFor(() => seen.dead !== undefined, 30_000, 'tsam to declare the killed node dead');
        } finally {
          clearInterval(poll);
        }
        expect(seen.suspect).toBeDefined();
        // 2 nodes: no confirmations expected, so the timer is the minimum, 4 x probe interval (1 s).
        const suspicion = seen.dead! - seen.suspect!;
        expect(suspicion).toBeGreaterThanOrEqual(3500);
        expect(suspicion).toBeLessThanOrEqual(6000);
        expect(t.peer.peers().map((p) => p.name)).not.toContain(oldName);

        // Restart on the same address without --cluster.peer: only tsam's reconnect loop can bring it back.
        await start([], am);
        const newName = await clusterNameOf(am);
        expect(newName).not.toBe(oldName);
        await waitFor(() => t.peer.peers().some((p) => p.name === newName), 20_000, 'tsam to reconnect to the restarted node');
        await waitFor(async () => (await names(am)).includes(t.peer.name), 10_000, 'the restarted node to list tsam');
        expect(t.peer.stats.reconnections).toBeGreaterThanOrEqual(1);
      });

      it.sequential('(e) leave(): the real node drops tsam at once and tsam closes its sockets', { timeout: 60_000 }, async () => {
        const am = await start();
        const t = await startTsam([am.clusterAddress], version);
        await t.peer.join();
        await mutualMembership(t, am);
        await t.peer.leave(5000);
        const leftAt = Date.now();
        await waitFor(async () => !(await names(am)).includes(t.peer.name), 3000, 'the real node to drop tsam after leave');
        expect(Date.now() - leftAt).toBeLessThan(3000);
        // The node's log reaches us through a pipe, after its API already answered: wait for the line.
        await waitFor(() => am.logs.some((l) => l.includes('NotifyLeave') && l.includes(t.peer.name)), 5000, 'the NotifyLeave log line');
        const { port } = new URL(`tcp://${t.peer.address}`);
        const refused = await new Promise<boolean>((r) => {
          const s = net.connect(Number(port), '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            r(false);
          });
          s.once('error', () => r(true));
        });
        expect(refused).toBe(true);
      });

      it.sequential('probes: with UDP blocked, both sides fall back to TCP pings and nobody is suspected', { timeout: 60_000 }, async () => {
        const am = await start();
        const t = await startTsam([am.clusterAddress], version);
        await t.peer.join();
        const amName = await mutualMembership(t, am);
        const amPort = am.clusterPort;
        // Everything UDP between the two is lost; TCP still works.
        t.peer.setPacketFaults({ dropInbound: (f) => f.port === amPort, dropOutbound: (to) => to.port === amPort });
        // memberlist 0.2.2 says "... to X but other probes failed", 0.5.x "... to X over TCP but UDP probes failed".
        const tcpOk = new RegExp(`Was able to connect to ${t.peer.name}( over TCP)? but (other|UDP) probes failed`);
        await waitFor(
          () => am.logs.some((l) => tcpOk.test(l)),
          15_000,
          'the real node to reach tsam by TCP ping',
        );
        await waitFor(() => t.peer.probeStats().tcpFallbackSuccesses > 0, 15_000, 'tsam to reach the real node by TCP ping');
        expect(t.peer.members().find((m) => m.name === amName)?.state).toBe('alive');
        expect(await names(am)).toContain(t.peer.name);
        t.peer.setPacketFaults({});
      });

      it.sequential('refutation: the real node suspects an unreachable tsam, tsam refutes and stays a member', { timeout: 60_000 }, async () => {
        const am = await start();
        const t = await startTsam([am.clusterAddress], version);
        await t.peer.join();
        await mutualMembership(t, am);
        const amPort = am.clusterPort;
        // Unreachable both ways (UDP lost, TCP refused) for less than the 4 s suspicion timeout.
        t.peer.setPacketFaults({ dropInbound: (f) => f.port === amPort, dropOutbound: (to) => to.port === amPort, refuseInboundStreams: true });
        await waitFor(() => am.logs.some((l) => l.includes(`Suspect ${t.peer.name} has failed`)), 10_000, 'the real node to suspect tsam');
        t.peer.setPacketFaults({});
        await waitFor(() => t.peer.probeStats().refutations > 0, 10_000, 'tsam to refute the suspicion');
        // Past the suspicion timeout: the refutation (higher incarnation) kept tsam alive.
        await new Promise((r) => setTimeout(r, 5000));
        expect(await names(am)).toContain(t.peer.name);
        expect(am.logs.some((l) => l.includes(`Marking ${t.peer.name} as failed`))).toBe(false);
      });

      it.sequential('probes: indirect pings through a real node, and nacks from it', { timeout: 90_000 }, async () => {
        const am1 = await start();
        const t = await startTsam([am1.clusterAddress], version);
        await t.peer.join();
        const am2 = await start([am1.clusterAddress]);
        await waitFor(() => t.peer.peers().length === 3, 20_000, 'a 3-member cluster');
        const am2Name = await clusterNameOf(am2);
        // tsam cannot reach am2 by UDP: the direct ping fails and am1 must relay.
        t.peer.setPacketFaults({ dropOutbound: (to) => to.port === am2.clusterPort });
        await waitFor(() => t.peer.probeStats().indirectAcks > 0, 20_000, 'an ack relayed by the real node');
        expect(t.peer.members().find((m) => m.name === am2Name)?.state).toBe('alive');
        // Now am2 is really gone: am1 answers our indirect ping with a nack.
        t.peer.setPacketFaults({});
        const nacksBefore = t.peer.probeStats().nacksReceived;
        await stopRealAlertmanager(am2, 'SIGKILL');
        await waitFor(() => t.peer.probeStats().nacksReceived > nacksBefore, 20_000, 'a nack from the real node');
      });
    });
  }
});

describe('cleanup', () => {
  it('no real Alertmanager started by these tests is still running', async () => {
    await cleanup();
    expect(runningRealAlertmanagers()).toBe(0);
  });
});
