import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../util/paths.js';
import { clockSkewFromArgv } from './clock.js';
import { faultList, parseClockSkew, parseFaults } from './faults.js';

const run = promisify(execFile);

describe('tsam fault clock-skew', () => {
  it('parses ahead and behind, and refuses what is not a duration', () => {
    expect(parseFaults(['clock-skew=30s']).clockSkewMs).toBe(30_000);
    expect(parseFaults(['no-dedup,clock-skew=-1m30s']).clockSkewMs).toBe(-90_000);
    expect(parseFaults(['clock-skew=+2s']).clockSkewMs).toBe(2_000);
    expect(faultList(parseFaults(['clock-skew=-30s']))).toEqual(['clock-skew=-30000ms']);
    expect(() => parseFaults(['clock-skew=soon'])).toThrow(/clock-skew=soon/);
    expect(parseFaults([]).clockSkewMs).toBe(0);
  });

  it('is found among raw arguments, in either flag form', () => {
    expect(clockSkewFromArgv(['--tsam.fault=clock-skew=30s'], parseClockSkew)).toBe(30_000);
    expect(clockSkewFromArgv(['--log.level=debug', '--tsam.fault', 'no-wait,clock-skew=-5s'], parseClockSkew)).toBe(-5_000);
    expect(clockSkewFromArgv(['--tsam.fault=no-dedup'], parseClockSkew)).toBe(0);
  });

  // installClockSkew replaces the global Date: measured in a child process (the built module, as
  // tsam runs it), never in the test runner.
  it('shifts Date.now() and new Date() of the process, and nothing else', async () => {
    const script = `
      const { installClockSkew } = await import(${JSON.stringify(pathToFileURL(join(packageRoot(), 'dist', 'src', 'tsam', 'faults', 'clock.js')).href)});
      const realNow = Date.now();
      const t0 = performance.now();
      installClockSkew(-30000);
      const out = {
        now: Date.now() - realNow,
        date: new Date().getTime() - realNow,
        fixed: new Date(0).getTime(),
        parsed: new Date('2026-01-01T00:00:00Z').toISOString(),
        utc: Date.UTC(2026, 0, 1),
        instance: new Date() instanceof Date,
        monotonic: performance.now() - t0,
      };
      process.stdout.write(JSON.stringify(out));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const out = JSON.parse(stdout) as Record<string, number | string | boolean>;
    expect(out['now']).toBeGreaterThan(-30_000 - 1_000);
    expect(out['now']).toBeLessThanOrEqual(-30_000 + 1_000);
    expect(out['date']).toBeGreaterThan(-31_000);
    expect(out['date']).toBeLessThanOrEqual(-29_000);
    expect(out['fixed']).toBe(0);
    expect(out['parsed']).toBe('2026-01-01T00:00:00.000Z');
    expect(out['utc']).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(out['instance']).toBe(true);
    expect(out['monotonic']).toBeLessThan(5_000);
  });
});
