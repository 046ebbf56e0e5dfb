import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../util/paths.js';
import { resolveVersion } from '../versions/index.js';

/**
 * The README's shell commands, run as pasted: every line of every ```sh block is a command, and
 * each one is either run here (the fast ones, one real short run among them) or named as covered
 * by a test file, npm script or path that this test checks exists (and names what the command runs). A command the table below does not know fails the test — so a README
 * edit has to say how its commands are checked, and the README cannot drift from what works.
 *
 * Commands run with bash in the repository's root, as a user of a clone runs them: `npx amchaos …`
 * resolves the project's own bin there (in a look-alike directory npm would instead install the
 * project into its npx cache, running its build). What they write under reports/ (gitignored) is
 * removed afterwards, unless it was there before.
 */

const ROOT = packageRoot();
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

export interface ReadmeCommand {
  command: string;
  /** 1-based line in README.md. */
  line: number;
}

/** Every command in the README's ```sh blocks (comment lines skipped, trailing `# comments` cut). */
export function readmeCommands(text: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let inSh = false;
  text.split('\n').forEach((raw, i) => {
    if (/^```/.test(raw)) {
      inSh = !inSh && /^```(sh|bash|shell)\s*$/.test(raw);
      return;
    }
    if (!inSh) return;
    const command = raw.replace(/\s+#\s.*$/, '').trim();
    if (command === '' || command.startsWith('#')) return;
    out.push({ command, line: i + 1 });
  });
  return out;
}

type Plan =
  /** Run it; expect this exit code (and output). `needs`: versions that must resolve offline, else it is skipped saying so. */
  | { run: { code: number; stdout?: RegExp; stderr?: RegExp; needs?: string[]; timeoutMs?: number } }
  /** A server that runs until Ctrl-C: start it, wait for its ready line, send SIGINT, expect it gone. */
  | { server: { ready: RegExp; port: number; removes?: string } }
  /**
   * Not run here (too long, or it is the test run itself), but covered: `by` names what runs it or
   * what it stands on, and the test checks that the cover exists — the file is there and names the
   * command's suite and versions, the npm script is defined, the path exists. So no README command
   * is a silent skip: a renamed suite test or a dropped script fails here.
   */
  | { covered: { by: Cover; why: string } };

type Cover =
  /**
   * A test file that runs the same thing in npm test. It must contain each of `mentions` (by
   * default the command's `--suite NAME`, `--runtime R` and `--source S`).
   */
  | { testFile: string; mentions?: string[] }
  /** An npm script in package.json. */
  | { npmScript: string }
  /** A file or folder of the repository the command runs or reads. */
  | { path: string };

const SUITE_TESTED = (file: string, what: string): Plan => ({ covered: { by: { testFile: file }, why: `${what}: ${file} runs it in npm test` } });
const SCRIPT = (script: string, why: string): Plan => ({ covered: { by: { npmScript: script }, why } });
const PATH = (path: string, why: string): Plan => ({ covered: { by: { path }, why } });

/** How each README command is checked. Keyed by the command exactly as the README writes it. */
const PLANS: Record<string, Plan> = {
  // The setup installs packages with apt-get and reinstalls node_modules (CI runs it first, .ci/run); the job is three real clusters.
  'bash .ci/setup && npx amchaos run --suite exactly-once --versions 0.25.0,0.28.1,0.33.1 --nodes 3 --out reports/r1': SUITE_TESTED('suites/exactly-once.test.ts', 'the setup (apt-get, npm ci: .ci/run runs it before the tests, never inside one) and three real clusters, about a minute'),
  'npm test': SCRIPT('test', 'the test run this test belongs to'),
  'npx amchaos --version': { run: { code: 0, stdout: /^\d+\.\d+\.\d+\n$/ } },
  'npx amchaos suites': { run: { code: 0, stdout: /^split-brain +netns \(root\) or docker/m } },
  'npx amchaos versions': { run: { code: 0, stdout: /^VERSION +PROVIDER +STATE +--versions +WHERE/ } },
  'npx amchaos versions --fetch 0.28.1,0.33.1': { run: { code: 0, stdout: /^0\.33\.1 +debian:sid/m, needs: ['0.28.1', '0.33.1'] } },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --out reports/quick': { run: { code: 0, stdout: /^verdict: PASS/m, needs: ['0.33.1'], timeoutMs: 120_000 } },
  'npx amchaos report reports/quick': { run: { code: 0, stdout: /^rendered .*reports\/quick/m, needs: ['0.33.1'] } },
  'npx amchaos check reports/quick': { run: { code: 0, stdout: /^unchanged: every scenario has the outcome it had/m, needs: ['0.33.1'] } },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --out reports/quick --force': {
    covered: { by: { testFile: 'src/cli/cli.test.ts', mentions: ["'--force'"] }, why: 'a second real run of the cluster just run; src/cli/cli.test.ts runs --out at an earlier run with and without --force' },
  },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --no-cluster --out reports/control': SUITE_TESTED('suites/exactly-once.test.ts', 'the control, a real run that must fail'),
  'npx amchaos run --suite exactly-once --versions 0.25.0,0.33.1,0.25.0+0.28.1+0.33.1 --out reports/r2': SUITE_TESTED('suites/exactly-once.test.ts', 'three real clusters'),
  'npx amchaos run --suite silences --versions 0.33.1 --nodes 3 --out reports/r3': SUITE_TESTED('suites/silences.test.ts', 'the silences suite on a real cluster'),
  'npx amchaos run --suite exactly-once --config fixtures/configs/routing-example.yml --alerts fixtures/alerts/example.yaml': SUITE_TESTED('suites/user-config.test.ts', 'a user config on a real cluster'),
  'npx amchaos run --suite exactly-once --versions tsam,0.25.0+tsam+0.33.1,tsam:no-dedup': SUITE_TESTED('suites/tsam.test.ts', 'three clusters with tsam'),
  'npx amchaos run --suite prometheus-ha --source prometheus --prometheus 2.42.0 --versions 0.25.0,0.33.1 --out reports/p1': SUITE_TESTED('suites/prometheus-ha.test.ts', 'a real Prometheus pair against two real clusters, about 2.5 minutes'),
  'npx amchaos run --suite exactly-once --source prometheus --config fixtures/configs/routing-example.yml --rules fixtures/rules/example.yml --out reports/p2': SUITE_TESTED('suites/prometheus-ha.test.ts', 'the user\'s rules and routing through a real Prometheus pair'),
  'npx amchaos run --suite split-brain --runtime netns --versions 0.25.0,0.33.1 --out reports/r4': SUITE_TESTED('suites/split-brain.test.ts', 'netns (root), about two minutes; one version per test run, rotating (suites/README.md)'),
  'npx amchaos run --suite split-brain --runtime docker --versions 0.25.0,0.33.1 --out reports/d2': SUITE_TESTED('suites/docker.test.ts', 'a Docker engine, about two minutes'),
  'npx amchaos run --suite exactly-once --runtime docker --versions image:prom/alertmanager:v0.27.0,0.33.1': {
    covered: { by: { testFile: 'src/runtime/docker/docker-runtime.test.ts', mentions: ['image:'] }, why: 'pulls an image from a registry (none here): src/runtime/docker/docker-runtime.test.ts runs image:REF on an official-layout image built locally' },
  },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --seed 1234': {
    covered: { by: { testFile: 'src/workload/generate.test.ts', mentions: ['seed'] }, why: 'another real run like reports/quick above; the seed only fixes the generated alerts, which src/workload/generate.test.ts checks' },
  },
  'npx amchaos run --suite ./examples/my-suite.ts --versions 0.33.1': SUITE_TESTED('examples/my-suite.test.ts', 'a suite file on a real cluster'),
  'npx amchaos run --suite no-such-suite': { run: { code: 254, stderr: /unknown suite "no-such-suite"[^]*hint: Suites: exactly-once/ } },
  'npx amchaos proxy --listen 127.0.0.1:8474': { server: { ready: /Toxiproxy API on http:\/\/127\.0\.0\.1:8474/, port: 8474 } },
  'npx amchaos tsam --config.file=fixtures/configs/two-routes.yml --storage.path=/tmp/tsam-data --web.listen-address=127.0.0.1:9093 --cluster.listen-address=': {
    server: { ready: /Listening on" address=127\.0\.0\.1:9093/, port: 9093, removes: '/tmp/tsam-data' },
  },
  'npx amchaos sweep': { run: { code: 0, stdout: /^(nothing to remove|removed )/m } },
  'npx amchaos catalogue --versions 0.25.0,0.28.1,0.33.1,tsam --out reports/cat': {
    covered: { by: { testFile: 'suites/catalogue.test.ts', mentions: ['catalogue'] }, why: 'the whole catalogue: 66 real scenarios, about 20 minutes; npm test runs every scenario once (suites/catalogue.test.ts, gossip-load.test.ts, the fault suites)' },
  },
  'npx amchaos catalogue --versions 0.33.1 --shard 2/4 --out reports/part-2': {
    covered: { by: { testFile: 'src/run/shard.test.ts', mentions: ['2/4'] }, why: 'a quarter of the catalogue on real clusters, minutes; the slices are tested in src/run/shard.test.ts and src/catalogue/catalogue.test.ts' },
  },
  'npx amchaos report merge reports/quick --out reports/merged': { run: { code: 0, stdout: /^merged 1 run\(s\): 1 scenario\(s\), PASS/m, needs: ['0.33.1'] } },
  'npx amchaos run --suite rolling-upgrade --versions 0.25.0 --upgrade-to 0.33.1': SUITE_TESTED('suites/catalogue.test.ts', 'three real nodes upgraded one by one, the same pair, about 70 s'),
  'npm run build': SCRIPT('build', 'npm test builds first'),
  'npx vitest run src/checkers': PATH('src/checkers', 'starts vitest: npm test runs these files'),
  'npx vitest run src/report/report.test.ts': PATH('src/report/report.test.ts', 'starts vitest: npm test runs this file'),
  'npx vitest run suites/exactly-once.test.ts': PATH('suites/exactly-once.test.ts', 'starts vitest: npm test runs this file'),
  'npx vitest run src': PATH('src', 'starts vitest: npm test runs these files'),
  'npx vitest run suites': PATH('suites', 'starts vitest: npm test runs these files'),
  'npx vitest run -t "no-loss"': PATH('src/checkers/no-loss.test.ts', 'starts vitest: npm test runs these tests'),
  'npm run bench': SCRIPT('bench', 'the benchmarks take minutes and measure, they do not test'),
  'npm run bench -- tsam': SCRIPT('bench', 'the benchmarks take minutes and measure, they do not test'),
};

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function bash(command: string, cwd: string, timeoutMs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts a server command in its own process group, waits for its ready line, then Ctrl-C (SIGINT to the group). */
function server(command: string, cwd: string, ready: RegExp): Promise<Result & { wasReady: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let stdout = '';
    let stderr = '';
    let wasReady = false;
    const check = (): void => {
      if (!wasReady && ready.test(stdout + stderr)) {
        wasReady = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout.on('data', (b: Buffer) => ((stdout += b.toString()), check()));
    child.stderr.on('data', (b: Buffer) => ((stderr += b.toString()), check()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wasReady });
    });
  });
}

