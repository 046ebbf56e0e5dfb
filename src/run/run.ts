import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exitCodeOf, EXIT } from '../checkers/outcome.js';
import { AmchaosError } from '../errors/index.js';
import type { LabelSet, Timers } from '../history/types.js';
import type { RuntimeName } from '../runtime/types.js';
import { loadAlertsFile } from '../workload/alerts-file.js';
import { generateAlerts } from '../workload/generate.js';
import { assertReceiverPortFree, openRun, prepareClusterInputs, preflight, writeRunSummary } from './prepare.js';
import { getRuntime } from './runtime-registry.js';
import { assertRuntimeFits, runScenario } from './scenario.js';
import type { ScenarioPlan } from './session.js';
import type { SuiteDefinition } from './suite.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';
import { newRunId } from './workdir.js';
import { seedFor } from './seed.js';
import { preparePrometheusSource } from '../prometheus/prepare.js';
import { shardSlice, type Shard } from './shard.js';

export interface RunOptions {
  /** The suite to run (the CLI looks names up in the registry it is given, or loads a suite file). */
  suite: SuiteDefinition;
  /** One entry per cluster; each entry lists the version of every node. */
  clusters: string[][];
  runtime: RuntimeName;
  outDir?: string;
  /** With outDir: an existing run directory there is cleared first (refused without it). */
  force?: boolean;
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
  /** The alert source: the built-in workload (default) or real Prometheus replicas. */
  source?: 'workload' | 'prometheus';
  /** With source prometheus: its version (default 2.42.0), replicas (default 2), the user's rule file and prometheus.yml. */
  prometheus?: { version?: string; replicas?: number; rulesFile?: string; configFile?: string };
  /** `--upgrade-to`: the version upgrade faults restart nodes with (rolling-upgrade). */
  upgradeTo?: string;
  /** `--shard i/n`: run only this stable slice of the clusters. */
  shard?: Shard;
}

/** The Prometheus version a run uses when --prometheus is not given (Debian bookworm's). */
export const DEFAULT_PROMETHEUS_VERSION = '2.42.0';

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
    const code = controller.signal.aborted ? EXIT.interrupted : exitCodeOf(summary.outcome);
    // Set before printing: should stdout's reader be gone (EPIPE), the CLI exits with this code.
    process.exitCode = code;
    // Interrupted, the verdict and the report's path go to stderr, where the progress lines went:
    // Ctrl-C also stops whatever reads our stdout (`| tee`, a pager).
    printSummary(summary, runDir, controller.signal.aborted ? process.stderr : process.stdout);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Validates everything, then runs one scenario per cluster and writes the run directory. */
