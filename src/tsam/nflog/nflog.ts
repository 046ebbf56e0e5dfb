/**
 * The notification log: what was last notified per (group key, receiver integration), replicated over
 * the cluster under the key "nfl". Rules follow Go's nflog package one to one:
 *  - Log() refuses to overwrite an entry whose timestamp is in the future (clock drift between nodes);
 *  - merge drops expired entries and replaces only on a strictly newer timestamp (last writer wins);
 *  - a merged entry that changed the state is re-broadcast with the original bytes, unless oversized;
 *  - GC drops entries whose expiry is not after now.
 */
import type { ClusterState } from '../cluster/peer-api.js';
import type { Compat } from '../compat/compat.js';
import type { Faults } from '../faults/faults.js';
import type { Logger } from '../log/logger.js';
import {
  decodeMeshEntry,
  encodeMeshEntry,
  GO_ZERO_TIME,
  joinDelimited,
  msToGoTime,
  nowGoTime,
  splitDelimited,
  type GoTime,
  type MeshEntry,
  type NflogEntry,
  type NflogReceiver,
} from '../statepb/statepb.js';
import { readSnapshot, writeSnapshot } from '../statepb/snapshot.js';

/** cluster.OversizedMessage: MaxGossipPacketSize/2. */
export const OVERSIZED_BYTES = 700;

export interface NflogOptions {
  compat: Compat;
  faults: Faults;
  logger: Logger;
  /** --data.retention in ms (default 120h). */
  retentionMs: number;
  /** Injectable clock for tests. */
  now?: () => GoTime;
}

export function stateKey(groupKey: string, r: NflogReceiver): string {
  return `${groupKey}:${r.groupName}/${r.integration}/${r.idx}`;
}

const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();

export class NotificationLog implements ClusterState {
  private readonly st = new Map<string, MeshEntry>();
  private readonly opts: NflogOptions;
  private readonly now: () => GoTime;
  private broadcast: (b: Uint8Array) => void = () => {};
  /** Received gossip messages passed on (alertmanager_nflog_gossip_messages_propagated_total). */
  propagated = 0;

  constructor(opts: NflogOptions) {
    this.opts = opts;
    this.now = opts.now ?? nowGoTime;
  }

  /** Connects the cluster channel ("nfl"). */
  setBroadcast(fn: (b: Uint8Array) => void): void {
    this.broadcast = fn;
  }

  /** An absent timestamp reads as Go's zero time under gogo, as 1970 under google protobuf. */
  private ts(t: GoTime | undefined): GoTime {
    return t ?? (this.opts.compat.gogoTimestamps ? GO_ZERO_TIME : 0n);
  }

  /** Records a successful notification and gossips it (SetNotifiesStage → nflog.Log). */
  log(recv: NflogReceiver, groupKey: string, firing: bigint[], resolved: bigint[], expiryMs: number): void {
    const now = this.now();
    const key = stateKey(groupKey, recv);
    const prev = this.st.get(key);
    if (prev && this.ts(prev.entry.timestamp) > now) return;
    const retention = msToGoTime(this.opts.retentionMs);
    const expiry = msToGoTime(expiryMs);
    const expiresAt = expiry > 0n && retention > expiry ? now + expiry : now + retention;
    const e: MeshEntry = {
      entry: {
        groupKey: utf8enc.encode(groupKey),
        receiver: { ...recv },
        timestamp: now,
        firingAlerts: firing,
        resolvedAlerts: resolved,
        receiverData: new Map(),
      },
      expiresAt,
    };
    // Go's marshalMeshEntry writes the entry length-delimited, also for a single broadcast.
    const b = joinDelimited([encodeMeshEntry(e, this.opts.compat.gogoTimestamps)]);
    this.mergeEntry(e, now);
    // FAULT no-nflog-gossip: the entry stays local, so peers cannot dedup against it.
    if (this.opts.faults.noNflogGossip) return;
    this.broadcast(b);
  }

  query(groupKey: string, recv: NflogReceiver): NflogEntry | undefined {
    return this.st.get(stateKey(groupKey, recv))?.entry;
  }

  private mergeEntry(e: MeshEntry, now: GoTime): boolean {
    if (this.ts(e.expiresAt) < now) return false;
    const key = stateKey(utf8.decode(e.entry.groupKey), e.entry.receiver);
    const prev = this.st.get(key);
    if (!prev || this.ts(prev.entry.timestamp) < this.ts(e.entry.timestamp)) {
      this.st.set(key, e);
      return true;
    }
    return false;
  }

  /** ClusterState.merge: a gossiped part or a full push/pull state. */
  merge(data: Uint8Array): void {
    // FAULT no-nflog-gossip: ignore what peers notified.
    if (this.opts.faults.noNflogGossip) return;
    const entries = splitDelimited(data).map(decodeMeshEntry);
    const now = this.now();
    for (const e of entries) {
      if (this.mergeEntry(e, now) && data.length <= OVERSIZED_BYTES) {
        this.propagated++;
        this.broadcast(data);
      }
    }
  }

  /** ClusterState.marshalBinary: every entry, delimited (also the snapshot format). */
  marshalBinary(): Uint8Array {
    // FAULT no-nflog-gossip: push/pull carries nothing either.
    if (this.opts.faults.noNflogGossip) return new Uint8Array(0);
    return this.encodeAll();
  }

  private encodeAll(): Uint8Array {
    const gogo = this.opts.compat.gogoTimestamps;
    return joinDelimited([...this.st.values()].map((e) => encodeMeshEntry(e, gogo)));
  }

  /** Deletes entries whose expiry is not after now; returns how many went. */
  gc(): number {
    const now = this.now();
    let n = 0;
    for (const [k, e] of this.st) {
      if (!(this.ts(e.expiresAt) > now)) {
        this.st.delete(k);
        n++;
      }
    }
    return n;
  }

  size(): number {
    return this.st.size;
  }

  async loadSnapshot(path: string): Promise<void> {
    const data = await readSnapshot(path);
    if (data === undefined) {
      this.opts.logger.debug("notification log snapshot file doesn't exist", { component: 'nflog', file: path });
      return;
    }
    const now = this.now();
    for (const e of splitDelimited(data).map(decodeMeshEntry)) this.mergeEntry(e, now);
    this.opts.logger.debug('loaded notification log snapshot', { component: 'nflog', entries: this.st.size });
  }

  async snapshot(path: string): Promise<number> {
    const data = this.encodeAll();
    await writeSnapshot(path, data);
    return data.length;
  }
}
