import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Who owns which netns cluster. Before creating anything, a cluster writes
 * `<stateDir>/<tag>.json` naming its run and the harness process (pid + the kernel's start time of
 * that pid, so a recycled pid is not mistaken for the owner). Subnets are claimed with
 * `<stateDir>/subnet-<a.b.c.d>_<prefix>` files created exclusively, so two runs on one host never
 * pick the same subnet. The default directory is under /run (tmpfs): a reboot clears it together
 * with the namespaces it describes.
 */
export const DEFAULT_STATE_DIR = '/run/amchaos/netns';

export interface ClusterRecord {
  tag: string;
  runId: string;
  scenarioId: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot). */
  pidStart: string;
  subnet: string;
  createdAt: string;
}

export { processStartTime } from '../common/owner.js';
import { processStartTime } from '../common/owner.js';

export function ownerAlive(r: Pick<ClusterRecord, 'pid' | 'pidStart'>): boolean {
  return processStartTime(r.pid) === r.pidStart;
}

export class StateDir {
  constructor(readonly dir: string = DEFAULT_STATE_DIR) {}

  async write(r: ClusterRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, `${r.tag}.json`), JSON.stringify(r, null, 2) + '\n');
  }

  async records(): Promise<ClusterRecord[]> {
    const out: ClusterRecord[] = [];
    for (const f of await readdir(this.dir).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.dir, f), 'utf8')) as ClusterRecord);
      } catch {
        /* a half-written record: its cluster never got past the claim; the sweep removes it by name */
      }
    }
    return out;
  }

  async remove(tag: string): Promise<void> {
    await rm(join(this.dir, `${tag}.json`), { force: true });
  }

  private claimFile(subnet: string): string {
    return join(this.dir, `subnet-${subnet.replace('/', '_')}`);
  }

  /** Claims a subnet for `tag`; false if another cluster holds it. */
  async claimSubnet(subnet: string, tag: string): Promise<boolean> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(this.claimFile(subnet), tag + '\n', { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  }

  async releaseSubnet(subnet: string, tag: string): Promise<void> {
    const holder = (await readFile(this.claimFile(subnet), 'utf8').catch(() => '')).trim();
    if (holder === tag) await rm(this.claimFile(subnet), { force: true });
  }

  /** Every claim: subnet → holder tag. */
  async claims(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of await readdir(this.dir).catch(() => [] as string[])) {
      const m = /^subnet-(.+)_(\d+)$/.exec(f);
      if (!m) continue;
      out.set(`${m[1]}/${m[2]}`, (await readFile(join(this.dir, f), 'utf8').catch(() => '')).trim());
    }
    return out;
  }

  async removeClaimFile(subnet: string): Promise<void> {
    await rm(this.claimFile(subnet), { force: true });
  }
}
