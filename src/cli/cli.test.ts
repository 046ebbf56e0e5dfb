import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureRun } from '../../test/support/report/fixture-run.js';
import { packageRoot } from '../util/paths.js';
import { resolvePrometheus, resolveVersion } from '../versions/index.js';
import { defaultResolveOptions } from '../versions/resolve.js';

/**
 * The CLI as a user runs it: the built bin in a child process (npm test builds first). These
 * tests check exit codes, messages, and that nothing is left behind on any exit path.
 */
const BIN = join(packageRoot(), 'bin', 'amchaos.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function amchaos(args: string[], opts: { env?: NodeJS.ProcessEnv; onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Alertmanager processes whose command line mentions `marker`. */
async function nodesMentioning(marker: string): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(marker) && cmd.includes('--cluster.')) pids.push(Number(e));
  }
  return pids;
}

const have0331 = await resolveVersion('0.33.1').then(() => true, () => false);
const havePrometheus = await resolvePrometheus('2.42.0', defaultResolveOptions()).then(() => true, () => false);

describe('amchaos CLI: bad input stops before anything starts, exit 254', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amchaos-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an unknown version lists what is available and how to add more', async () => {
    const r = await amchaos(['run', '--suite', 'exactly-once', '--versions', '0.99.1', '--out', join(dir, 'x')]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain('AMCHAOS_UNKNOWN_VERSION');
    expect(r.stderr).toContain('0.28.1');
    expect(r.stderr).toContain('hint:');
    await expect(readdir(join(dir, 'x'))).rejects.toThrow();
  });

  it('an unknown suite, runtime, bad --nodes, --seed and timer values', async () => {
    for (const args of [
      ['--suite', 'nope'],
      ['--suite', 'exactly-once', '--runtime', 'kubernetes'],
      ['--suite', 'exactly-once', '--nodes', 'three'],
      ['--suite', 'exactly-once', '--seed', '-1'],
      ['--suite', 'exactly-once', '--peer-timeout', 'soon'],
      ['--suite', 'exactly-once', '--versions', '0.25.0,,0.33.1'],
      ['--suite', 'exactly-once', '--bogus-flag'],
    ]) {
      const r = await amchaos(['run', ...args, '--out', join(dir, 'y')]);
      expect(r.code, args.join(' ')).toBe(254);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
    await expect(readdir(join(dir, 'y'))).rejects.toThrow();
  });

  it.skipIf(!have0331)('an invalid Alertmanager config is refused with amtool\'s words', async () => {
    const cfg = join(dir, 'bad.yml');
    await writeFile(cfg, 'route:\n  receiver: missing\nreceivers:\n  - name: present\n');
    const r = await amchaos(['run', '--suite', 'exactly-once', '--versions', '0.33.1', '--config', cfg, '--out', join(dir, 'z')]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain('AMCHAOS_INVALID_CONFIG');
    expect(r.stderr).toContain('missing');
  });

  it.skipIf(!havePrometheus)(`with --source prometheus: an unknown Prometheus version, rules promtool rejects, a prometheus.yml without alerting:, a suite that needs it without it${havePrometheus ? '' : ' — skipped: Prometheus 2.42.0 does not resolve here; run bash .ci/setup to enable'}`, async () => {
    const unknown = await amchaos(['run', '--suite', 'exactly-once', '--source', 'prometheus', '--prometheus', '2.99.9', '--out', join(dir, 'p')]);
    expect(unknown.code).toBe(254);
    expect(unknown.stderr).toContain('AMCHAOS_UNKNOWN_VERSION');
    expect(unknown.stderr).toContain('unknown Prometheus version "2.99.9"');
    expect(unknown.stderr).toMatch(/hint: Debian builds: 2\.42\.0 \(bookworm\), 2\.53\.3 \(trixie\), 3\.5\.3 \(sid\)/);

    const rules = join(dir, 'bad-rules.yml');
    await writeFile(rules, 'groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: rate(up[5m]\n');
    const badRules = await amchaos(['run', '--suite', 'exactly-once', '--source', 'prometheus', '--rules', rules, '--out', join(dir, 'p')]);
    expect(badRules.code).toBe(254);
    expect(badRules.stderr).toContain('AMCHAOS_INVALID_CONFIG');
    expect(badRules.stderr).toContain('promtool check rules refused it');
    expect(badRules.stderr).toContain('bad-rules.yml');

    const cfg = join(dir, 'prometheus.yml');
    await writeFile(cfg, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    const noAlerting = await amchaos(['run', '--suite', 'exactly-once', '--source', 'prometheus', '--prometheus-config', cfg, '--out', join(dir, 'p')]);
    expect(noAlerting.code).toBe(254);
    expect(noAlerting.stderr).toContain('no alerting: section');
    expect(noAlerting.stderr).toContain('hint:');

    const needs = await amchaos(['run', '--suite', 'prometheus-ha', '--out', join(dir, 'p')]);
    expect(needs.code).toBe(254);
    expect(needs.stderr).toContain('--source prometheus');
    const stray = await amchaos(['run', '--suite', 'exactly-once', '--rules', rules, '--out', join(dir, 'p')]);
    expect(stray.code).toBe(254);
    expect(stray.stderr).toContain('configures the Prometheus source');
    // Nothing started: no run directory.
    await expect(readdir(join(dir, 'p'))).rejects.toThrow();
  });

  it('a malformed alerts file and a missing config file', async () => {
    const alerts = join(dir, 'alerts.yaml');
    await writeFile(alerts, '- labels: [not, a, map]\n');
    const r1 = await amchaos(['run', '--suite', 'exactly-once', '--alerts', alerts, '--out', join(dir, 'w')]);
    expect(r1.code).toBe(254);
    expect(r1.stderr).toContain('AMCHAOS_INVALID_ALERTS_FILE');
    const r2 = await amchaos(['run', '--suite', 'exactly-once', '--config', join(dir, 'nope.yml'), '--out', join(dir, 'w')]);
    expect(r2.code).toBe(254);
    expect(r2.stderr).toContain('nope.yml');
  });

  it.skipIf(!have0331)('a receiver port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await amchaos(['run', '--suite', 'exactly-once', '--versions', '0.33.1', '--receiver-port', String(port), '--out', join(dir, 'v')]);
      expect(r.code).toBe(254);
      expect(r.stderr).toContain('AMCHAOS_PORT_IN_USE');
      await expect(readdir(join(dir, 'v'))).rejects.toThrow();
    } finally {
      blocker.close();
    }
  });
});

