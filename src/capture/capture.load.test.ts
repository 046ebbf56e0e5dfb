import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { History } from '../history/history.js';
import { CaptureReceiver } from './capture.js';

const TOTAL = 100_000;
/** Generous bound: measured ≈ 0.8 KB per small notification; a leak (bodies, sockets) would be KBs. */
const MAX_HEAP_GROWTH_BYTES = 400 * 1024 * 1024;

function gcIfPossible(): void {
  // Exposes V8's gc() without restarting the worker with --expose-gc, so the heap figure below
  // measures what is retained, not garbage that happens to be uncollected.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

function body(i: number): string {
  const alertname = `Load${i % 100}`;
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="${alertname}",n="${i}"}`,
    truncatedAlerts: 0,
    status: i % 5 === 0 ? 'resolved' : 'firing',
    receiver: 'hook',
    groupLabels: { alertname },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: `http://127.0.0.1:${9093 + (i % 3)}/n${(i % 3) + 1}`,
    alerts: [
      {
        status: i % 5 === 0 ? 'resolved' : 'firing',
        labels: { alertname, instance: `host-${i % 1000}`, n: String(i) },
        annotations: {},
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: i.toString(16).padStart(16, '0'),
      },
    ],
  });
}

describe('CaptureReceiver under load', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`records ${TOTAL} notifications over keep-alive, pipelined connections`, { timeout: 600_000 }, async () => {
    // A history streaming to a file, as in a real run (the JSONL writer must keep up too).
    dir = await mkdtemp(join(tmpdir(), 'amchaos-capture-load-'));
    const file = join(dir, 'history.jsonl');
    const history = new History({ file });
    const cap = new CaptureReceiver({ history });
    await cap.start();
    cap.setSenders({ 'http://127.0.0.1:9093/n1': 'n1', 'http://127.0.0.1:9094/n2': 'n2', 'http://127.0.0.1:9095/n3': 'n3' });
    const pool = new Pool(cap.address.url, { connections: 8, pipelining: 8 });
    gcIfPossible();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    let next = 0;
    let failures = 0;
    // A fixed window of requests in flight: enough to keep every pipeline full without queueing
    // 100k promises at once.
    const worker = async (): Promise<void> => {
      while (next < TOTAL) {
        const i = next++;
        const res = await pool.request({ method: 'POST', path: '/hook/hook', body: body(i), headers: { 'content-type': 'application/json', 'user-agent': 'Alertmanager/load' } });
        await res.body.dump();
        if (res.statusCode !== 200) failures++;
      }
    };
    try {
      await Promise.all(Array.from({ length: 64 }, worker));
    } finally {
      await pool.close();
      await cap.stop();
      await history.close();
    }
    const elapsedMs = performance.now() - started;
    gcIfPossible();
    const mem = process.memoryUsage();
    const growth = mem.heapUsed - heapBefore;
    const ns = cap.notifications();
    console.log(
      `capture load: ${ns.length} notifications in ${(elapsedMs / 1000).toFixed(1)} s ` +
        `(${Math.round(ns.length / (elapsedMs / 1000))}/s); heap growth ${(growth / 1048576).toFixed(1)} MiB ` +
        `(${Math.round(growth / ns.length)} B/notification), heapUsed ${(mem.heapUsed / 1048576).toFixed(0)} MiB, rss ${(mem.rss / 1048576).toFixed(0)} MiB`,
    );

    expect(failures).toBe(0);
    expect(ns.length).toBe(TOTAL);
    expect(cap.stats()).toMatchObject({ requests: TOTAL, notifications: TOTAL, delivered: TOTAL, rejected: 0, pending: 0 });
    // Every request is there exactly once, attributed, with its own identity.
    const seen = new Set<string>();
    let misattributed = 0;
    for (const n of ns) {
      const a = n.alerts[0]!;
      seen.add(a.labels['n']!);
      if (n.sender !== `n${(Number(a.labels['n']) % 3) + 1}`) misattributed++;
    }
    expect(seen.size).toBe(TOTAL);
    expect(misattributed).toBe(0);
    expect(new Set(ns.map((n) => n.id)).size).toBe(TOTAL);
    expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('"type":"notification"'));
    expect(lines).toHaveLength(TOTAL);
  });
});
