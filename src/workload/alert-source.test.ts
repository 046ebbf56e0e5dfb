import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import { History, ofType } from '../history/history.js';
import { labelKey } from '../history/types.js';
import { AlertmanagerClient } from '../client/client.js';
import type { PostableAlert } from '../client/types.js';
import { freePort } from '../../test/support/client/alertmanager-process.js';
import { AlertSource } from './alert-source.js';

/**
 * A real HTTP endpoint that keeps what was POSTed to /api/v2/alerts, so the exact resend sequence
 * can be checked (the e2e test checks a real Alertmanager accepts and lists the same alerts).
 */
class RecordingEndpoint {
  readonly posts: { receivedAt: number; alerts: PostableAlert[] }[] = [];
  delayMs = 0;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.posts.push({ receivedAt: Date.now(), alerts: JSON.parse(body) as PostableAlert[] });
        setTimeout(() => res.end(), this.delayMs);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

const A = { labels: { alertname: 'A', group: 'g1', instance: 'i1' }, annotations: { summary: 's' } };
const B = { labels: { alertname: 'B', group: 'g2', instance: 'i1' } };

describe('AlertSource', () => {
  const e1 = new RecordingEndpoint();
  const e2 = new RecordingEndpoint();
  let c1: AlertmanagerClient;
  let c2: AlertmanagerClient;
  let history: History;
  const sources: AlertSource[] = [];

  const source = (opts: Partial<ConstructorParameters<typeof AlertSource>[0]> = {}): AlertSource => {
    const s = new AlertSource({ history, clients: [c1, c2], resendIntervalMs: 1000, resolvedResends: 3, ...opts });
    sources.push(s);
    return s;
  };

  beforeAll(async () => {
    await e1.start();
    await e2.start();
    c1 = new AlertmanagerClient({ node: 'n1', url: `http://127.0.0.1:${e1.port}` });
    c2 = new AlertmanagerClient({ node: 'n2', url: `http://127.0.0.1:${e2.port}` });
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.stop({ abort: true });
    e1.posts.length = 0;
    e2.posts.length = 0;
    e1.delayMs = 0;
    e2.delayMs = 0;
  });
  afterAll(async () => {
    await c1.close();
    await c2.close();
    await e1.stop();
    await e2.stop();
  });

  it('fires at once to every node, re-sends with a fixed startsAt and endsAt = now + 4 × interval, resolves a fixed number of times', async () => {
    history = new History();
    const s = source();
    await s.fire([A, B]);
    await s.resend();
    await s.resend();
    await s.resolve([A]);
    for (let i = 0; i < 4; i++) await s.resend();

    for (const e of [e1, e2]) {
      const aPosts = e.posts.filter((p) => p.alerts.some((a) => a.labels['alertname'] === 'A')).map((p) => ({ p, a: p.alerts.find((x) => x.labels['alertname'] === 'A')! }));
      const startsAt = aPosts[0]!.a.startsAt!;
      expect(aPosts.every(({ a }) => a.startsAt === startsAt)).toBe(true);
      expect(aPosts[0]!.a.annotations).toEqual({ summary: 's' });
      // fire + 2 resends firing, then resolve + 2 resends (resolvedResends = 3), then nothing.
      expect(aPosts).toHaveLength(6);
      for (const { p, a } of aPosts.slice(0, 3)) {
        const validFrom = Date.parse(a.endsAt!) - 4000;
        expect(validFrom).toBeGreaterThanOrEqual(Date.parse(startsAt));
        expect(validFrom).toBeLessThanOrEqual(p.receivedAt);
      }
      const resolvedEnds = aPosts.slice(3).map(({ a }) => a.endsAt);
      expect(new Set(resolvedEnds).size).toBe(1);
      expect(Date.parse(resolvedEnds[0]!)).toBeLessThanOrEqual(aPosts[3]!.p.receivedAt);
      // B keeps firing in every round: fire, 2 resends, the 4 resends after A's resolve.
      expect(e.posts.filter((p) => p.alerts.some((a) => a.labels['alertname'] === 'B'))).toHaveLength(7);
    }
    expect(s.firing()).toEqual([labelKey(B.labels)]);

    const intents = history.all().filter((e) => e.type === 'alert.fire' || e.type === 'alert.resolve');
    expect(intents.map((e) => `${e.type} ${(e as { labels: Record<string, string> }).labels['alertname']}`)).toEqual(['alert.fire A', 'alert.fire B', 'alert.resolve A']);
    expect(ofType(history.all(), 'alert.fire')[0]).toMatchObject({ alert: labelKey(A.labels), targets: ['n1', 'n2'] });
    const inv = ofType(history.all(), 'op.invoke');
    const comp = ofType(history.all(), 'op.complete');
    expect(inv.length).toBe(e1.posts.length + e2.posts.length);
    expect(comp.every((c) => c.ok === true && c.kind === 'alerts.post')).toBe(true);
    expect(new Set(comp.map((c) => c.op))).toEqual(new Set(inv.map((i) => i.op)));
    expect((inv[0]?.value as PostableAlert[])[0]?.labels).toEqual(A.labels);
    expect(s.stats()).toMatchObject({ posts: inv.length, ok: inv.length, failed: 0, indeterminate: 0 });
  });

  it('a re-fired alert gets a new startsAt and a new intent; firing an alert already firing does nothing', async () => {
    history = new History();
    const s = source();
    await s.fire(A);
    await s.fire(A);
    expect(e1.posts).toHaveLength(1);
    await s.resolve();
    await new Promise((r) => setTimeout(r, 5));
    await s.fire(A);
    expect(ofType(history.all(), 'alert.fire')).toHaveLength(2);
    const starts = e1.posts.map((p) => p.alerts[0]!.startsAt);
    expect(starts[2]).not.toBe(starts[0]);
    // the old resolution is not re-sent after the re-fire
    await s.resend();
    expect(e1.posts.at(-1)!.alerts.map((a) => a.endsAt! > a.startsAt!)).toEqual([true]);
  });

  it('sends to the chosen targets only, and refuses unknown targets before recording anything', async () => {
    history = new History();
    const s = source();
    await s.fire(B, { targets: ['n2'] });
    await s.resend();
    expect(e1.posts).toHaveLength(0);
    expect(e2.posts).toHaveLength(2);
    expect(ofType(history.all(), 'alert.fire')[0]?.targets).toEqual(['n2']);
    const n = history.all().length;
    const e = await s.fire(A, { targets: ['n9'] }).catch((x: unknown) => x);
    expect(isAmchaosError(e, 'AMCHAOS_BAD_ARGUMENT')).toBe(true);
    expect((e as Error).message).toContain('n9');
    expect(history.all().length).toBe(n);
  });

  it('splits large rounds into batches of maxBatch alerts', async () => {
    history = new History();
    const s = source({ maxBatch: 2 });
    const five = Array.from({ length: 5 }, (_, i) => ({ labels: { alertname: 'Batch', instance: `i${i}` } }));
    await s.fire(five);
    expect(e1.posts.map((p) => p.alerts.length)).toEqual([2, 2, 1]);
  });

  it('records a node that refuses as ok=false and keeps sending to the others', async () => {
    history = new History();
    const dead = new AlertmanagerClient({ node: 'n3', url: `http://127.0.0.1:${await freePort()}` });
    try {
      const s = source({ clients: [c1, dead] });
      await s.fire(A);
      await s.resend();
      expect(e1.posts).toHaveLength(2);
      const failed = ofType(history.all(), 'op.complete').filter((c) => c.node === 'n3');
      expect(failed).toHaveLength(2);
      expect(failed.every((c) => c.ok === false && (c.error ?? '').includes('refused'))).toBe(true);
      expect(s.stats()).toMatchObject({ posts: 4, ok: 2, failed: 2 });
    } finally {
      await dead.close();
    }
  });

  it('skips a node whose previous round is still in flight, and stop() waits for it', async () => {
    history = new History();
    e2.delayMs = 400;
    const s = source();
    s.fire(A).catch(() => undefined);
    const first = s.resend();
    await s.resend();
    expect(s.stats().skipped).toBeGreaterThanOrEqual(1);
    await first;
    await s.stop();
    const comp = ofType(history.all(), 'op.complete');
    expect(comp.length).toBe(ofType(history.all(), 'op.invoke').length);
    expect(comp.every((c) => c.ok === true)).toBe(true);
    await expect(s.fire(B)).rejects.toThrow(/after stop/);
  });

  it('stop({ abort: true }) aborts POSTs in flight and records them as indeterminate', async () => {
    history = new History();
    e1.delayMs = 5000;
    const s = source({ clients: [c1] });
    const before = e1.posts.length;
    const fired = s.fire(A);
    // In flight = the endpoint has it and holds the answer: wait for that (a fixed 100 ms could
    // stop the source before the POST left).
    await vi.waitFor(() => expect(e1.posts.length).toBe(before + 1), { timeout: 5_000, interval: 10 });
    await s.stop({ abort: true });
    await fired;
    const comp = ofType(history.all(), 'op.complete');
    expect(comp).toHaveLength(1);
    expect(comp[0]?.ok).toBeNull();
    expect(s.stats().indeterminate).toBe(1);
  });

  it('start() re-sends on its own every interval; stop() clears the timer', async () => {
    history = new History();
    const s = source({ resendIntervalMs: 100 });
    const before = e1.posts.length;
    s.start();
    await s.fire(A);
    await vi.waitFor(() => expect(e1.posts.length).toBeGreaterThanOrEqual(before + 3), { timeout: 10_000, interval: 20 });
    await s.stop();
    const n = e1.posts.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(e1.posts.length).toBe(n);
  });

  it('rejects a non-positive interval and an empty node list', () => {
    history = new History();
    expect(() => new AlertSource({ history, clients: [c1], resendIntervalMs: 0 })).toThrow(/resendIntervalMs/);
    expect(() => new AlertSource({ history, clients: [], resendIntervalMs: 10 })).toThrow(/no nodes/);
  });
});
