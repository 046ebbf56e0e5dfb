import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import type { RunSummary } from '../summary/summary.js';
import { startCluster } from './cluster.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'amchaos-library-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Alertmanager and tsam processes whose command line names this run directory's work dir. */
async function processesOf(runId: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(runId) && cmd.includes('--cluster.')) out.push(Number(e));
  }
  return out;
}

describe('startCluster (the library API)', () => {
  it('refuses bad input before anything starts, with a typed error', async () => {
    const outDir = join(root, 'never');
    const err = await startCluster({ versions: ['9.9.9'], outDir }).catch((e: unknown) => e);
    expect(isAmchaosError(err)).toBe(true);
    expect((err as Error).message).toContain('9.9.9');
    await expect(stat(outDir)).rejects.toThrow();
    const none = await startCluster({ versions: [] }).catch((e: unknown) => e);
    expect(isAmchaosError(none, 'AMCHAOS_BAD_ARGUMENT')).toBe(true);
  });

  it('a cluster without peering sends duplicates, and check() says so; `await using` leaves nothing behind', { timeout: 90_000 }, async () => {
    const outDir = join(root, 'no-cluster');
    let runId = '';
    {
      await using cluster = await startCluster({ versions: ['0.33.1', '0.33.1'], clustered: false, outDir, name: 'control' });
      runId = cluster.runDir;
      expect(cluster.nodes.map((n) => n.id)).toEqual(['n1', 'n2']);
      await cluster.fire([{ alertname: 'DiskFull', group: 'db' }]);
      expect(await cluster.awaitDelivery([{ alertname: 'DiskFull', group: 'db' }])).toBe(true);
      const eo = await cluster.check('exactly-once');
      expect(eo.verdict).toBe('fail');
      expect(eo.figures['duplicates']).toBeGreaterThan(0);
    }
    // Disposed: summary.json and the report are written, and no node of the run is left.
    const summary = JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.scenarios[0]!.id).toBe('control/0.33.1x2/no-cluster');
    expect(summary.scenarios[0]!.checks.map((c) => c.name)).toEqual(['exactly-once']);
    expect(summary.outcome).toBe('fail');
    expect((await stat(join(outDir, 'index.html'))).isFile()).toBe(true);
    expect(await processesOf(summary.runId)).toEqual([]);
    expect(runId).toBe(outDir);
  });
});
