import { describe, expect, it } from 'vitest';
import { newAlert } from '../alerts/alerts.js';
import type { NflogEntry } from '../statepb/statepb.js';
import { hashAlert, xxh64 } from './hash.js';
import { Backoff, needsUpdate } from './pipeline.js';
import { quoteMeta, webhookBody } from './webhook.js';

const NOW = 1_800_000_000_000;
const entry = (firing: bigint[], resolved: bigint[], agoMs: number): NflogEntry => ({
  groupKey: new Uint8Array(),
  receiver: { groupName: 'r', integration: 'webhook', idx: 0 },
  timestamp: BigInt(NOW - agoMs) * 1_000_000n,
  firingAlerts: firing,
  resolvedAlerts: resolved,
  receiverData: new Map(),
});
const set = (...xs: bigint[]): Set<bigint> => new Set(xs);
const H = 3_600_000;

describe('dedup decision (needsUpdate)', () => {
  it.each([
    ['no entry, firing', undefined, set(1n), set(), false, 'first notification'],
    ['no entry, only resolved', undefined, set(), set(1n), true, 'none'],
    ['new firing alert', entry([1n], [], 0), set(1n, 2n), set(), false, 'new alerts added'],
    ['firing again after a resolution', entry([], [1n], 0), set(1n), set(), false, 'first notification'],
    ['all resolved, entry had firing (send_resolved ignored)', entry([1n], [], 0), set(), set(1n), false, 'all alerts resolved'],
    ['all resolved, entry had none', entry([], [1n], 0), set(), set(1n), true, 'none'],
    ['new resolved, send_resolved', entry([1n, 2n], [], 0), set(1n), set(2n), true, 'some alerts resolved'],
    ['new resolved, no send_resolved', entry([1n, 2n], [], 0), set(1n), set(2n), false, 'none'],
    ['subset of what was sent', entry([1n, 2n], [], 0), set(1n), set(), false, 'none'],
    ['unchanged, within repeat', entry([1n], [], H - 1000), set(1n), set(), true, 'none'],
    ['unchanged, repeat elapsed', entry([1n], [], H + 1000), set(1n), set(), true, 'repeat interval elapsed'],
  ])('%s', (_n, e, firing, resolved, sendResolved, want) => {
    expect(needsUpdate(e, firing, resolved, sendResolved, H, NOW)).toBe(want);
  });
});

describe('alert hash', () => {
  it('is XXH64 of sorted name\\xffvalue\\xff (vectors from cespare/xxhash and a real nflog entry)', () => {
    const enc = new TextEncoder();
    expect(xxh64(enc.encode(''))).toBe(0xef46db3751d8e999n);
    expect(xxh64(enc.encode('a'))).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxh64(enc.encode('asdf'))).toBe(0x415872f599cea71en);
    expect(hashAlert({ alertname: 'Foo', a: '1', a1: '2', team: 'x y', service: 'foo', instance: 'h"1' })).toBe(0x9f159b355c4f5f98n);
    expect(hashAlert({ b: '1', a: '2' })).toBe(hashAlert({ a: '2', b: '1' }));
  });
});

describe('webhook payload', () => {
  const mk = (labels: Record<string, string>, annotations: Record<string, string>, endsAt = 0) =>
    newAlert({ labels, annotations, startsAt: NOW - 60_000, endsAt, updatedAt: NOW, generatorURL: 'http://g?a=1&b=<2>', timeout: false });

  it('is Go json.Encoder output with version 4, common labels and truncation', () => {
    const body = webhookBody({
      receiver: 'team.a',
      alerts: [mk({ alertname: 'A', i: '1' }, { s: 'x', t: '1' }), mk({ alertname: 'A', i: '2' }, { s: 'x', t: '2' }), mk({ alertname: 'A', i: '3' }, {})],
      groupLabels: { alertname: 'A' },
      groupKey: '{}:{alertname="A"}',
      externalURL: 'http://am:9093',
      maxAlerts: 2,
      notificationReason: 'first notification',
      now: NOW,
    });
    expect(body.endsWith('}\n')).toBe(true);
    const b = JSON.parse(body) as Record<string, unknown>;
    expect(b).toMatchObject({
      receiver: 'team\\.a',
      status: 'firing',
      commonLabels: { alertname: 'A' },
      commonAnnotations: { s: 'x' },
      truncatedAlerts: 1,
      version: '4',
    });
    expect((b['alerts'] as unknown[]).length).toBe(2);
    expect(body).toContain('"generatorURL":"http://g?a=1\\u0026b=\\u003c2\\u003e"');
    expect(body).toContain('"startsAt":"2027-01-15T07:59:00Z"');
    expect(body).toContain('"endsAt":"0001-01-01T00:00:00Z"');
  });

  it('is resolved only when every alert is, and omits notification_reason for old versions', () => {
    const body = webhookBody({
      receiver: 'r', alerts: [mk({ a: '1' }, {}, NOW - 500)], groupLabels: {}, groupKey: 'k',
      externalURL: 'u', maxAlerts: 0, notificationReason: undefined, now: NOW,
    });
    expect(body).toContain('"status":"resolved"');
    expect(body).toContain('"endsAt":"2027-01-15T07:59:59.5Z"');
    expect(body).not.toContain('notification_reason');
  });

  it('escapes receiver names like regexp.QuoteMeta', () => {
    expect(quoteMeta('a.b*c(d)|[e]{f}^$\\+?')).toBe('a\\.b\\*c\\(d\\)\\|\\[e\\]\\{f\\}\\^\\$\\\\\\+\\?');
  });
});

describe('retry backoff', () => {
  it('grows ×1.5 from 500ms with ±50% jitter, capped at 60s', () => {
    const b = new Backoff();
    const first = b.next();
    expect(first).toBeGreaterThanOrEqual(250);
    expect(first).toBeLessThanOrEqual(750);
    for (let i = 0; i < 30; i++) b.next();
    expect(b.next()).toBeLessThanOrEqual(90_000);
    expect(b.next()).toBeGreaterThanOrEqual(30_000);
  });
});
