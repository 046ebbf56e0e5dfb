import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { CaptureReceiver } from '../capture/capture.js';
import { runOutcome, verdictOf } from '../checkers/outcome.js';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import { History } from '../history/history.js';
import type { Timers } from '../history/types.js';
import { portInUse } from '../runtime/common/ports.js';
import type { Runtime } from '../runtime/types.js';
import { checkConfigWithAmtool, defaultConfig, userConfig, type ClusterConfig, type TimerSources } from '../topology/config.js';
import { formatGoDuration, timersFor } from '../topology/timers.js';
import { defaultCacheDir } from '../util/fs.js';
import { resolveVersion } from '../versions/index.js';
import type { ResolvedVersion } from '../versions/types.js';
import { versionProviders } from './runtime-registry.js';
import { nodeSpecs, resourceLabel, type ScenarioPlan } from './session.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';
import { sweepEverything } from './sweep.js';
import { createRunWorkDir, newRunId, removeRunWorkDir } from './workdir.js';

/**
 * What `amchaos run` and the library's startCluster both do before a cluster starts — every input
 * checked, so bad input fails with a clear error before anything starts — and around it: the run
 * directory, the work dir, the history and the capture, and the summary at the end.
 */

export interface ClusterInputs {
  /** Every distinct version asked for, resolved (Debian builds fetched into the cache). */
  versions: Map<string, ResolvedVersion>;
  /** The config as it will run for a capture at `captureBase` (routes from the user's file, the suite's, or generated) for a cluster of `nodes`. */
  configFor(captureBase: string, timers: Timers, nodes?: number): ClusterConfig;
  /** The timers of a cluster of n nodes: defaults and overrides, with a user config's route timers. */
  timersFor(n: number): Timers;
  /** The config with a placeholder capture address (what was validated). */
  probe: ClusterConfig;
}

/**
 * Resolves versions and the config and validates them: the config as it will run is checked with
 * every distinct amtool of the versions in play; route-timer flags beside a user config are refused.
 */