const commands = readmeCommands(README);

/**
 * What a test file covering `command` must name: its suite (a name, not a file), runtime and source.
 * Versions are not required by name: the suite tests take them from shared tables (REAL_VERSIONS,
 * the fault-suite rotation), so the file never spells them.
 */
export function coverMentions(command: string): string[] {
  const args = command.split(/\s+/);
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out: string[] = [];
  const suite = value('--suite');
  if (suite && !suite.startsWith('.')) out.push(suite);
  for (const flag of ['--runtime', '--source']) {
    const v = value(flag);
    if (v) out.push(v);
  }
  return out;
}

describe('README commands', () => {
  it('are complete and run as root on Debian: no `...` placeholders, no sudo', () => {
    expect(commands.length).toBeGreaterThan(15);
    for (const { command, line } of commands) {
      expect(command, `README.md:${line}`).not.toMatch(/\.\.\.|…/);
      expect(command, `README.md:${line}`).not.toMatch(/(^|[;&|]\s*)sudo\s/);
    }
  });

  it('each says how this test checks it (run it, or what covers it)', () => {
    const unknown = commands.filter((c) => !(c.command in PLANS)).map((c) => `README.md:${c.line}: ${c.command}`);
    expect(unknown, 'add each new README command to PLANS in src/cli/readme.test.ts').toEqual([]);
    const stale = Object.keys(PLANS).filter((k) => !commands.some((c) => c.command === k));
    expect(stale, 'PLANS names commands the README no longer has').toEqual([]);
  });

  it('a covering test file must name the suite, runtime and source of the command it covers', () => {
    expect(coverMentions('npx amchaos run --suite split-brain --runtime docker --versions 0.25.0,0.33.1 --out reports/d2')).toEqual(['split-brain', 'docker']);
    expect(coverMentions('npx amchaos run --suite ./examples/my-suite.ts --versions 0.33.1')).toEqual([]);
  });

  it('the extraction finds commands and cuts trailing comments (it can fail)', () => {
    expect(readmeCommands('x\n```sh\n# a comment\nnpx amchaos suites   # the suites\n\n```\n```ts\nnot(a, command)\n```\n')).toEqual([{ command: 'npx amchaos suites', line: 4 }]);
  });
});

