/**
 * Test support for the cluster layer (imported only by src/tsam/cluster/*.test.ts): finding the real
 * Alertmanager binaries, starting them on loopback with free ports, and the silence/nflog protobuf
 * messages the interop tests exchange with them. Every process and temp dir is tracked and
 * removed by `stopAllRealAlertmanagers()` (and, as a last resort, when the test process exits).
 */
import { readFile } from 'node:fs/promises';
import protobuf from 'protobufjs';

import { findRealAlertmanager, realBinaryEnvVar, realBinarySkipReason } from '../versions/real-binary.js';
import { freePort as freePortOnLoopback } from '../../../src/runtime/common/ports.js';
import { launchAlertmanager, type LaunchedAlertmanager } from '../alertmanager/real.js';

export const TARGET_VERSIONS = ['0.25.0', '0.28.1', '0.33.1'] as const;
export type TargetVersion = (typeof TARGET_VERSIONS)[number];

export const envVarFor = realBinaryEnvVar;

/** The binary for `version` (see test/support/versions/real-binary.ts); undefined makes tests skip. */
export function findAlertmanager(version: TargetVersion): Promise<string | undefined> {
  return findRealAlertmanager(version);
}

export function skipReason(version: string): string {
  return realBinarySkipReason(version);
}

/** A loopback port (TCP and UDP) not handed out before in this process: concurrent tests never share one. */
export function freePort(): Promise<number> {
  return freePortOnLoopback('127.0.0.1', { udp: true });
}

const CONFIG = `route:
  receiver: hook
  group_by: ['alertname']
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:9/closed
`;

export interface RealAlertmanager {
  version: string;
  bin: string;
  /** The node's directory (data/ holds its storage). */
  dir: string;
  webPort: number;
  clusterPort: number;
  clusterAddress: string;
  webUrl: string;
  /** Every log line so far. */
  readonly logs: string[];
  readonly running: boolean;
  /** The node under it (test/support/alertmanager/real.ts). */
  node: LaunchedAlertmanager;
}

const running = new Set<RealAlertmanager>();

export interface StartOptions {
  bin: string;
  version: string;
  peers?: string[];
  /** Reuse ports and storage (restart after a kill). */
  reuse?: RealAlertmanager;
  extraArgs?: string[];
}

/** The interop tests' cluster flags: fast gossip, no settle wait, the peer timeout the harness uses. */
const CLUSTER_FLAGS = ['--cluster.settle-timeout=0s', '--cluster.peer-timeout=2s', '--cluster.gossip-interval=200ms'];

export async function startRealAlertmanager(o: StartOptions): Promise<RealAlertmanager> {
  let am = o.reuse;
  if (am) {
    // Same ports, same storage; the log file keeps the previous run's lines and the restart appends to it.
    await am.node.start();
  } else {
    const node = await launchAlertmanager({
      version: o.bin,
      config: CONFIG,
      cluster: { peers: o.peers ?? [] },
      extraArgs: [...CLUSTER_FLAGS, ...(o.extraArgs ?? [])],
    }).catch((e: unknown) => {
      throw new Error(`${o.version} did not start: ${(e as Error).message}`);
    });
    am = {
      version: o.version,
      bin: o.bin,
      dir: node.dir,
      webPort: node.webPort,
      clusterPort: node.clusterPort,
      clusterAddress: node.clusterAddress,
      webUrl: node.apiURL,
      get logs() {
        return node.logLines();
      },
      get running() {
        return node.running;
      },
      node,
    };
  }
  running.add(am);
  try {
    await waitFor(async () => (await fetchJson(`${am.webUrl}/api/v2/status`)) !== undefined, 20_000, `${o.version} to serve /api/v2/status`);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast log lines:\n${am.logs.slice(-15).join('\n')}`);
  }
  return am;
}

export async function stopRealAlertmanager(am: RealAlertmanager, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (signal === 'SIGKILL') await am.node.kill();
  else await am.node.stop(5_000);
}

/** Kills the real nodes this module started (only those of one version, if given) and removes their dirs. */
export async function stopAllRealAlertmanagers(version?: string): Promise<void> {
  const mine = [...running].filter((am) => version === undefined || am.version === version);
  for (const am of mine) running.delete(am);
  await Promise.all(mine.map((am) => am.node.destroy()));
}

/** Real Alertmanager processes this module started that are still running. */
export function runningRealAlertmanagers(): number {
  return [...running].filter((am) => am.running).length;
}

export async function fetchJson(url: string, init?: RequestInit): Promise<unknown> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
    if (!r.ok) return undefined;
    return await r.json();
  } catch {
    return undefined;
  }
}

export interface StatusPeer {
  name: string;
  address: string;
}

export async function clusterPeersOf(am: RealAlertmanager): Promise<StatusPeer[] | undefined> {
  const s = (await fetchJson(`${am.webUrl}/api/v2/status`)) as { cluster?: { peers?: StatusPeer[] } } | undefined;
  return s?.cluster?.peers;
}

export async function clusterNameOf(am: RealAlertmanager): Promise<string> {
  const s = (await fetchJson(`${am.webUrl}/api/v2/status`)) as { cluster?: { name?: string } } | undefined;
  return s?.cluster?.name ?? '';
}

/** Polls `cond` every 100 ms until it is true; throws naming `what` after timeoutMs. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function createSilenceViaApi(am: RealAlertmanager, comment: string, matcherValue = 'x'): Promise<string> {
  const now = Date.now();
  const r = await fetch(`${am.webUrl}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: [{ name: 'job', value: matcherValue, isRegex: false, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3600_000).toISOString(),
      createdBy: 'tsam-interop',
      comment,
    }),
  });
  const body = (await r.json()) as { silenceID?: string };
  if (!r.ok || !body.silenceID) throw new Error(`POST /api/v2/silences failed: ${r.status} ${JSON.stringify(body)}`);
  return body.silenceID;
}

