import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir, exists, isRoot } from '../../../src/util/fs.js';

/**
 * A non-root user whose group is `docker` — what a CI runner has — for the test that runs a link-fault
 * suite on docker without host root. Created once (as root) as a system user without a home; the test
 * gives it its own HOME, TMPDIR and version cache. Undefined with a reason when that cannot be had.
 */
export const NONROOT_USER = 'amchaos-docker-test';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

function id(flag: '-u' | '-g', name: string): number | undefined {
  try {
    return Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

export function nonRootDockerUser(): TestUser | string {
  if (!isRoot()) return 'creating a non-root docker-group user needs root; run as root to enable';
  let gid: number;
  try {
    gid = Number(execFileSync('getent', ['group', 'docker'], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    return 'there is no docker group (the docker.io package creates it); run bash .ci/setup to enable';
  }
  if (id('-u', NONROOT_USER) === undefined) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--gid', 'docker', '--shell', '/usr/sbin/nologin', NONROOT_USER], { stdio: 'ignore' });
    } catch (e) {
      return `useradd failed (${(e as Error).message.split('\n')[0]})`;
    }
  }
  const uid = id('-u', NONROOT_USER);
  if (uid === undefined) return `user ${NONROOT_USER} could not be created`;
  return { name: NONROOT_USER, uid, gid };
}

/** A HOME for the user with a copy of the cached Debian versions it needs (root's cache is private). */
export async function userHome(user: TestUser, versions: string[]): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'amchaos-nonroot-'));
  for (const v of versions) {
    const src = join(defaultCacheDir(), 'versions', 'debian', v);
    if (await exists(src)) await cp(src, join(home, '.cache', 'amchaos', 'versions', 'debian', v), { recursive: true });
  }
  await mkdir(join(home, 'tmp'), { recursive: true });
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
  await chown(home, user.uid, user.gid);
  return home;
}

/** Runs argv as the user (uid, gid docker, no supplementary groups), with HOME and TMPDIR in `home`. */
export function runAs(user: TestUser, home: string, argv: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      uid: user.uid,
      gid: user.gid,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, TMPDIR: join(home, 'tmp'), ...(process.env['DOCKER_HOST'] ? { DOCKER_HOST: process.env['DOCKER_HOST'] } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
