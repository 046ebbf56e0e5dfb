import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder } from '../util/fs.js';
import { packageRoot } from '../util/paths.js';

/**
 * Nothing a user installs carries test code: test-only helpers live in test/support/ (never built),
 * tests are excluded from the build. npm test builds first, so dist/ is this tree's build.
 */
describe('dist/ holds no test code', () => {
  it('no testing/, test-support, testkit or *.test.* file is built', async () => {
    const root = join(packageRoot(), 'dist');
    const bad = (await filesUnder(root)).map((f) => relative(root, f)).filter((f) => /(^|\/)(testing|test-support|testkit)(\/|\.|$)|\.test\.[cm]?[jt]s|(^|\/)test\//.test(f));
    expect(bad).toEqual([]);
  });
});
