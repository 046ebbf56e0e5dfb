import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { CaptureReceiver } from '../capture/capture.js';
import { exitCodeOf, EXIT, runOutcome, verdictOf } from '../checkers/outcome.js';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import { History } from '../history/history.js';
import type { LabelSet, Timers } from '../history/types.js';
import type { RuntimeName } from '../runtime/types.js';
import { checkConfigWithAmtool, defaultConfig, userConfig, type ClusterConfig, type TimerSources } from '../topology/config.js';
import { formatGoDuration, timersFor } from '../topology/timers.js';
import { resolveVersion } from '../versions/index.js';
import type { ResolvedVersion } from '../versions/types.js';
import { loadAlertsFile } from '../workload/alerts-file.js';
import { generateAlerts } from '../workload/generate.js';
import { SUITES } from '../../suites/index.js';
import { portInUse } from '../runtime/common/ports.js';
import { getRuntime } from './runtime-registry.js';
import { assertRuntimeFits, nodeSpecs, resourceLabel, runScenario, type ScenarioPlan } from './scenario.js';
import type { RunSummary, ScenarioSummary } from './summary.js';
import { sweepEverything } from './sweep.js';
import { createRunWorkDir, newRunId, removeRunWorkDir } from './workdir.js';
import { seedFor } from './seed.js';

