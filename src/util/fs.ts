import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a program on PATH, like `command -v`. */
export async function which(program: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (!dir) continue;
    const p = join(dir, program);
    if (await isExecutable(p)) return p;
  }
  return undefined;
}

/** The per-user cache: $AMCHAOS_CACHE_DIR, else $XDG_CACHE_HOME/amchaos, else ~/.cache/amchaos. */
export function defaultCacheDir(): string {
  return (
    process.env['AMCHAOS_CACHE_DIR'] ??
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'amchaos')
  );
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
