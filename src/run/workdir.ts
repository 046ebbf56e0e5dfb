import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Every run owns one work directory, <tmp>/amchaos-work/<run-id>/, holding the node configs and
 * storage of all its scenarios, and an owner.json naming the harness pid. Every node's command
 * line contains that path, which is how the start-up sweep finds what a killed run left behind.
 */
export function workRoot(): string {
  return process.env['AMCHAOS_WORK_DIR'] ?? join(tmpdir(), 'amchaos-work');
}

/**
 * A run id: the start time for people (sorting, finding a run), then 48 random bits so that ids made
 * in the same second — two runs started together, two CI jobs on one machine — do not collide
 * (with 16 bits they did: 50 runs in one second collide with a probability of 2 %).
 */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `amc-${stamp}-${randomBytes(6).toString('hex')}`;
}

/** Work dirs being created: named so, they are not yet runs, and a sweep leaves them to their creator. */
const STAGING_PREFIX = '.staging-';
/** A staging dir older than this was left by a process killed mid-creation. */
const STAGING_STALE_MS = 10 * 60_000;

export async function createRunWorkDir(runId: string): Promise<string> {
  const root = workRoot();
  const dir = join(root, runId);
  // Built under a staging name and renamed into place, so a concurrent sweep (another run starting
  // in this or another process) never sees a run dir without its owner.json and takes it for stale.
  const staging = join(root, `${STAGING_PREFIX}${runId}`);
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'owner.json'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), argv: process.argv }) + '\n');
  await rename(staging, dir);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function processesMentioning(path: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(path)) pids.push(pid);
  }
  return pids;
}

/**
 * Removes what killed runs left: kills every process whose command line names a stale run's work
 * directory, then deletes the directory. A run is stale when its owner pid is gone.
 */
export async function sweepStaleRuns(): Promise<string[]> {
  const removed: string[] = [];
  const root = workRoot();
  for (const runId of await readdir(root).catch(() => [] as string[])) {
    const dir = join(root, runId);
    if (runId.startsWith(STAGING_PREFIX)) {
      const age = Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age < STAGING_STALE_MS) continue;
    }
    let owner: { pid?: number } = {};
    try {
      owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as { pid?: number };
    } catch {
      /* no owner file: a run killed before it wrote one; stale */
    }
    if (owner.pid !== undefined && owner.pid !== process.pid && alive(owner.pid)) continue;
    if (owner.pid === process.pid) continue;
    for (const pid of await processesMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
        removed.push(`process ${pid} of ${runId}`);
      } catch {
        /* gone meanwhile */
      }
    }
    await rm(dir, { recursive: true, force: true });
    removed.push(`work dir ${dir}`);
  }
  return removed;
}

export async function removeRunWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