export async function runSuite(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const suite = opts.suite;
  // ---- Resolve: every input is checked before anything starts. ----
  const runtime = await getRuntime(opts.runtime);
  assertRuntimeFits(suite, runtime);
  assertSourceFits(suite, opts);
  const timerOverrides = { ...suite.timers, ...opts.timers };
  const inputs = await prepareClusterInputs({
    versions: [...opts.clusters.flat(), ...(opts.upgradeTo !== undefined ? [opts.upgradeTo] : [])],
    configFile: opts.configFile,
    suiteConfig: suite.config ? { suite: suite.name, text: suite.config } : undefined,
    timers: timerOverrides,
    log,
  });
  const upgradeTo = opts.upgradeTo !== undefined ? inputs.versions.get(opts.upgradeTo) : undefined;
  for (const names of opts.clusters) {
    const why = suite.unsupported?.(names.map((n) => inputs.versions.get(n)!), { upgradeTo });
    if (why) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `suite ${suite.name} cannot run on ${names.join('+')}: ${why}`, {
        hint: `Pick versions that have what ${suite.name} needs (\`amchaos suites\` says what each suite reproduces).`,
      });
    }
  }
  await assertReceiverPortFree(opts.receiverPort);
  const alerts: LabelSet[] | undefined = opts.alertsFile ? (await loadAlertsFile(opts.alertsFile)).map((a) => a.labels) : undefined;
  const prometheus =
    opts.source === 'prometheus'
      ? await preparePrometheusSource({
          version: opts.prometheus?.version ?? DEFAULT_PROMETHEUS_VERSION,
          replicas: opts.prometheus?.replicas ?? 2,
          rulesFile: opts.prometheus?.rulesFile,
          configFile: opts.prometheus?.configFile,
          // Generated alert sets are valid Prometheus series by construction; a user's is checked.
          alerts,
          log,
        })
      : undefined;

  const runId = newRunId();
  const seed = opts.seed ?? Math.floor(Math.random() * 0xffffffff);
  const runDir = resolve(opts.outDir ?? join('reports', runId));
  const previousRun = opts.outDir !== undefined ? await checkOutDir(runDir, opts.outDir, opts.force === true) : [];
  const plans: ScenarioPlan[] = shardSlice(opts.clusters, opts.shard).map((names) => {
    const versions = names.map((n) => inputs.versions.get(n)!);
    const label = names.every((v) => v === names[0]) ? `${names[0]}x${versions.length}` : names.join('+');
    const id = `${suite.name}/${label}${opts.clustered ? '' : '/no-cluster'}`;
    const scenarioSeed = seedFor(seed, id);
    const clusterTimers = inputs.timersFor(versions.length);
    // Prometheus re-sends a firing alert at every evaluation: that is the source's resend interval.
    const timers = prometheus ? { ...clusterTimers, resendIntervalMs: Math.max(prometheus.timers.evaluationIntervalMs, prometheus.timers.resendDelayMs) } : clusterTimers;
    return {
      id,
      suite,
      versions,
      runtime,
      clustered: opts.clustered,
      seed: scenarioSeed,
      timers,
      config: (captureBase: string) => inputs.configFor(captureBase, timers, versions.length),
      alerts: alerts ?? generateAlerts({ seed: scenarioSeed, groups: opts.groups, alertsPerGroup: { min: 1, max: 3 } }).map((a) => a.labels),
      logLevel: opts.logLevel,
      ...(prometheus ? { prometheus } : {}),
      upgradeTo,
    };
  });
  await preflight(runtime, plans, { runId, runDir, receiverPort: opts.receiverPort, probe: inputs.probe });

  // ---- Start: sweep leftovers of killed runs, then capture, then each scenario in turn. ----
  if (previousRun.length > 0) {
    // Never mix an old run's logs with this one's: --force empties the directory first.
    for (const entry of previousRun) await rm(join(runDir, entry), { recursive: true, force: true });
    log(`--force: removed the previous run in ${runDir} (${previousRun.join(', ')})`);
  }
  const run = await openRun({ runId, outDir: runDir, receiverPort: opts.receiverPort, log });
  const scenarios: ScenarioSummary[] = [];
  const signal = opts.signal ?? new AbortController().signal;
  try {
    log(`run ${runId}: suite ${suite.name}, ${plans.length} cluster(s), runtime ${runtime.name}, seed ${seed} → ${runDir}`);
    for (const plan of plans) {
      if (signal.aborted) break;
      const s = await runScenario(plan, { runId, workDir: run.workDir, outDir: runDir, history: run.history, capture: run.capture, signal, log });
      scenarios.push(s);
      log(`[${s.id}] ${s.outcome.toUpperCase()}${s.expectedFailure ? ' (' + s.expectedFailure + ')' : ''} — ${s.checks.map((c) => `${c.name} ${c.verdict}`).join(', ') || s.error?.message}`);
    }
  } finally {
    await run.close();
  }
  const summary = await writeRunSummary(run, { scenarios, seed, command: replayCommand(opts.argv, seed), interrupted: signal.aborted, log });
  return { summary, runDir };
}

