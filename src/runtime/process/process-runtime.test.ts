import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { DEFAULT_TIMERS } from '../../topology/timers.js';
import { defaultConfig } from '../../topology/config.js';
import { resolveVersion } from '../../versions/index.js';
import { isRoot } from '../../util/fs.js';
import type { RuntimeCluster } from '../types.js';
import { ProcessRuntime, templatesPlan } from './process-runtime.js';

async function status(url: string): Promise<{ cluster: { status: string; peers?: { name: string }[] }; versionInfo: { version: string } }> {
  const res = await request(`${url}/api/v2/status`);
  return (await res.body.json()) as never;
}

const versions = ['0.25.0', '0.28.1', '0.33.1'];
const resolved = await Promise.all(versions.map((v) => resolveVersion(v).catch(() => undefined)));
const missing = versions.filter((_, i) => !resolved[i]);

describe('process runtime', () => {
  let cluster: RuntimeCluster | undefined;
  let work: string | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
    cluster = undefined;
  });

  it.skipIf(missing.length > 0 || !isRoot())(
    `starts a mixed 0.25.0+0.28.1+0.33.1 cluster, each with its own templates, that forms (needs root; missing: ${missing.join(',') || 'none'})`,
    { timeout: 60_000 },
    async () => {
      work = await mkdtemp(join(tmpdir(), 'amchaos-rt-'));
      const cfg = defaultConfig('http://127.0.0.1:9', DEFAULT_TIMERS);
      const rt = new ProcessRuntime();
      cluster = await rt.createCluster({
        runId: 'test',
        scenarioId: 'mixed',
        workDir: work,
        captureAddress: { host: '127.0.0.1', port: 9 },
        nodes: resolved.map((v, i) => ({
          id: `n${i + 1}`,
          index: i,
          version: v!,
          config: cfg.yaml,
          clustered: true,
          peerName: `n${i + 1}`,
          timers: DEFAULT_TIMERS,
          logLevel: 'debug' as const,
          extraArgs: [],
        })),
      });
      await cluster.startAll();
      const deadline = Date.now() + 20_000;
      let peers: number[] = [];
      while (Date.now() < deadline) {
        peers = await Promise.all(cluster.nodes.map(async (n) => (await status(n.apiURL)).cluster.peers?.length ?? 0));
        if (peers.every((p) => p === 3)) break;
        await sleep(100);
      }
      expect(peers).toEqual([3, 3, 3]);
      const reported = await Promise.all(cluster.nodes.map(async (n) => (await status(n.apiURL)).versionInfo.version));
      expect(reported.map((r) => r.replace(/\+ds$/, ''))).toEqual(versions);
      // Each node serves its own version's default template through the mount namespace: the
      // bind mount is private to the node, so the host still sees the system package's files.
      const pids = cluster.nodes.map((n) => n.pid!);
      const { readFile } = await import('node:fs/promises');
      const mounts = await Promise.all(pids.map((p) => readFile(`/proc/${p}/mountinfo`, 'utf8')));
      // 0.25.0 is the installed package: no mount needed. 0.28.1 and 0.33.1 see their own templates.
      expect(mounts[0]).not.toContain('/usr/share/prometheus/alertmanager');
      expect(mounts[1]).toContain('/usr/share/prometheus/alertmanager');
      expect(mounts[2]).toContain('/usr/share/prometheus/alertmanager');
      const host = await readFile('/proc/self/mountinfo', 'utf8');
      expect(host).not.toContain('/usr/share/prometheus/alertmanager');
      const [n1] = cluster.nodes;
      await n1!.pause();
      await n1!.resume();
      await n1!.kill();
      expect(n1!.running).toBe(false);
      await n1!.start();
      expect(n1!.running).toBe(true);
      await cluster.destroy();
      for (const p of pids) expect(() => process.kill(p, 0)).toThrow();
    },
  );

  it.skipIf(!resolved[1])('without root, refuses a version whose templates differ from the installed ones, saying how to fix it', async () => {
    const spec = { id: 'n1', index: 0, version: resolved[1]!, config: '', clustered: true, peerName: 'n1', timers: DEFAULT_TIMERS, logLevel: 'info' as const, extraArgs: [] };
    const err = await templatesPlan(spec, false).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AMCHAOS_TEMPLATES_CONFLICT' });
    expect((err as { hint: string }).hint).toMatch(/root/);
    expect(await templatesPlan(spec, true)).toMatchObject({ kind: 'mount' });
  });
});