export async function silenceIdsOf(am: RealAlertmanager): Promise<string[]> {
  const s = (await fetchJson(`${am.webUrl}/api/v2/silences`)) as { id: string }[] | undefined;
  return (s ?? []).map((x) => x.id);
}

export async function readFileIfExists(p: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(p));
  } catch {
    return undefined;
  }
}

// ---- silencepb / nflogpb (memberlist-wire.md §10.1, §11.1), only what the tests send ----

const root = protobuf.Root.fromJSON({
  nested: {
    pb: {
      nested: {
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
        Matcher: { fields: { type: { type: 'int32', id: 1 }, name: { type: 'string', id: 2 }, pattern: { type: 'string', id: 3 } } },
        Silence: {
          fields: {
            id: { type: 'string', id: 1 },
            matchers: { rule: 'repeated', type: 'Matcher', id: 2 },
            startsAt: { type: 'Timestamp', id: 3 },
            endsAt: { type: 'Timestamp', id: 4 },
            updatedAt: { type: 'Timestamp', id: 5 },
            createdBy: { type: 'string', id: 8 },
            comment: { type: 'string', id: 9 },
          },
        },
        MeshSilence: { fields: { silence: { type: 'Silence', id: 1 }, expiresAt: { type: 'Timestamp', id: 2 } } },
        Receiver: {
          fields: { groupName: { type: 'string', id: 1 }, integration: { type: 'string', id: 2 }, idx: { type: 'uint32', id: 3 } },
        },
        Entry: {
          fields: {
            groupKey: { type: 'bytes', id: 1 },
            receiver: { type: 'Receiver', id: 2 },
            timestamp: { type: 'Timestamp', id: 5 },
            firingAlerts: { rule: 'repeated', type: 'uint64', id: 6 },
            resolvedAlerts: { rule: 'repeated', type: 'uint64', id: 7 },
          },
        },
        MeshEntry: { fields: { entry: { type: 'Entry', id: 1 }, expiresAt: { type: 'Timestamp', id: 2 } } },
      },
    },
  },
});
const MeshSilence = root.lookupType('pb.MeshSilence');
const MeshEntry = root.lookupType('pb.MeshEntry');

const ts = (ms: number): { seconds: number; nanos: number } => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/** One uvarint-delimited MeshSilence, as a silences Merge() expects. */
export function meshSilence(id: string, comment: string, now = Date.now()): Uint8Array {
  return MeshSilence.encodeDelimited(
    MeshSilence.create({
      silence: {
        id,
        matchers: [{ type: 0, name: 'job', pattern: 'from-tsam' }],
        startsAt: ts(now),
        endsAt: ts(now + 3600_000),
        updatedAt: ts(now),
        createdBy: 'tsam',
        comment,
      },
      expiresAt: ts(now + 3600_000 + 120 * 3600_000),
    }),
  ).finish();
}

/** Ids of every delimited MeshSilence in `data` (a broadcast or a full state). */
export function silenceIdsIn(data: Uint8Array): string[] {
  const ids: string[] = [];
  const r = protobuf.Reader.create(data);
  while (r.pos < r.len) {
    const m = MeshSilence.decodeDelimited(r) as unknown as { silence?: { id?: string } };
    if (m.silence?.id) ids.push(m.silence.id);
  }
  return ids;
}

/** One uvarint-delimited nflog MeshEntry. */
export function meshEntry(groupKey: string, now = Date.now()): Uint8Array {
  return MeshEntry.encodeDelimited(
    MeshEntry.create({
      entry: {
        groupKey: Buffer.from(groupKey, 'utf8'),
        receiver: { groupName: 'hook', integration: 'webhook' },
        timestamp: ts(now),
        firingAlerts: [12345],
      },
      expiresAt: ts(now + 3600_000),
    }),
  ).finish();
}

export function groupKeysIn(data: Uint8Array): string[] {
  const keys: string[] = [];
  const r = protobuf.Reader.create(data);
  while (r.pos < r.len) {
    const m = MeshEntry.decodeDelimited(r) as unknown as { entry?: { groupKey?: Uint8Array } };
    if (m.entry?.groupKey) keys.push(Buffer.from(m.entry.groupKey).toString('utf8'));
  }
  return keys;
}