/** A suite that drives Prometheus needs --source prometheus; Prometheus inputs need it too. */
export function assertSourceFits(suite: SuiteDefinition, opts: Pick<RunOptions, 'source' | 'prometheus'>): void {
  const source = opts.source ?? 'workload';
  if (suite.needs?.source === 'prometheus' && source !== 'prometheus') {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `suite ${suite.name} drives real Prometheus replicas, and this run's source is the built-in workload`, {
      hint: `Add --source prometheus (and --prometheus VERSION, default ${DEFAULT_PROMETHEUS_VERSION}).`,
    });
  }
  if (source !== 'prometheus') {
    const given = [opts.prometheus?.version && '--prometheus', opts.prometheus?.replicas !== undefined && '--prometheus-replicas', opts.prometheus?.rulesFile && '--rules', opts.prometheus?.configFile && '--prometheus-config'].filter(Boolean);
    if (given.length > 0) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `${given.join(', ')} ${given.length > 1 ? 'configure' : 'configures'} the Prometheus source, and this run's source is the built-in workload`, {
        hint: 'Add --source prometheus.',
      });
    }
  }
}

/**
 * The command that replays this run: the same arguments with --seed pinned, without --out and
 * --force — pasted, it writes a new run directory (reports/<run-id>) instead of being refused by,
 * or clearing, the run it replays.
 */
export function replayCommand(argv: string[], seed: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--seed' || a === '--out') {
      i++;
      continue;
    }
    if (a.startsWith('--seed=') || a.startsWith('--out=') || a === '--force') continue;
    out.push(a);
  }
  return ['npx', 'amchaos', ...out, '--seed', String(seed)];
}

/** Files a run directory has (amchaos run and the vitest reporter write them). */
const RUN_DIR_MARKERS = ['summary.json', 'history.jsonl'];

/**
 * --out must be a directory that does not exist, an empty one, or — with --force — an earlier run
 * directory (summary.json or history.jsonl in it), whose entries are returned to be removed before
 * this run writes. Anything else is refused before anything starts: a file, an existing run
 * without --force (its logs would mix with the new ones), a non-empty folder that is not a run.
 */
async function checkOutDir(runDir: string, given: string, force: boolean): Promise<string[]> {
  const st = await stat(runDir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (st === undefined) return [];
  if (!st.isDirectory()) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--out ${given}: ${runDir} exists and is not a directory`, {
      hint: 'Give --out the path of a directory to create (e.g. --out reports/r1), or leave --out out to write reports/<run-id>.',
    });
  }
  const entries = await readdir(runDir);
  if (entries.length === 0) return [];
  if (!entries.some((e) => RUN_DIR_MARKERS.includes(e))) {
    throw new AmchaosError('AMCHAOS_OUT_DIR_EXISTS', `--out ${given}: ${runDir} is a folder with other files in it (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}), not a run directory`, {
      hint: 'Give --out a new directory, e.g. --out reports/r2. amchaos clears only its own run directories (with --force).',
    });
  }
  if (!force) {
    throw new AmchaosError('AMCHAOS_OUT_DIR_EXISTS', `--out ${given}: ${runDir} holds an earlier run`, {
      hint: `Add --force to replace it (its files are removed first), or give another directory, e.g. --out ${given.replace(/\/+$/, '')}-2.`,
    });
  }
  return entries.sort();
}

function printSummary(summary: RunSummary, runDir: string, out: NodeJS.WritableStream): void {
  const lines = [`verdict: ${summary.outcome.toUpperCase()}${summary.interrupted ? ' (interrupted)' : ''}  (seed ${summary.seed})`];
  for (const s of summary.scenarios) {
    lines.push(`  ${s.outcome.padEnd(16)} ${s.id}${s.expectedFailure ? `  [${s.expectedFailure}]` : ''}`);
    for (const c of s.checks) lines.push(`           ${c.verdict.padEnd(7)} ${c.name}: ${c.summary}`);
    if (s.error) lines.push(`           error: ${s.error.message}`);
    if (s.claim) lines.push(`           claim ${s.claim.mode.id}: ${s.claim.result.toUpperCase()} — ${s.claim.summary} (a finding, not a verdict)`);
  }
  lines.push(`report: ${join(runDir, 'index.html')}${summary.interrupted ? ' (partial: interrupted)' : ''}`, `replay: ${summary.command.join(' ')}`);
  out.write(lines.join('\n') + '\n');
}
