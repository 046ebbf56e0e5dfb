import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byRun, dockerSkipReason } from '../../../test/support/docker/engine.js';
import { startCluster } from '../../library/cluster.js';

const skip = await dockerSkipReason();

describe('the library API on docker', () => {
  it.skipIf(skip !== undefined)(`startCluster({ runtime: 'docker' }) starts a mixed cluster in containers; faults, checks and stop work as on the other runtimes, and nothing is left${skip ? ` [SKIPPED: ${skip}]` : ''}`, { timeout: 120_000 }, async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'amchaos-library-docker-'));
    try {
      let runId = '';
      {
        await using cluster = await startCluster({ versions: ['0.25.0', 'tsam', '0.33.1'], runtime: 'docker', outDir, name: 'library-docker' });
        expect(cluster.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
        await cluster.fire([{ alertname: 'DiskFull', group: 'db' }]);
        expect(await cluster.awaitDelivery([{ alertname: 'DiskFull', group: 'db' }])).toBe(true);
        const cut = await cluster.faults.isolate('n3');
        await cluster.faults.remove(cut);
        const off = await cluster.faults.apply({ kind: 'disconnect', node: 'n2' });
        await cluster.faults.remove(off);
        const summary = await cluster.stop();
        runId = summary.runId;
        expect(summary.scenarios[0]!.runtime).toBe('docker');
      }
      expect(await byRun(runId)).toEqual([]);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
