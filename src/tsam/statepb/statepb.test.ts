/**
 * The codecs against snapshot files written by real binaries (test/support/tsam/testdata/statepb/, captured on graceful
 * shutdown of Debian 0.25.0, 0.28.1 and 0.33.1): decode → encode must give back the same bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeMeshEntry,
  decodeMeshSilence,
  encodeMeshEntry,
  encodeMeshSilence,
  GO_ZERO_TIME,
  joinDelimited,
  splitDelimited,
  type MeshEntry,
} from './statepb.js';

const td = (f: string): Buffer => readFileSync(new URL(`../../../test/support/tsam/testdata/statepb/${f}`, import.meta.url));

describe('real snapshots round-trip byte for byte', () => {
  for (const [version, gogo] of [['0.25.0', true], ['0.28.1', true], ['0.33.1', false]] as const) {
    it(`nflog ${version}`, () => {
      const buf = td(`nflog-${version}`);
      const parts = splitDelimited(buf);
      expect(parts.length).toBeGreaterThan(0);
      const out = joinDelimited(parts.map((p) => encodeMeshEntry(decodeMeshEntry(p), gogo)));
      expect(Buffer.from(out).equals(buf)).toBe(true);
    });
    it(`silences ${version}`, () => {
      const buf = td(`silences-${version}`);
      const out = joinDelimited(splitDelimited(buf).map((p) => encodeMeshSilence(decodeMeshSilence(p), gogo)));
      expect(Buffer.from(out).equals(buf)).toBe(true);
    });
  }

  it('decodes the fields Alertmanager wrote', () => {
    const [e] = splitDelimited(td('nflog-0.25.0')).map(decodeMeshEntry);
    expect(new TextDecoder().decode(e!.entry.groupKey)).toBe('{}:{alertname="Foo"}');
    expect(e!.entry.receiver).toEqual({ groupName: 'web', integration: 'webhook', idx: 0 });
    expect(e!.entry.firingAlerts).toHaveLength(1);
    // expiry = 2 × repeat_interval (1h) after the notification
    expect(e!.expiresAt! - e!.entry.timestamp!).toBe(2n * 3600n * 1_000_000_000n);

    const sils = splitDelimited(td('silences-0.33.1')).map(decodeMeshSilence);
    expect(sils[0]!.silence.matchers).toEqual([{ type: 0, name: 'alertname', pattern: 'A' }]);
    expect(sils[0]!.silence.matcherSets).toEqual([[{ type: 0, name: 'alertname', pattern: 'A' }]]); // 0.32+ field 11
    const old = splitDelimited(td('silences-0.25.0')).map(decodeMeshSilence);
    expect(old[0]!.silence.matchers[1]).toEqual({ type: 3, name: 'job', pattern: 'a|b' }); // NOT_REGEXP
    expect(old[0]!.silence.matcherSets).toEqual([]);
  });
});

describe('encoding rules', () => {
  const entry = (idx: number): MeshEntry => ({
    entry: {
      groupKey: new TextEncoder().encode('{}:{}'),
      receiver: { groupName: 'r', integration: 'webhook', idx },
      timestamp: 1_700_000_000_123_456_789n,
      firingAlerts: [0xffffffffffffffffn, 1n],
      resolvedAlerts: [],
      receiverData: new Map(),
    },
    expiresAt: 1_700_000_001_000_000_000n,
  });

  it('omits proto3 defaults (idx 0) and packs uint64', () => {
    const b0 = Buffer.from(encodeMeshEntry(entry(0), false)).toString('hex');
    expect(b0).not.toContain('1800'); // no idx=0 field
    expect(Buffer.from(encodeMeshEntry(entry(1), false)).toString('hex')).toContain('1801');
    expect(b0).toContain('320b' + 'ffffffffffffffffff01' + '01'); // packed firing_alerts
    expect(decodeMeshEntry(encodeMeshEntry(entry(0), false)).entry.firingAlerts).toEqual([0xffffffffffffffffn, 1n]);
  });

  it('writes absent timestamps as Go zero time under gogo and not at all under google protobuf', () => {
    const e = entry(0);
    e.entry.timestamp = undefined;
    const gogo = decodeMeshEntry(encodeMeshEntry(e, true));
    expect(gogo.entry.timestamp).toBe(GO_ZERO_TIME);
    expect(decodeMeshEntry(encodeMeshEntry(e, false)).entry.timestamp).toBeUndefined();
  });

  it('accepts unpacked repeated uint64 and rejects an entry without receiver', () => {
    // MeshEntry{entry{group_key:"k", receiver{}, firing_alerts: 5, 7 written unpacked}}
    const fixed = Buffer.from([0x0a, 0x09, 0x0a, 0x01, 0x6b, 0x12, 0x00, 0x30, 0x05, 0x30, 0x07]);
    expect(decodeMeshEntry(fixed).entry.firingAlerts).toEqual([5n, 7n]);
    expect(() => decodeMeshEntry(Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x6b]))).toThrow('invalid state');
  });
});
