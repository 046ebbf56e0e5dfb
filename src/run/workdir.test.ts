import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunWorkDir, newRunId, sweepStaleRuns } from './workdir.js';

// Real directories under a private AMCHAOS_WORK_DIR; "dead" owners are pids of processes that ran
// and exited here, so the liveness test is the real one.
let root: string;
let saved: string | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'amchaos-workdir-test-'));
  saved = process.env['AMCHAOS_WORK_DIR'];
  process.env['AMCHAOS_WORK_DIR'] = root;
});
afterEach(async () => {
  if (saved === undefined) delete process.env['AMCHAOS_WORK_DIR'];
  else process.env['AMCHAOS_WORK_DIR'] = saved;
  await rm(root, { recursive: true, force: true });
});

function deadPid(): number {
  const r = spawnSync('true');
  return r.pid!;
}

async function runDirOwnedBy(name: string, pid: number | undefined): Promise<void> {
  await mkdir(join(root, name));
  if (pid !== undefined) await writeFile(join(root, name, 'owner.json'), JSON.stringify({ pid }));
}

describe('run work dirs and the start-up sweep', () => {
  it('run ids made at the same instant do not collide, and their work dirs are all created', async () => {
    const now = new Date();
    const ids = Array.from({ length: 2_000 }, () => newRunId(now));
    expect(new Set(ids).size).toBe(ids.length);
    const dirs = await Promise.all(ids.slice(0, 200).map((id) => createRunWorkDir(id)));
    expect(new Set(await readdir(root))).toEqual(new Set(dirs.map((d) => d.split('/').pop()!)));
  });

  it('removes runs whose owner is gone or unknown, keeps live owners and this process', async () => {
    await runDirOwnedBy('amc-dead', deadPid());
    await runDirOwnedBy('amc-no-owner', undefined);
    await runDirOwnedBy('amc-parent', process.ppid);
    const mine = await createRunWorkDir(newRunId());
    const removed = await sweepStaleRuns();
    expect(removed.filter((r) => r.startsWith('work dir')).sort()).toEqual([`work dir ${join(root, 'amc-dead')}`, `work dir ${join(root, 'amc-no-owner')}`]);
    expect((await readdir(root)).sort()).toEqual(['amc-parent', mine.split('/').pop()!].sort());
  });

  it('leaves a dir being created to its creator, and removes one abandoned mid-creation', async () => {
    await mkdir(join(root, '.staging-amc-fresh'));
    await mkdir(join(root, '.staging-amc-old'));
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(root, '.staging-amc-old'), hourAgo, hourAgo);
    await sweepStaleRuns();
    expect(await readdir(root)).toEqual(['.staging-amc-fresh']);
  });

  it('a sweep running alongside run starts never removes a starting run', async () => {
    const created: string[] = [];
    const sweeping = (async () => {
      for (let i = 0; i < 50; i++) await sweepStaleRuns();
    })();
    for (let i = 0; i < 50; i++) created.push(await createRunWorkDir(newRunId()));
    await sweeping;
    const left = new Set(await readdir(root));
    expect(created.filter((d) => !left.has(d.split('/').pop()!))).toEqual([]);
  });
});
