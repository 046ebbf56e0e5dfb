/**
 * Test support for the cluster layer (imported only by src/tsam/cluster/*.test.ts): finding the real
 * Alertmanager binaries, starting them on loopback with free ports, and the silence/nflog protobuf
 * messages the interop tests exchange with them. Every process and temp dir is tracked and
 * removed by `stopAllRealAlertmanagers()` (and, as a last resort, when the test process exits).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';

import { findRealAlertmanager, realBinaryEnvVar, realBinarySkipReason } from '../versions/real-binary.js';
import { freePort as freePortOnLoopback } from '../../../src/runtime/common/ports.js';

export const TARGET_VERSIONS = ['0.25.0', '0.28.1', '0.33.1'] as const;
export type TargetVersion = (typeof TARGET_VERSIONS)[number];

export const envVarFor = realBinaryEnvVar;

/** The binary for `version` (see src/versions/testing.ts); undefined makes tests skip. */
export function findAlertmanager(version: TargetVersion): Promise<string | undefined> {
  return findRealAlertmanager(version);
}

export function skipReason(version: string): string {
  return realBinarySkipReason(version);
}

/** A port free for both TCP and UDP on 127.0.0.1 (memberlist needs both on one number). */
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
  dir: string;
  webPort: number;
  clusterPort: number;
  clusterAddress: string;
  webUrl: string;
  logs: string[];
  proc: ChildProcess | undefined;
}

const running = new Set<RealAlertmanager>();
const tempDirs = new Set<string>();

process.once('exit', () => {
  for (const am of running) am.proc?.kill('SIGKILL');
});

export interface StartOptions {
  bin: string;
  version: string;
  peers?: string[];
  /** Reuse ports and storage (restart after a kill). */
  reuse?: RealAlertmanager;
  extraArgs?: string[];
}

export async function startRealAlertmanager(o: StartOptions): Promise<RealAlertmanager> {
  let am: RealAlertmanager;
  if (o.reuse) {
    am = o.reuse;
    am.logs.push('--- restart ---');
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tsam-interop-'));
    tempDirs.add(dir);
    await writeFile(path.join(dir, 'alertmanager.yml'), CONFIG);
    const webPort = await freePort();
    const clusterPort = await freePort();
    am = {
      version: o.version,
      bin: o.bin,
      dir,
      webPort,
      clusterPort,
      clusterAddress: `127.0.0.1:${clusterPort}`,
      webUrl: `http://127.0.0.1:${webPort}`,
      logs: [],
      proc: undefined,
    };
  }
  const args = [
    `--config.file=${path.join(am.dir, 'alertmanager.yml')}`,
    `--storage.path=${path.join(am.dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${am.webPort}`,
    `--cluster.listen-address=${am.clusterAddress}`,
    '--cluster.settle-timeout=0s',
    '--cluster.peer-timeout=2s',
    '--cluster.gossip-interval=200ms',
    '--log.level=debug',
    ...(o.peers ?? []).map((p) => `--cluster.peer=${p}`),
    ...(o.extraArgs ?? []),
  ];
  const proc = spawn(am.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  am.proc = proc;
  running.add(am);
  const onLine = (chunk: Buffer): void => {
    for (const l of chunk.toString('utf8').split('\n')) if (l !== '') am.logs.push(l);
    if (am.logs.length > 20000) am.logs.splice(0, am.logs.length - 20000);
  };
  proc.stdout?.on('data', onLine);
  proc.stderr?.on('data', onLine);
  proc.once('exit', () => {
    if (am.proc === proc) am.proc = undefined;
  });
  try {
    await waitFor(async () => (await fetchJson(`${am.webUrl}/api/v2/status`)) !== undefined, 20_000, `${o.version} to serve /api/v2/status`);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast log lines:\n${am.logs.slice(-15).join('\n')}`);
  }
  return am;
}

export async function stopRealAlertmanager(am: RealAlertmanager, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const proc = am.proc;
  if (!proc || proc.exitCode !== null) {
    am.proc = undefined;
    return;
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
  am.proc = undefined;
}

/** Kills the real nodes this module started (only those of one version, if given) and removes their dirs. */
export async function stopAllRealAlertmanagers(version?: string): Promise<void> {
  const mine = [...running].filter((am) => version === undefined || am.version === version);
  await Promise.all(mine.map((am) => stopRealAlertmanager(am, 'SIGKILL')));
  for (const am of mine) {
    running.delete(am);
    tempDirs.delete(am.dir);
  }
  await Promise.all(mine.map((am) => rm(am.dir, { recursive: true, force: true })));
  if (version === undefined) {
    await Promise.all([...tempDirs].map((d) => rm(d, { recursive: true, force: true })));
    tempDirs.clear();
  }
}

/** Real Alertmanager processes this module started that are still running. */
export function runningRealAlertmanagers(): number {
  return [...running].filter((am) => am.proc !== undefined).length;
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