export async function prepareClusterInputs(o: {
  versions: Iterable<string>;
  configFile?: string | undefined;
  /** A suite's own config (SuiteDefinition.config): used like a user's --config, which it excludes. */
  suiteConfig?: { suite: string; text: (timers: Timers, nodes: number) => string } | undefined;
  timers: Partial<Timers>;
  fetch?: boolean;
  log: (line: string) => void;
}): Promise<ClusterInputs> {
  if (o.suiteConfig && o.configFile !== undefined) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--config ${o.configFile}: suite ${o.suiteConfig.suite} brings its own alertmanager.yml (the condition it reproduces is in its routes)`, {
      hint: `Leave --config out for ${o.suiteConfig.suite}, or run your config with a suite that takes one (exactly-once, silences, the fault suites).`,
    });
  }
  const versions = new Map<string, ResolvedVersion>();
  for (const v of new Set(o.versions)) versions.set(v, await resolveVersion(v, { cacheDir: defaultCacheDir(), fetch: o.fetch ?? true, log: o.log }, versionProviders()));
  const userText = o.configFile !== undefined ? await readInput(o.configFile, '--config') : undefined;
  const flagSources = timerFlagSources(o.timers);
  const suiteFile = o.suiteConfig ? `suite ${o.suiteConfig.suite}` : undefined;
  const configFor = (captureBase: string, timers: Timers, nodes = 3): ClusterConfig =>
    userText !== undefined
      ? userConfig(userText, o.configFile!, captureBase)
      : o.suiteConfig
        ? userConfig(o.suiteConfig.text(timers, nodes), suiteFile!, captureBase)
        : defaultConfig(captureBase, timers, flagSources);
  const probe = configFor('http://127.0.0.1:9', timersFor(3, o.timers));
  if (userText !== undefined) refuseRouteTimerFlags(o.timers, probe);
  const amtools = new Set([...versions.values()].map((v) => v.amtool).filter((a): a is string => a !== undefined));
  for (const amtool of amtools) await checkConfigWithAmtool(amtool, probe.yaml, o.configFile ?? suiteFile ?? 'the generated config');
  return {
    versions,
    configFor,
    // With --config the cluster runs the config's own route timers: record those, not our defaults.
    timersFor: (n) => {
      const t = timersFor(n, o.timers);
      if (userText !== undefined) return withRootRouteTimers(t, probe);
      if (o.suiteConfig) return withRootRouteTimers(t, configFor('http://127.0.0.1:9', t, n));
      return t;
    },
    probe,
  };
}

/** The runtime checks what it needs (root, tools, templates) for the real node specs, before anything starts. */
export async function preflight(runtime: Runtime, plans: readonly ScenarioPlan[], o: { runId: string; runDir: string; receiverPort?: number | undefined; probe: ClusterConfig }): Promise<void> {
  for (const p of plans) {
    await runtime.preflight({
      runId: o.runId,
      scenarioId: resourceLabel(p.id),
      workDir: join(o.runDir, '.preflight'),
      // The capture is not started yet; preflight only checks the address's shape.
      captureAddress: { host: '127.0.0.1', port: o.receiverPort ?? 9 },
      nodes: nodeSpecs(p, o.probe.yaml),
    });
  }
}

export async function assertReceiverPortFree(port: number | undefined): Promise<void> {
  if (port === undefined || !(await portInUse('127.0.0.1', port))) return;
  throw new AmchaosError('AMCHAOS_PORT_IN_USE', `--receiver-port ${port}: something already listens on 127.0.0.1:${port}`, {
    hint: 'Pick another port, or leave --receiver-port out to use any free one.',
  });
}

/** A run in progress: its id and directories, the shared history and the capture. */
export interface OpenRun {
  runId: string;
  runDir: string;
  workDir: string;
  history: History;
  capture: CaptureReceiver;
  startedAt: Date;
  /** Stops the capture, closes the history, removes the work dir. */
  close(): Promise<void>;
}

/** Sweeps what killed runs left, then creates the run dir, the work dir, the history and the capture. */
export async function openRun(o: { runId?: string; outDir?: string | undefined; receiverPort?: number | undefined; log: (line: string) => void }): Promise<OpenRun> {
  const runId = o.runId ?? newRunId();
  const runDir = resolve(o.outDir ?? join('reports', runId));
  for (const s of await sweepEverything()) o.log(`sweep: removed ${s}`);
  await mkdir(runDir, { recursive: true });
  const workDir = await createRunWorkDir(runId);
  const history = new History({ file: join(runDir, 'history.jsonl') });
  const capture = new CaptureReceiver({ history, ...(o.receiverPort ? { port: o.receiverPort } : {}) });
  const close = async (): Promise<void> => {
    await capture.stop().catch(() => undefined);
    await history.close();
    await removeRunWorkDir(workDir);
  };
  try {
    await capture.start();
  } catch (e) {
    await close();
    throw e;
  }
  return { runId, runDir, workDir, history, capture, startedAt: new Date(), close };
}

/** Writes summary.json (the outcome decided by src/checkers/outcome.ts) and renders the report. */
export async function writeRunSummary(
  run: Pick<OpenRun, 'runId' | 'runDir' | 'startedAt'>,
  o: { scenarios: ScenarioSummary[]; seed: number; command: string[]; interrupted: boolean; log: (line: string) => void },
): Promise<RunSummary> {
  const finishedAt = new Date();
  const outcome = runOutcome(o.scenarios, { interrupted: o.interrupted });
  const summary: RunSummary = {
    schema: 2,
    runId: run.runId,
    outcome,
    verdict: verdictOf(outcome),
    ...(o.interrupted ? { interrupted: true } : {}),
    command: o.command,
    seed: o.seed,
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - run.startedAt.getTime(),
    machine: { hostname: hostname(), platform: process.platform, arch: process.arch, cpus: cpus().length, memoryBytes: totalmem(), node: process.version, kernel: release() },
    scenarios: o.scenarios,
    files: { history: 'history.jsonl', logsDir: 'logs', junit: 'junit.xml', html: 'index.html' },
  };
  await writeFile(join(run.runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  try {
    const { renderRunReport, renderParentIndex } = await import('../report/index.js');
    await renderRunReport(run.runDir);
    const index = await renderParentIndex(run.runDir);
    if (!index) o.log(`report: ${join(resolve(run.runDir, '..'), 'index.html')} is not an amchaos reports index; left it as it is`);
  } catch (e) {
    o.log(`report: could not render (${isAmchaosError(e) ? e.message : (e as Error).stack}); summary.json and history.jsonl are complete`);
  }
  return summary;
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

async function readInput(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `${flag} ${file}: ${(e as Error).message}`, { hint: `Give the path of a readable file to ${flag}.` });
  }
}
