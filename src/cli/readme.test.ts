import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../util/paths.js';
import { resolveVersion } from '../versions/index.js';

/**
 * The README's shell commands, run as pasted: every line of every ```sh block is a command, and
 * each one is either run here (the fast ones, one real short run among them) or skipped with the
 * reason written beside it. A command the table below does not know fails the test — so a README
 * edit has to say how its commands are checked, and the README cannot drift from what works.
 *
 * Commands run with bash in a scratch directory that looks like the repository's root (package.json,
 * bin, dist, node_modules, fixtures, examples linked in), so `npx amchaos …` resolves as it does for
 * a user and `--out reports/…` writes into the scratch directory.
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
  | { skip: string };

const SUITE_TESTED = (file: string, what: string) => `${what}: ${file} runs it in npm test`;

/** How each README command is checked. Keyed by the command exactly as the README writes it. */
const PLANS: Record<string, Plan> = {
  'bash .ci/setup': { skip: 'installs packages with apt-get and reinstalls node_modules (npm ci): CI runs it first (.ci/run), never inside a test' },
  'npx amchaos run --suite exactly-once --versions 0.25.0,0.28.1,0.33.1 --nodes 3 --out reports/r1': {
    skip: SUITE_TESTED('suites/exactly-once.test.ts', 'three real clusters, about a minute'),
  },
  'npm test': { skip: 'the test run this test belongs to' },
  'npx amchaos --version': { run: { code: 0, stdout: /^\d+\.\d+\.\d+\n$/ } },
  'npx amchaos suites': { run: { code: 0, stdout: /^split-brain +netns \(root\) or docker/m } },
  'npx amchaos versions': { run: { code: 0, stdout: /^VERSION +PROVIDER +STATE +--versions +WHERE/ } },
  'npx amchaos versions --fetch 0.28.1,0.33.1': { run: { code: 0, stdout: /^0\.33\.1 +debian:sid/m, needs: ['0.28.1', '0.33.1'] } },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --out reports/quick': { run: { code: 0, stdout: /^verdict: PASS/m, needs: ['0.33.1'], timeoutMs: 120_000 } },
  'npx amchaos report reports/quick': { run: { code: 0, stdout: /^rendered .*reports\/quick/m, needs: ['0.33.1'] } },
  'npx amchaos check reports/quick': { run: { code: 0, stdout: /^unchanged: every scenario has the outcome it had/m, needs: ['0.33.1'] } },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --out reports/quick --force': {
    skip: 'a second real run of the cluster just run; --force is tested in src/cli/cli.test.ts (the Ctrl-C test)',
  },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --no-cluster --out reports/control': { skip: SUITE_TESTED('suites/exactly-once.test.ts', 'the control, a real run that must fail') },
  'npx amchaos run --suite exactly-once --versions 0.25.0,0.33.1,0.25.0+0.28.1+0.33.1 --out reports/r2': { skip: SUITE_TESTED('suites/exactly-once.test.ts', 'three real clusters') },
  'npx amchaos run --suite silences --versions 0.33.1 --nodes 3 --out reports/r3': { skip: SUITE_TESTED('suites/silences.test.ts', 'the silences suite on a real cluster') },
  'npx amchaos run --suite exactly-once --config fixtures/configs/routing-example.yml --alerts fixtures/alerts/example.yaml': {
    skip: SUITE_TESTED('suites/user-config.test.ts', 'a user config on a real cluster'),
  },
  'npx amchaos run --suite exactly-once --versions tsam,0.25.0+tsam+0.33.1,tsam:no-dedup': { skip: SUITE_TESTED('suites/tsam.test.ts', 'three clusters with tsam') },
  'npx amchaos run --suite split-brain --runtime netns --versions 0.25.0,0.33.1 --out reports/r4': { skip: SUITE_TESTED('suites/split-brain.test.ts', 'netns (root), about two minutes') },
  'npx amchaos run --suite split-brain --runtime docker --versions 0.25.0,0.33.1 --out reports/d2': { skip: SUITE_TESTED('suites/docker.test.ts', 'a Docker engine, about two minutes') },
  'npx amchaos run --suite exactly-once --runtime docker --versions image:prom/alertmanager:v0.27.0,0.33.1': {
    skip: 'pulls an image from a registry; suites/docker.test.ts runs official-layout images built locally',
  },
  'npx amchaos run --suite exactly-once --versions 0.33.1 --seed 1234': { skip: 'another real run like reports/quick above; the seed only fixes the generated alerts' },
  'npx amchaos run --suite ./examples/my-suite.ts --versions 0.33.1': { skip: SUITE_TESTED('examples/my-suite.test.ts', 'a suite file on a real cluster') },
  'npx amchaos run --suite no-such-suite': { run: { code: 254, stderr: /unknown suite "no-such-suite"[^]*hint: Suites: exactly-once/ } },
  'npx amchaos proxy --listen 127.0.0.1:8474': { server: { ready: /Toxiproxy API on http:\/\/127\.0\.0\.1:8474/, port: 8474 } },
  'npx amchaos tsam --config.file=fixtures/configs/two-routes.yml --storage.path=/tmp/tsam-data --web.listen-address=127.0.0.1:9093 --cluster.listen-address=': {
    server: { ready: /Listening on" address=127\.0\.0\.1:9093/, port: 9093, removes: '/tmp/tsam-data' },
  },
  'npx amchaos sweep': { run: { code: 0, stdout: /^(nothing to remove|removed )/m } },
  'npx amchaos catalogue --versions 0.25.0,0.28.1,0.33.1,tsam --out reports/cat': {
    skip: 'the whole catalogue: 66 real scenarios, about 22 minutes; npm test runs every scenario once (suites/catalogue.test.ts, gossip-load.test.ts, the fault suites)',
  },
  'npx amchaos catalogue --versions 0.33.1 --shard 2/4 --out reports/part-2': {
    skip: 'a quarter of the catalogue on real clusters, minutes; the slices are tested in src/run/shard.test.ts and src/catalogue/catalogue.test.ts',
  },
  'npx amchaos report merge reports/quick --out reports/merged': { run: { code: 0, stdout: /^merged 1 run\(s\): 1 scenario\(s\), PASS/m, needs: ['0.33.1'] } },
  'npx amchaos run --suite rolling-upgrade --versions 0.25.0 --upgrade-to 0.33.1': {
    skip: SUITE_TESTED('suites/catalogue.test.ts', 'three real nodes upgraded one by one (0.25.0 → 0.28.1 there), about 70 s'),
  },
  'npm run build': { skip: 'npm test builds first' },
  'npx vitest run src/checkers': { skip: 'starts vitest: npm test runs these files' },
  'npx vitest run src/report/report.test.ts': { skip: 'starts vitest: npm test runs this file' },
  'npx vitest run suites/exactly-once.test.ts': { skip: 'starts vitest: npm test runs this file' },
  'npx vitest run src': { skip: 'starts vitest: npm test runs these files' },
  'npx vitest run suites': { skip: 'starts vitest: npm test runs these files' },
  'npx vitest run -t "no-loss"': { skip: 'starts vitest: npm test runs these tests' },
  'npm run bench': { skip: 'the benchmarks take minutes and measure, they do not test' },
  'npm run bench -- tsam': { skip: 'the benchmarks take minutes and measure, they do not test' },
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

describe('README commands', () => {
  it('are complete and run as root on Debian: no `...` placeholders, no sudo', () => {
    expect(commands.length).toBeGreaterThan(15);
    for (const { command, line } of commands) {
      expect(command, `README.md:${line}`).not.toMatch(/\.\.\.|…/);
      expect(command, `README.md:${line}`).not.toMatch(/(^|[;&|]\s*)sudo\s/);
    }
  });

  it('each says how this test checks it (run it, or skip it with a reason)', () => {
    const unknown = commands.filter((c) => !(c.command in PLANS)).map((c) => `README.md:${c.line}: ${c.command}`);
    expect(unknown, 'add each new README command to PLANS in src/cli/readme.test.ts').toEqual([]);
    const stale = Object.keys(PLANS).filter((k) => !commands.some((c) => c.command === k));
    expect(stale, 'PLANS names commands the README no longer has').toEqual([]);
  });

  it('the extraction finds commands and cuts trailing comments (it can fail)', () => {
    expect(readmeCommands('x\n```sh\n# a comment\nnpx amchaos suites   # the suites\n\n```\n```ts\nnot(a, command)\n```\n')).toEqual([{ command: 'npx amchaos suites', line: 4 }]);
  });
});

describe('README commands, run as pasted', () => {
  let cwd: string;
  const cached = new Map<string, boolean>();
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'amchaos-readme-'));
    for (const f of ['package.json', 'bin', 'dist', 'node_modules', 'fixtures', 'examples']) await symlink(join(ROOT, f), join(cwd, f));
    for (const v of ['0.28.1', '0.33.1']) cached.set(v, await resolveVersion(v, { cacheDir: (await import('../util/fs.js')).defaultCacheDir(), fetch: false }).then(() => true, () => false));
  });
  afterAll(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  for (const { command, line } of commands) {
    const plan = PLANS[command];
    if (!plan) continue; // reported by the test above
    const name = `README.md:${line}: ${command}`;
    if ('skip' in plan) {
      it.skip(`${name} — skipped: ${plan.skip}`, () => undefined);
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
