/**
 * Snapshot files (<storage.path>/nflog, /silences): the concatenated delimited messages, written like
 * Go does it (temp file, fsync, rename) so a crash never leaves a half-written snapshot behind.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/** Reads a snapshot; undefined when the file does not exist (a fresh node). */
export async function readSnapshot(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function writeSnapshot(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${randomBytes(8).toString('hex')}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}
