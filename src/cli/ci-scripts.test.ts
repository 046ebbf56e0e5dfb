import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The project's entry scripts are what a fresh machine and CI run first; a syntax error there fails
// every run before a single test starts, so they are checked like code.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scripts = ['.ci/setup', '.ci/run'];

describe('CI entry scripts', () => {
  for (const script of scripts) {
    it(`${script} is executable and parses (bash -n)`, () => {
      const path = join(root, script);
      accessSync(path, constants.X_OK);
      const r = spawnSync('bash', ['-n', path], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }

  it('bash -n does catch a broken script (the check above can fail)', () => {
    const r = spawnSync('bash', ['-n'], { input: 'if true; then\n  echo x)\nfi\n', encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });

  it('the README starts with two commands (setup + the main job, then the tests), and .ci/run runs that test command after .ci/setup', () => {
    const run = readFileSync(join(root, '.ci/run'), 'utf8').split('\n').map((l) => l.trim());
    const commands = run.filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '));
    expect(commands).toEqual(['bash .ci/setup', 'npm test']);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const lines = firstBlock.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    // Two commands: the setup and the main job (a real cluster suite with a report), then the tests.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^bash \.ci\/setup && npx amchaos run --suite \S+ .*--out \S+$/);
    expect(lines[1]).toBe('npm test');
  });

  it('.ci/setup fetches every Debian version the suites run, before any test', () => {
    const setup = readFileSync(join(root, '.ci/setup'), 'utf8');
    expect(setup).toMatch(/amchaos\.js versions --fetch 0\.25\.0,0\.28\.1,0\.33\.1/);
    // The Prometheus builds the prometheus-ha suite's test runs (and the one --prometheus defaults to).
    expect(setup).toMatch(/amchaos\.js versions --fetch-prometheus 2\.42\.0,3\.5\.3/);
  });
});
