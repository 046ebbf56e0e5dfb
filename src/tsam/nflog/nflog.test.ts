import { describe, expect, it } from 'vitest';
import { parseCompat } from '../compat/compat.js';
import { NO_FAULTS, parseFaults, type Faults } from '../faults/faults.js';
import { Logger } from '../log/logger.js';
import { decodeMeshEntry, encodeMeshEntry, joinDelimited, splitDelimited, type GoTime, type MeshEntry } from '../statepb/statepb.js';
import { NotificationLog, OVERSIZED_BYTES, stateKey } from './nflog.js';

const compat = parseCompat('0.33.1');
const logger = new Logger({ level: 'error', format: 'logfmt', compat, write: () => undefined });
const S = 1_000_000_000n;
const recv = { groupName: 'web', integration: 'webhook', idx: 0 };

function setup(faults: Faults = NO_FAULTS) {
  let now: GoTime = 1_000_000n * S;
  const sent: Uint8Array[] = [];
  const log = new NotificationLog({ compat, faults, logger, retentionMs: 120 * 3_600_000, now: () => now });
  log.setBroadcast((b) => sent.push(b));
  return { log, sent, advance: (s: bigint) => (now += s * S), now: () => now };
}

function meshEntry(ts: GoTime, expires: GoTime, firing: bigint[] = [1n]): MeshEntry {
  return {
    entry: { groupKey: new TextEncoder().encode('{}:{a="1"}'), receiver: recv, timestamp: ts, firingAlerts: firing, resolvedAlerts: [], receiverData: new Map() },
    expiresAt: expires,
  };
}

describe('notification log', () => {
  it('logs, queries and broadcasts one entry with expiry min(retention, 2×repeat)', () => {
    const { log, sent, now } = setup();
    log.log(recv, '{}:{a="1"}', [1n, 2n], [3n], 2 * 3_600_000);
    const e = log.query('{}:{a="1"}', recv)!;
    expect(e.firingAlerts).toEqual([1n, 2n]);
    expect(e.resolvedAlerts).toEqual([3n]);
    expect(e.timestamp).toBe(now());
    expect(sent).toHaveLength(1);
    const m = decodeMeshEntry(splitDelimited(sent[0]!)[0]!);
    expect(m.expiresAt! - m.entry.timestamp!).toBe(7200n * S);
    expect(log.query('{}:{a="1"}', { ...recv, idx: 1 })).toBeUndefined();
    expect(stateKey('{}:{a="1"}', recv)).toBe('{}:{a="1"}:web/webhook/0');
  });

  it('uses the retention when the expiry is longer or zero', () => {
    const { log, sent } = setup();
    log.log(recv, 'k', [], [], 0);
    const m = decodeMeshEntry(splitDelimited(sent[0]!)[0]!);
    expect(m.expiresAt! - m.entry.timestamp!).toBe(120n * 3600n * S);
  });

  it('does not overwrite an entry from the future (clock drift)', () => {
    const { log, now } = setup();
    log.merge(joinDelimited([encodeMeshEntry(meshEntry(now() + 60n * S, now() + 3600n * S, [9n]), false)]));
    log.log(recv, '{}:{a="1"}', [1n], [], 3_600_000);
    expect(log.query('{}:{a="1"}', recv)!.firingAlerts).toEqual([9n]);
  });

  it('merges last-writer-wins, drops expired, and re-gossips the original bytes once', () => {
    const { log, sent, now } = setup();
    const older = joinDelimited([encodeMeshEntry(meshEntry(now() - 10n * S, now() + 3600n * S, [1n]), false)]);
    const newer = joinDelimited([encodeMeshEntry(meshEntry(now() - 5n * S, now() + 3600n * S, [2n]), false)]);
    log.merge(newer);
    expect(sent).toEqual([newer]);
    log.merge(older); // older timestamp: ignored, not re-gossiped
    log.merge(newer); // equal timestamp: ignored
    expect(sent).toHaveLength(1);
    expect(log.query('{}:{a="1"}', recv)!.firingAlerts).toEqual([2n]);
    const expired = joinDelimited([encodeMeshEntry(meshEntry(now(), now() - S, [3n]), false)]);
    log.merge(expired);
    expect(log.query('{}:{a="1"}', recv)!.firingAlerts).toEqual([2n]);
  });

  it('does not re-gossip oversized parts', () => {
    const { log, sent, now } = setup();
    const big = joinDelimited([encodeMeshEntry(meshEntry(now(), now() + 3600n * S, Array.from({ length: 150 }, (_, i) => BigInt(i) + 0xffffffffffn)), false)]);
    expect(big.length).toBeGreaterThan(OVERSIZED_BYTES);
    log.merge(big);
    expect(log.size()).toBe(1);
    expect(sent).toHaveLength(0);
  });

  it('fails a payload with an entry missing its receiver', () => {
    const { log } = setup();
    expect(() => log.merge(Buffer.from([0x05, 0x0a, 0x03, 0x0a, 0x01, 0x6b]))).toThrow('invalid state');
  });

  it('garbage-collects entries whose expiry is not after now', () => {
    const { log, advance } = setup();
    log.log(recv, 'k', [1n], [], 2000);
    advance(1n);
    expect(log.gc()).toBe(0);
    advance(1n);
    expect(log.gc()).toBe(1);
    expect(log.size()).toBe(0);
  });

  it('full state round-trips through marshalBinary/merge', () => {
    const a = setup();
    a.log.log(recv, 'k1', [1n], [], 3_600_000);
    a.log.log({ ...recv, idx: 2 }, 'k2', [], [5n], 3_600_000);
    const b = setup();
    b.log.merge(a.log.marshalBinary());
    expect(b.log.query('k2', { ...recv, idx: 2 })!.resolvedAlerts).toEqual([5n]);
    expect(b.log.size()).toBe(2);
  });

  it('fault no-nflog-gossip: nothing broadcast, nothing merged, empty push/pull state', () => {
    const { log, sent, now } = setup(parseFaults(['no-nflog-gossip']));
    log.log(recv, 'k', [1n], [], 3_600_000);
    expect(sent).toHaveLength(0);
    expect(log.size()).toBe(1); // still used locally
    log.merge(joinDelimited([encodeMeshEntry(meshEntry(now(), now() + 3600n * S), false)]));
    expect(log.size()).toBe(1);
    expect(log.marshalBinary()).toHaveLength(0);
  });
});
