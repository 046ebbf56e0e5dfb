import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerSkipReason } from '../../../test/support/docker/engine.js';
import { waitFor } from '../../../test/support/runtime/clusters.js';
import { execFileCollect } from '../../util/exec.js';
import { packageRoot } from '../../util/paths.js';
import { docker, LABEL } from './engine.js';

const skip = await dockerSkipReason();
const SKIP = skip ? ` [SKIPPED: ${skip}]` : '';
const CLI = join(packageRoot(), 'bin', 'amchaos.js');

/** Containers and networks whose owner label names process `pid` of this host. */
async function ownedBy(pid: number): Promise<{ containers: string[]; networks: string[]; nodes: number; runIds: string[] }> {
  const mine = (labels: Record<string, string> | undefined) => (labels?.[LABEL.owner] ?? '').split('/')[1] === String(pid);
  const cs = (await docker().listContainers({ all: true, filters: { label: [LABEL.owner] } })).filter((c) => mine(c.Labels));
  const ns = (await docker().listNetworks({ filters: { label: [LABEL.owner] } })).filter((n) => mine(n.Labels));
  return {
    containers: cs.map((c) => c.Names[0]!),
    networks: ns.map((n) => n.Name),
    nodes: cs.filter((c) => c.Labels[LABEL.role] === 'node' && c.State === 'running').length,
    runIds: [...new Set(cs.map((c) => c.Labels[LABEL.run]!))],
  };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
}

/** Host firewall rules naming the run (the docker runtime adds none: Docker's own rules forward its networks). */
async function hostRules(runId: string): Promise<string[]> {
  const r = await execFileCollect('iptables-save', [], { timeoutMs: 10_000 }).catch(() => undefined);
  return (r?.stdout ?? '').split('\n').filter((l) => l.includes(`run=${runId}`));
}

describe.concurrent('docker runtime cleanup', () => {
  it.skipIf(skip !== undefined)(`Ctrl-C (SIGINT) during a run: the run stops with 130 and removes every container and network it made${SKIP}`, { timeout: 120_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'amchaos-docker-sigint-'));
    const child = spawn(process.execPath, [CLI, 'run', '--suite', 'exactly-once', '--runtime', 'docker', '--versions', '0.25.0', '--out', out], { stdio: 'ignore' });
    const exit = exitOf(child);
    try {
      await waitFor(() => ownedBy(child.pid!), (o) => o.nodes === 3, 60_000, 'the run to start 3 node containers');
      child.kill('SIGINT');
      expect(await exit).toBe(130);
      expect(await ownedBy(child.pid!)).toMatchObject({ containers: [], networks: [], nodes: 0 });
    } finally {
      child.kill('SIGKILL');
      await rm(out, { recursive: true, force: true });
    }
  });

  it.skipIf(skip !== undefined)(`SIGKILL during a run leaves its containers; amchaos sweep removes them and the network (and no host rule of ours exists)${SKIP}`, { timeout: 120_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'amchaos-docker-sigkill-'));
    const child = spawn(process.execPath, [CLI, 'run', '--suite', 'exactly-once', '--runtime', 'docker', '--versions', '0.25.0', '--out', out], { stdio: 'ignore' });
    const exit = exitOf(child);
    try {
      await waitFor(() => ownedBy(child.pid!), (o) => o.nodes === 3, 60_000, 'the run to start 3 node containers');
      child.kill('SIGKILL');
      await exit;
      const left = await ownedBy(child.pid!);
      expect(left.containers.length).toBeGreaterThanOrEqual(6);
      expect(left.networks).toHaveLength(1);
      const sweep = await execFileCollect(process.execPath, [CLI, 'sweep'], { timeoutMs: 60_000 });
      expect(sweep.code).toBe(0);
      for (const name of left.containers) expect(sweep.stdout + sweep.stderr).toContain(name.replace(/^\//, ''));
      expect(await ownedBy(child.pid!)).toMatchObject({ containers: [], networks: [], nodes: 0 });
      expect(await hostRules(left.runIds[0]!)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await rm(out, { recursive: true, force: true });
    }
  });
});