describe('README commands, run as pasted', () => {
  const cwd = ROOT;
  const cached = new Map<string, boolean>();
  // The run directories the README's fast commands write (`--out reports/quick`).
  const written = ['reports/quick'].filter((d) => !existsSync(join(ROOT, d)));
  beforeAll(async () => {
    for (const v of ['0.28.1', '0.33.1']) cached.set(v, await resolveVersion(v, { cacheDir: (await import('../util/fs.js')).defaultCacheDir(), fetch: false }).then(() => true, () => false));
  });
  afterAll(async () => {
    for (const d of written) await rm(join(ROOT, d), { recursive: true, force: true });
  });

  for (const { command, line } of commands) {
    const plan = PLANS[command];
    if (!plan) continue; // reported by the test above
    const name = `README.md:${line}: ${command}`;
    if ('covered' in plan) {
      const { by, why } = plan.covered;
      it(`${name} — not run here: ${why}`, () => {
        if ('npmScript' in by) {
          const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
          expect(Object.keys(scripts), `package.json has no script "${by.npmScript}"`).toContain(by.npmScript);
          return;
        }
        const file = 'path' in by ? by.path : by.testFile;
        expect(existsSync(join(ROOT, file)), `${file} does not exist: say in PLANS what covers this command now`).toBe(true);
        if ('testFile' in by) {
          const text = readFileSync(join(ROOT, file), 'utf8');
          for (const m of by.mentions ?? coverMentions(command)) expect(text, `${file} should run what the README command does: it never names ${m}`).toContain(m);
        }
      });
      continue;
    }
    if ('run' in plan) {
      const r = plan.run;
      const missing = () => (r.needs ?? []).filter((v) => !cached.get(v));
      it(name, { timeout: (r.timeoutMs ?? 30_000) + 10_000 }, async (ctx) => {
        if (missing().length > 0) ctx.skip(`needs ${missing().join(', ')} in ~/.cache/amchaos: run \`bash .ci/setup\` (or \`npx amchaos versions --fetch ${missing().join(',')}\`)`);
        const res = await bash(command, cwd, r.timeoutMs ?? 30_000);
        expect(res.code, `${command}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`).toBe(r.code);
        if (r.stdout) expect(res.stdout).toMatch(r.stdout);
        if (r.stderr) expect(res.stderr).toMatch(r.stderr);
        expect(res.stderr).not.toContain('internal error');
      });
      continue;
    }
    const s = plan.server;
    it(name, { timeout: 40_000 }, async (ctx) => {
      if (await portOpen(s.port)) ctx.skip(`something on this machine already listens on 127.0.0.1:${s.port}`);
      const existed = s.removes !== undefined && existsSync(s.removes);
      try {
        const res = await server(command, cwd, s.ready);
        expect(res.wasReady, `never printed ${s.ready}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`).toBe(true);
        // Ctrl-C stopped it: nothing listens any more, nothing crashed.
        expect(await portOpen(s.port)).toBe(false);
        expect(res.stderr).not.toMatch(/internal error|Unhandled|TypeError/);
      } finally {
        if (s.removes && !existed) await rm(s.removes, { recursive: true, force: true });
      }
    });
  }
});
