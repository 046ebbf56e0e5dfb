import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot } from '../src/util/fs.js';
import { runExactlyOnce } from './cluster.js';

/**
 * The largest netns cluster, every peer link through its proxy, that forms AND passes exactly-once
 * on this machine: the exactly-once suite at growing sizes, stopping at the first size that does
 * not pass. The timers grow with N (group_interval = N × peer_timeout), so each size takes longer.
 */
export async function netnsScale(log: (l: string) => void, version: string, sizes: number[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (!isRoot()) {
    log('netns: skipped: the netns runtime needs root (run `sudo npm run bench -- netns`)');
    return out;
  }
  log(`netns: exactly-once on the netns runtime, ${version}, every peer link proxied`);
  const dir = await mkdtemp(join(tmpdir(), 'amchaos-bench-netns-'));
  try {
    for (const nodes of sizes) {
      const { summary } = await runExactlyOnce(version, nodes, 'netns', join(dir, `n${nodes}`));
      const s = summary.scenarios[0]!;
      const traffic = Object.entries((s.figures['linkTraffic'] ?? {}) as Record<string, { tcpBytes: number; udpBytes: number }>).filter(([l]) => /^n\d+->n\d+$/.test(l));
      const bytes = traffic.map(([, t]) => t.tcpBytes + t.udpBytes);
      const checks = s.checks.map((c) => `${c.name} ${c.verdict}`).join(', ');
      out[`netns.exactly-once.${version}.n${nodes}.pass`] = s.verdict === 'pass' ? 1 : 0;
      out[`netns.exactly-once.${version}.n${nodes}.wall_ms`] = s.durationMs;
      log(
        `  N=${String(nodes).padEnd(3)} ${s.verdict.toUpperCase()} (${checks}); ready in ${s.figures['startToReadyMs']} ms, wall ${(s.durationMs / 1000).toFixed(1)} s, ` +
          `${s.figures['notifications']} notifications; ${traffic.length} peer links, each carried ${Math.min(...bytes)}–${Math.max(...bytes)} B`,
      );
      if (s.verdict !== 'pass') break;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
