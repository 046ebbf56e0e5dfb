import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from 'amchaos';

// `amchaos run --suite ./examples/my-suite.ts`: a user's suite file runs like a built-in suite.
describe('a user suite file', () => {
  it('runs with amchaos run --suite ./examples/my-suite.ts and is judged by its own checks', { timeout: 120_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'amchaos-my-suite-'));
    try {
      const r = spawnSync(process.execPath, ['bin/amchaos.js', 'run', '--suite', './examples/my-suite.ts', '--versions', '0.33.1', '--out', join(out, 'run')], { encoding: 'utf8' });
      expect(r.stderr + r.stdout).toContain('my-suite/0.33.1x3');
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const summary = JSON.parse(await readFile(join(out, 'run', 'summary.json'), 'utf8')) as RunSummary;
      const s = summary.scenarios[0]!;
      expect(s.suite).toBe('my-suite');
      expect(s.checks.map((c) => `${c.name} ${c.verdict}`)).toEqual(['no-loss pass', 'exactly-once pass', 'validity pass']);
      expect(s.figures['teamDuplicates']).toBe(0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('a file that is not a suite is refused before anything starts, with what to fix (exit 254)', () => {
    const r = spawnSync(process.execPath, ['bin/amchaos.js', 'run', '--suite', './examples/README.md'], { encoding: 'utf8' });
    expect(r.status).toBe(254);
    const bad = spawnSync(process.execPath, ['bin/amchaos.js', 'run', '--suite', './vitest.config.ts'], { encoding: 'utf8' });
    expect(bad.status).toBe(254);
    expect(bad.stderr).toMatch(/suite \.\/vitest\.config\.ts: .*drive\(ctx\) must be a function/);
  });
});
