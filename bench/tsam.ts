import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReceiver } from '../src/capture/capture.js';
import { AlertmanagerClient } from '../src/client/client.js';
import type { PostableAlert } from '../src/client/types.js';
import { History } from '../src/history/history.js';
import { ProcessRuntime } from '../src/runtime/process/process-runtime.js';
import { defaultConfig } from '../src/topology/config.js';
import { timersFor } from '../src/topology/timers.js';
import { resolveVersion } from '../src/versions/index.js';

/**
 * tsam against the real binary, side by side in one run, one node each (no peers, so the figures
 * are the node's own): alert ingest through POST /api/v2/alerts (alerts/s; goal: at least as fast
 * as the real binary), the time from the first alert to its notification beyond group_wait, and
 * resident memory idle and after the ingest (goal: under 80 MB).
 */
const ALERTS = 5_000;
const BATCH = 100;
const CONCURRENCY = 4;
// The same alerts ten times, as Prometheus resends what fires every resend interval: the first round
// creates them, the rest replace them, so old-space garbage piles up and the peak shows sustained load.
const ROUNDS = 10;

async function rssMB(pid: number | undefined): Promise<number> {
  if (!pid) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 102.4) / 10;
}

function alerts(): PostableAlert[] {
  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  return Array.from({ length: ALERTS }, (_, i) => ({
    labels: { alertname: `Bench${i % 50}`, group: `g${i % 20}`, instance: `host-${i}:9100` },
    annotations: { summary: 'benchmark alert' },
    endsAt,
  }));
}

export async function run(log: (l: string) => void): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const rows: string[] = [];
  for (const v of ['0.33.1', 'tsam']) {
    const version = await resolveVersion(v).catch(() => undefined);
    if (!version) {
      log(`tsam bench: ${v} does not resolve here; skipped`);
      continue;
    }
    const work = await mkdtemp(join(tmpdir(), 'amchaos-bench-tsam-'));
    const history = new History();
    const capture = new CaptureReceiver({ history });
    await capture.start();
    const timers = timersFor(1);
    const cluster = await new ProcessRuntime().createCluster({
      runId: 'bench',
      scenarioId: `bench-tsam-${v}`,
      workDir: work,
      captureAddress: { host: capture.address.host, port: capture.address.port },
      nodes: [{ id: 'n1', index: 0, version, config: defaultConfig(capture.address.url, timers).yaml, clustered: false, peerName: 'n01', timers, logLevel: 'info', extraArgs: [] }],
    });
    const node = cluster.nodes[0]!;
    const client = new AlertmanagerClient({ node: 'n1', url: node.apiURL, connections: CONCURRENCY, timeoutMs: 30_000 });
    try {
      await cluster.startAll();
      capture.setSenders({ [node.externalURL]: 'n1' });
      const idle = await rssMB(node.pid);

      // First alert to notification: one alert into a fresh group; group_wait is the floor.
      const t0 = performance.now();
      await client.postAlerts([{ labels: { alertname: 'Latency', group: 'first' } }]);
      await capture.waitFor((ns) => ns.some((n) => n.groupLabels['group'] === 'first'), 30_000);
      const firstMs = performance.now() - t0;

      const rates: number[] = [];
      let peak = idle;
      for (let r = 0; r < ROUNDS; r++) {
        const all = alerts();
        const batches = Array.from({ length: ALERTS / BATCH }, (_, i) => all.slice(i * BATCH, (i + 1) * BATCH));
        const start = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < batches.length) await client.postAlerts(batches[next++]!);
          }),
        );
        rates.push(ALERTS / ((performance.now() - start) / 1000));
        peak = Math.max(peak, await rssMB(node.pid));
      }
      const rate = rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
      const after = await rssMB(node.pid);
      out[`tsam.ingest_alerts_per_s.${v}`] = Math.round(rate);
      out[`tsam.first_notification_ms.${v}`] = Math.round(firstMs);
      out[`tsam.rss_idle_mb.${v}`] = idle;
      out[`tsam.rss_peak_mb.${v}`] = peak;
      rows.push(
        `  ${v.padEnd(8)} ingest ${String(Math.round(rate)).padStart(6)} alerts/s   first alert → notification ${Math.round(firstMs)} ms (group_wait ${timers.groupWaitMs} ms)   RSS idle ${idle} MB, peak ${peak} MB, after ${after} MB`,
      );
    } finally {
      await client.close();
      await cluster.destroy();
      await capture.stop();
      await rm(work, { recursive: true, force: true });
    }
  }
  log(`tsam vs real Alertmanager (one node, the same ${ALERTS} alerts sent ${ROUNDS} times, batches of ${BATCH}, ${CONCURRENCY} concurrent):`);
  for (const r of rows) log(r);
  const real = out['tsam.ingest_alerts_per_s.0.33.1'];
  const ts = out['tsam.ingest_alerts_per_s.tsam'];
  if (real && ts) {
    out['tsam.ingest_ratio_tsam_over_real'] = Number((ts / real).toFixed(2));
    log(`  ingest ratio tsam / 0.33.1 = ${(ts / real).toFixed(2)}`);
  }
  return out;
}
