import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../util/paths.js';

/**
 * Nothing a user installs carries test code: test-only helpers live in test/support/ (never built),
 * tests are excluded from the build. npm test builds first, so dist/ is this tree's build.
 */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

describe('dist/ holds no test code', () => {
  it('no testing/, test-support, testkit or *.test.* file is built', async () => {
    const root = join(packageRoot(), 'dist');
    const bad = (await files(root)).map((f) => relative(root, f)).filter((f) => /(^|\/)(testing|test-support|testkit)(\/|\.|$)|\.test\.[cm]?[jt]s|(^|\/)test\//.test(f));
    expect(bad).toEqual([]);
  });
});