describe('amchaos report', () => {
  it('re-renders an old run from summary.json and history.jsonl; the exit code follows its verdict; a bad dir is 254', { timeout: 60_000 }, async () => {
    const reports = await mkdtemp(join(tmpdir(), 'amchaos-cli-report-'));
    try {
      const failing = await writeFixtureRun(reports, 'no-cluster');
      const passing = await writeFixtureRun(reports, 'pass');
      await rm(join(failing, 'index.html'), { force: true });
      const r1 = await amchaos(['report', failing]);
      expect(r1.code).toBe(1);
      expect((await readdir(failing)).sort()).toEqual(expect.arrayContaining(['index.html', 'junit.xml']));
      expect((await amchaos(['report', passing])).code).toBe(0);
      const all = await amchaos(['report', reports]);
      expect(all.code).toBe(0);
      expect(await readdir(reports)).toContain('index.html');
      const bad = await amchaos(['report', join(reports, 'nope')]);
      expect(bad.code).toBe(254);
      expect(bad.stderr).toContain('AMCHAOS_INVALID_RUN_DIR');
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  });
});

describe('amchaos CLI: nothing is left behind', () => {
  it.skipIf(!have0331)('Ctrl-C (SIGINT) during a run stops every node, removes the work dir, exits 130', { timeout: 60_000 }, async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'amchaos-cli-work-'));
    const out = join(workDir, 'out');
    let sent = false;
    const r = await amchaos(['run', '--suite', 'exactly-once', '--versions', '0.33.1', '--out', out], {
      env: { AMCHAOS_WORK_DIR: workDir + '/w' },
      onStderr: (text, child) => {
        // Interrupt once the cluster is up and the suite is driving it.
        if (!sent && text.includes('fired')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(await nodesMentioning(workDir)).toEqual([]);
    expect(await readdir(join(workDir, 'w'))).toEqual([]);
    await rm(workDir, { recursive: true, force: true });
  });

  it.skipIf(!have0331)('a run killed with SIGKILL takes its nodes with it (pdeathsig); the next start sweeps its work dir', { timeout: 60_000 }, async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'amchaos-cli-kill-'));
    let killed = false;
    await amchaos(['run', '--suite', 'exactly-once', '--versions', '0.33.1', '--out', join(workDir, 'out')], {
      env: { AMCHAOS_WORK_DIR: workDir + '/w' },
      onStderr: (text, child) => {
        if (!killed && text.includes('fired')) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    // The kernel delivers SIGKILL to the nodes when their parent dies; give it a moment.
    for (let i = 0; i < 50 && (await nodesMentioning(workDir)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await nodesMentioning(workDir)).toEqual([]);
    expect((await readdir(join(workDir, 'w'))).length).toBe(1);
    const sweep = await amchaos(['sweep'], { env: { AMCHAOS_WORK_DIR: workDir + '/w' } });
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toContain('removed work dir');
    expect(await readdir(join(workDir, 'w'))).toEqual([]);
    await rm(workDir, { recursive: true, force: true });
  });
});
