import { describe, expect, it } from 'vitest';
import { exists } from '../../util/fs.js';
import { tsamEntry } from '../../versions/index.js';
import { moduleClosure, sharedLibraries } from './images.js';

const built = await exists(tsamEntry());

describe('image packing (no engine needed)', () => {
  it('finds the shared libraries of several binaries in one ldd call, the loader included; none for a script', async () => {
    const libs = await sharedLibraries(['/bin/sleep', '/bin/ls', '/etc/hostname']);
    expect(libs.some((l) => /\/libc\.so\.6$/.test(l))).toBe(true);
    expect(libs.some((l) => /ld-linux/.test(l))).toBe(true);
    expect(new Set(libs).size).toBe(libs.length);
  });

  it.skipIf(!built)(`tsam's module closure: what its entry names (also through a computed specifier), whole packages with their dependencies, and no test helper or harness-only package${built ? '' : ' [SKIPPED: tsam is not built; npm run build]'}`, async () => {
    const { files, packages } = await moduleClosure(tsamEntry());
    const rel = files.map((f) => f.slice(f.indexOf('/dist/') + 1));
    expect(rel).toContain('dist/src/tsam/main.js');
    expect(rel).toContain('dist/src/tsam/cluster/index.js');
    expect(rel.filter((f) => /testkit|testing|test-support|\.test\./.test(f))).toEqual([]);
    const names = packages.map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(names).toEqual(expect.arrayContaining(['yaml', 'protobufjs', '@protobufjs/base64']));
    expect(names.filter((n) => ['dockerode', 'testcontainers', 'vitest', 'playwright-core', 'tar-stream'].includes(n))).toEqual([]);
  });
});