export interface RunOptions {
  suite: string;
  /** One entry per cluster; each entry lists the version of every node. */
  clusters: string[][];
  runtime: RuntimeName;
  outDir?: string;
  seed?: number;
  clustered: boolean;
  configFile?: string;
  alertsFile?: string;
  groups: number;
  receiverPort?: number;
  logLevel: 'debug' | 'info';
  /** Timers the user set; the rest default per cluster size (topology/timers.ts timersFor). */
  timers: Partial<Timers>;
  /** The arguments as given, to print the replay command. */
  argv: string[];
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
  /** Abort from outside (vitest); the CLI wires SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

export interface RunResult {
  summary: RunSummary;
  runDir: string;
}

/** The CLI's `run`: returns the exit code (0 pass, 1 fail, 2 unknown); bad input throws before anything starts. */
export async function runCommand(opts: RunOptions): Promise<number> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`\namchaos: ${sig}: stopping every node and cleaning up...\n`);
    controller.abort(new AmchaosError('AMCHAOS_INTERRUPTED', `interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { summary, runDir } = await runSuite({ ...opts, signal: controller.signal });
    printSummary(summary, runDir);
    if (controller.signal.aborted) return EXIT.interrupted;
    return exitCodeOf(summary.outcome);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Validates everything, then runs one scenario per cluster and writes the run directory. */
export async function runSuite(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  // ---- Resolve: every input is checked before anything starts. ----
  const suite = SUITES[opts.suite];
  if (!suite) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `unknown suite "${opts.suite}"`, {
      hint: `Suites: ${Object.keys(SUITES).join(', ')} (amchaos suites lists them).`,
    });
  }
  const runtime = await getRuntime(opts.runtime);
  assertRuntimeFits(suite, runtime);
  const resolved = new Map<string, ResolvedVersion>();
  for (const v of new Set(opts.clusters.flat())) {
    resolved.set(v, await resolveVersion(v, { cacheDir: (await import('../util/fs.js')).defaultCacheDir(), fetch: true, log }));
  }
  const userConfigText = opts.configFile ? await readInput(opts.configFile, 'AMCHAOS_INVALID_CONFIG', '--config') : undefined;
  const flagSources = timerFlagSources(opts.timers);
  const configFor = (captureBase: string, timers: Timers): ClusterConfig =>
    userConfigText !== undefined ? userConfig(userConfigText, opts.configFile!, captureBase) : defaultConfig(captureBase, timers, flagSources);
  // Validate the config (as it will run) with every distinct amtool of the versions in play.
  const probeConfig = configFor('http://127.0.0.1:9', timersFor(3, opts.timers));
  if (userConfigText !== undefined) refuseRouteTimerFlags(opts.timers, probeConfig);
  const amtools = new Set([...resolved.values()].map((v) => v.amtool).filter((a): a is string => a !== undefined));
  for (const amtool of amtools) await checkConfigWithAmtool(amtool, probeConfig.yaml, opts.configFile ?? 'the generated config');
  if (opts.receiverPort !== undefined && (await portInUse('127.0.0.1', opts.receiverPort))) {
    throw new AmchaosError('AMCHAOS_PORT_IN_USE', `--receiver-port ${opts.receiverPort}: something already listens on 127.0.0.1:${opts.receiverPort}`, {
      hint: 'Pick another port, or leave --receiver-port out to use any free one.',
    });
  }
  const alerts: LabelSet[] | undefined = opts.alertsFile ? (await loadAlertsFile(opts.alertsFile)).map((a) => a.labels) : undefined;

  const runId = newRunId();
  const seed = opts.seed ?? Math.floor(Math.random() * 0xffffffff);
  const runDir = resolve(opts.outDir ?? join('reports', runId));
  const clusters = opts.clusters.map((names) => names.map((n) => resolved.get(n)!));
  const plans: ScenarioPlan[] = clusters.map((versions, i) => {
    const label = opts.clusters[i]!.every((v) => v === opts.clusters[i]![0]) ? `${opts.clusters[i]![0]}x${versions.length}` : opts.clusters[i]!.join('+');
    const id = `${suite.name}/${label}${opts.clustered ? '' : '/no-cluster'}`;
    const scenarioSeed = seedFor(seed, id);
    // With --config the cluster runs the config's own route timers: record those, not our defaults.
    const timers = userConfigText !== undefined ? withRootRouteTimers(timersFor(versions.length, opts.timers), probeConfig) : timersFor(versions.length, opts.timers);
    return {
      id,
      suite,
      versions,
      runtime,
      clustered: opts.clustered,
      seed: scenarioSeed,
      timers,
      config: (captureBase: string) => configFor(captureBase, timers),
      alerts: alerts ?? generateAlerts({ seed: scenarioSeed, groups: opts.groups, alertsPerGroup: { min: 1, max: 3 } }).map((a) => a.labels),
      logLevel: opts.logLevel,
    };
  });
  // The runtime checks what it needs (root, tools, templates) for the real node specs, before anything starts.
  for (const p of plans) {
    await runtime.preflight({
      runId,
      scenarioId: resourceLabel(p.id),
      workDir: join(runDir, '.preflight'),
      // The capture is not started yet; preflight only checks the address's shape.
      captureAddress: { host: '127.0.0.1', port: opts.receiverPort ?? 9 },
      nodes: nodeSpecs(p, probeConfig.yaml),
    });
  }

  // ---- Start: sweep leftovers of killed runs, then capture, then each scenario in turn. ----
  const swept = await sweepEverything();
  for (const s of swept) log(`sweep: removed ${s}`);
  await mkdir(runDir, { recursive: true });
  const workDir = await createRunWorkDir(runId);
  const history = new History({ file: join(runDir, 'history.jsonl') });
  const capture = new CaptureReceiver({ history, ...(opts.receiverPort ? { port: opts.receiverPort } : {}) });
  const startedAt = new Date();
  const scenarios: ScenarioSummary[] = [];
  const signal = opts.signal ?? new AbortController().signal;
  try {
    await capture.start();
    log(`run ${runId}: suite ${suite.name}, ${plans.length} cluster(s), runtime ${runtime.name}, seed ${seed} → ${runDir}`);
    for (const plan of plans) {
      if (signal.aborted) break;
      const s = await runScenario(plan, { runId, workDir, outDir: runDir, history, capture, signal, log });
      scenarios.push(s);
      log(`[${s.id}] ${s.outcome.toUpperCase()}${s.expectedFailure ? ' (' + s.expectedFailure + ')' : ''} — ${s.checks.map((c) => `${c.name} ${c.verdict}`).join(', ') || s.error?.message}`);
    }
  } finally {
    await capture.stop().catch(() => undefined);
    await history.close();
    await removeRunWorkDir(workDir);
  }
  const finishedAt = new Date();
  const interrupted = signal.aborted;
  const outcome = runOutcome(scenarios, { interrupted });
  const summary: RunSummary = {
    schema: 2,
    runId,
    outcome,
    verdict: verdictOf(outcome),
    ...(interrupted ? { interrupted } : {}),
    command: replayCommand(opts.argv, seed),
    seed,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    machine: { hostname: hostname(), platform: process.platform, arch: process.arch, cpus: cpus().length, memoryBytes: totalmem(), node: process.version, kernel: release() },
    scenarios,
    files: { history: 'history.jsonl', logsDir: 'logs', junit: 'junit.xml', html: 'index.html' },
  };
  await writeFile(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeReport(runDir, log);
  return { summary, runDir };
}

async function writeReport(runDir: string, log: (l: string) => void): Promise<void> {
  try {
    const { renderRunReport, renderParentIndex } = await import('../report/index.js');
    await renderRunReport(runDir);
    const index = await renderParentIndex(runDir);
    if (!index) log(`report: ${join(resolve(runDir, '..'), 'index.html')} is not an amchaos reports index; left it as it is`);
  } catch (e) {
    log(`report: could not render (${isAmchaosError(e) ? e.message : (e as Error).stack}); summary.json and history.jsonl are complete`);
  }
}

/** The command that replays this run: the same arguments with --seed pinned. */
export function replayCommand(argv: string[], seed: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--seed') {
      i++;
      continue;
    }
    if (a.startsWith('--seed=')) continue;
    out.push(a);
  }
  return ['npx', 'amchaos', ...out, '--seed', String(seed)];
}

/** "--group-interval 3s" for each route timer the user set by flag (the generated config's sources). */
function timerFlagSources(t: Partial<Timers>): TimerSources {
  const out: TimerSources = {};
  if (t.groupWaitMs !== undefined) out.groupWait = `--group-wait ${formatGoDuration(t.groupWaitMs)}`;
  if (t.groupIntervalMs !== undefined) out.groupInterval = `--group-interval ${formatGoDuration(t.groupIntervalMs)}`;
  if (t.repeatIntervalMs !== undefined) out.repeatInterval = `--repeat-interval ${formatGoDuration(t.repeatIntervalMs)}`;
  return out;
}

/** With --config the route timers are the config's; a route-timer flag beside it would be silently ignored. */
function refuseRouteTimerFlags(t: Partial<Timers>, config: ClusterConfig): void {
  const root = config.routes[0]!;
  const given: string[] = [];
  if (t.groupWaitMs !== undefined) given.push(`--group-wait (the config has ${root.sources?.groupWait ?? formatGoDuration(root.groupWaitMs)})`);
  if (t.groupIntervalMs !== undefined) given.push(`--group-interval (the config has ${root.sources?.groupInterval ?? formatGoDuration(root.groupIntervalMs)})`);
  if (t.repeatIntervalMs !== undefined) given.push(`--repeat-interval (the config has ${root.sources?.repeatInterval ?? formatGoDuration(root.repeatIntervalMs)})`);
  if (given.length === 0) return;
  throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `${given.join(', ')}: route timers come from --config, not from flags`, {
    hint: 'Set group_wait, group_interval and repeat_interval in the config file, or leave --config out to use the generated config with these flags.',
  });
}

/** The scenario's timers with group_wait / group_interval / repeat_interval of the config's root route. */
function withRootRouteTimers(timers: Timers, config: ClusterConfig): Timers {
  const root = config.routes[0]!;
  return { ...timers, groupWaitMs: root.groupWaitMs, groupIntervalMs: root.groupIntervalMs, repeatIntervalMs: root.repeatIntervalMs };
}

async function readInput(file: string, code: 'AMCHAOS_INVALID_CONFIG', flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new AmchaosError(code, `${flag} ${file}: ${(e as Error).message}`, { hint: `Give the path of a readable file to ${flag}.` });
  }
}

function printSummary(summary: RunSummary, runDir: string): void {
  const lines = [`verdict: ${summary.outcome.toUpperCase()}${summary.interrupted ? ' (interrupted)' : ''}  (seed ${summary.seed})`];
  for (const s of summary.scenarios) {
    lines.push(`  ${s.outcome.padEnd(16)} ${s.id}${s.expectedFailure ? `  [${s.expectedFailure}]` : ''}`);
    for (const c of s.checks) lines.push(`           ${c.verdict.padEnd(7)} ${c.name}: ${c.summary}`);
    if (s.error) lines.push(`           error: ${s.error.message}`);
  }
  lines.push(`report: ${join(runDir, 'index.html')}`, `replay: ${summary.command.join(' ')}`);
  process.stdout.write(lines.join('\n') + '\n');
}
