// Removes build outputs in dist/ whose TypeScript source no longer exists (moved or deleted), so an
// incremental `tsc` build never ships stale files — test helpers that moved out of src/ included.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const OUT = /\.(js|js\.map|d\.ts)$/;

function prune(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      prune(p);
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
      continue;
    }
    if (!OUT.test(name)) continue;
    const source = join(root, relative(dist, p)).replace(OUT, '.ts');
    if (!existsSync(source)) rmSync(p);
  }
}
prune(dist);
