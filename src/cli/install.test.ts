import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../util/paths.js';

/**
 * amchaos installed as a user installs it, into a fresh project: from a packed tarball (what the
 * registry serves: quiet, it runs no script) and from a git URL (npm clones it and builds it, and
 * says so: the one notice is npm's review of amchaos's own `prepare` build, which the user approves
 * with `npm install-scripts approve amchaos` — a notice we must not hide). The installed `amchaos`
 * must work either way. Dependencies come from npm's cache (the repository's own `npm ci`
 * filled it), so these tests need no network when the cache is warm.
 */
const run = promisify(execFile);
const ROOT = packageRoot();

async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

async function freshProject(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await run('mkdir', ['-p', dir]);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `try-${name}`, version: '1.0.0', private: true }) + '\n');
  return dir;
}

/** The installed CLI answers, from the project's node_modules/.bin. */
async function works(project: string): Promise<void> {
  const bin = join(project, 'node_modules', '.bin', 'amchaos');
  const v = await run(bin, ['--version'], { cwd: project });
  expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  const s = await run(bin, ['suites'], { cwd: project });
  expect(s.stdout).toMatch(/^exactly-once\s/m);
  // The report's client assets and tsam's entry ship too.
  const pkg = join(project, 'node_modules', 'amchaos');
  expect(await readdir(join(pkg, 'src', 'report', 'client'))).toEqual(expect.arrayContaining(['report.js', 'report.css']));
  expect(await readdir(join(pkg, 'dist', 'src', 'tsam'))).toContain('main.js');
}

describe('installing amchaos into a project', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'amchaos-install-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('from a packed tarball (what the registry serves): quiet, no install script, and it works', { timeout: 180_000 }, async () => {
    // As publishing does: prepack builds and takes `prepare` out of the packed manifest, postpack puts it back.
    const packed = await npm(['pack', '--pack-destination', tmp], ROOT);
    const tarball = join(tmp, packed.stdout.trim().split('\n').pop()!);
    const project = await freshProject(tmp, 'from-tarball');
    const r = await npm(['install', tarball], project);
    expect(r.stderr).not.toMatch(/install-scripts|allowScripts|npm warn/i);
    await works(project);
  });

  it('from a git URL (npm clones and builds it): npm names only amchaos\'s own build for review, and it works', { timeout: 300_000 }, async () => {
    // npm installs a commit, so this tries the committed tree: a clone of the working copy's HEAD.
    const project = await freshProject(tmp, 'from-git');
    const r = await npm(['install', `git+file://${ROOT}`], project);
    // Every warning line is about install scripts, and the only package named is amchaos's build.
    const warnings = r.stderr.split('\n').filter((l) => /npm warn/i.test(l));
    expect(warnings.filter((l) => !/install-scripts/.test(l))).toEqual([]);
    expect(warnings.filter((l) => /@\d/.test(l))).toEqual([expect.stringMatching(/amchaos@[\d.]+ \(prepare: npm run build\)/)]);
    await works(project);
  });
});
