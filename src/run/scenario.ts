import { copyFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runChecks } from '../checkers/index.js';
import { applyKnownBehaviours } from '../checkers/expectations.js';
import { observationHorizon } from '../checkers/horizons.js';
import { scenarioOutcome, verdictOf } from '../checkers/outcome.js';
import type { CheckResult } from '../checkers/types.js';
import type { CaptureReceiver } from '../capture/capture.js';
import { AlertmanagerClient } from '../client/client.js';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import type { HistoryEvent, LabelSet, NodeDescriptor, Timers } from '../history/types.js';
import type { NodeSpec, Runtime, RuntimeCluster } from '../runtime/types.js';
import type { ClusterConfig } from '../topology/config.js';
import type { ResolvedVersion } from '../versions/types.js';
import { ClusterSampler } from '../workload/sampler.js';
import { Nemesis } from '../nemesis/nemesis.js';
import type { CheckSummary, ScenarioSummary } from './summary.js';
import { FLUSH_MARGIN_MS, type ScenarioContext, type ScenarioNode, type SuiteDefinition } from './suite.js';
import { waitClusterReady } from './ready.js';

export interface ScenarioPlan {
  /** "<suite>/<cluster label>" */
  id: string;
  suite: SuiteDefinition;
  versions: ResolvedVersion[];
  runtime: Runtime;
  clustered: boolean;
  seed: number;
  timers: Timers;
  /** Builds the config once the runtime says where nodes reach the capture. */
  config: (captureBase: string) => ClusterConfig;
  alerts: LabelSet[];
  logLevel: 'debug' | 'info';
}

export interface ScenarioEnv {
  runId: string;
  /** The run's work dir (configs, storage), removed after the run. */
  workDir: string;
  /** The run's output dir (logs are copied here). */
  outDir: string;
  history: History;
  capture: CaptureReceiver;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** How often every node's status and silences are sampled into the history. */
const SAMPLE_EVERY_MS = 200;

/**
 * Runs one scenario: start the cluster, wait until it is ready, let the suite drive it, quiesce,
 * check the history, and tear everything down — always, also after a failure or Ctrl-C.
 */
/**
 * The node specs of a scenario: ids n1..nN in start order, zero-padded peer names so that name order
 * is start order (= cluster position), as ULIDs give on versions without --cluster.peer-name.
 */
export function nodeSpecs(plan: ScenarioPlan, configYaml: string): NodeSpec[] {
  return plan.versions.map((version, index) => ({
    id: `n${index + 1}`,
    index,
    version,
    config: configYaml,
    clustered: plan.clustered,
    peerName: `n${String(index + 1).padStart(2, '0')}`,
    timers: plan.timers,
    logLevel: plan.logLevel,
    extraArgs: [],
  }));
}

/** A scenario id as runtimes can use it in resource names (namespaces, rules, files). */
/** The longest the quiesce phase waits for horizons (a fault never removed makes some infinite). */
export const QUIESCE_MAX_MS = 60_000;

/**
 * Waits until the observation horizon of the history (src/checkers/horizons.ts) has passed,
 * re-checking after each wait (a late copy can bring a later horizon), at most QUIESCE_MAX_MS in
 * all. Returns how long it waited.
 */
export async function quiesce(events: () => readonly HistoryEvent[], now: () => number, wait: (ms: number) => Promise<unknown>): Promise<number> {
  const start = now();
  for (let round = 0; round < 5; round++) {
    const until = observationHorizon(events(), { deliveryMarginMs: FLUSH_MARGIN_MS });
    const left = Math.min((until ?? -Infinity) + 50 - now(), start + QUIESCE_MAX_MS - now());
    if (!(left > 0)) break;
    await wait(left);
  }
  return now() - start;
}

export function resourceLabel(id: string): string {
  return id.replace(/[^A-Za-z0-9._:@-]+/g, '_').slice(0, 100);
}

export async function runScenario(plan: ScenarioPlan, env: ScenarioEnv): Promise<ScenarioSummary> {
  const { history, capture, signal } = env;
  const startedAt = new Date();
  const t0 = performance.now();
  const firstSeq = history.all().length;
  const workDir = join(env.workDir, resourceLabel(plan.id));
  // netns nodes reach the capture through their own receiver proxies at a fixed address.
  const captureBase = plan.runtime.receiverBaseURL?.(capture.address) ?? capture.address.url;
  const config = plan.config(captureBase);
  const log = (m: string) => env.log(`[${plan.id}] ${m}`);

  let cluster: RuntimeCluster | undefined;
  let sampler: ClusterSampler | undefined;
  let nemesis: Nemesis | undefined;
  const clients: AlertmanagerClient[] = [];
  const figures: Record<string, unknown> = {};
  let error: ScenarioSummary['error'];
  let nodes: NodeDescriptor[] = [];
  const logs: Record<string, string> = {};

  try {
    history.append({ type: 'phase', phase: 'start' });
    cluster = await plan.runtime.createCluster({
      runId: env.runId,
      scenarioId: resourceLabel(plan.id),
      workDir,
      captureAddress: { host: capture.address.host, port: capture.address.port },
      nodes: nodeSpecs(plan, config.yaml),
    });
    nodes = cluster.nodes.map((n) => ({
      id: n.id,
      version: n.spec.version.requested,
      ...(n.spec.version.reportedVersion ? { reportedVersion: n.spec.version.reportedVersion } : {}),
      impl: n.spec.version.impl,
      externalURL: n.externalURL,
      apiURL: n.apiURL,
      ...(n.spec.version.features.peerName && plan.clustered ? { peerName: n.spec.peerName } : {}),
      source: n.spec.version.source,
    }));
    history.append({
      type: 'scenario.start',
      scenario: plan.id,
      suite: plan.suite.name,
      seed: plan.seed,
      runtime: plan.runtime.name,
      nodes,
      timers: plan.timers,
      sendResolved: config.sendResolved,
      repeatIntervalMs: config.repeatIntervalMs,
      routes: config.routes,
    });
    capture.setSenders(Object.fromEntries(cluster.nodes.map((n) => [n.externalURL, n.id])));
    for (const n of cluster.nodes) {
      n.onExit((exit) => history.append({ type: 'node', node: n.id, state: 'exited', exit }));
    }

    const tStart = performance.now();
    await cluster.startAll();
    for (const n of cluster.nodes) history.append({ type: 'node', node: n.id, state: 'started', ...(n.pid ? { pid: n.pid } : {}) });
    const scenarioNodes: ScenarioNode[] = cluster.nodes.map((n, i) => {
      const client = new AlertmanagerClient({ node: n.id, url: n.apiURL, timeoutMs: 5_000 });
      clients.push(client);
      return { id: n.id, descriptor: nodes[i]!, runtime: n, client };
    });
    sampler = new ClusterSampler({ history, clients, intervalMs: SAMPLE_EVERY_MS });
    sampler.start();
    const readyMs = await waitClusterReady(scenarioNodes, {
      clustered: plan.clustered,
      timeoutMs: plan.timers.settleTimeoutMs + 30_000,
      signal,
    });
    for (const n of cluster.nodes) history.append({ type: 'node', node: n.id, state: 'ready' });
    figures['startToReadyMs'] = Math.round(performance.now() - tStart);
    figures['readyWaitMs'] = Math.round(readyMs);
    log(`${cluster.nodes.length} nodes ${plan.clustered ? 'clustered and ready' : 'up (unclustered)'} in ${figures['startToReadyMs']} ms`);

    history.append({ type: 'phase', phase: 'drive' });
    nemesis = new Nemesis({ cluster, history, receiver: capture });
    const ctx: ScenarioContext = {
      id: plan.id,
      suite: plan.suite.name,
      seed: plan.seed,
      clustered: plan.clustered,
      timers: plan.timers,
      config,
      history,
      nodes: scenarioNodes,
      cluster,
      capture,
      notifications: () => capture.notifications().filter((n) => n.seq > firstSeq),
      nemesis,
      alerts: plan.alerts,
      signal,
      sleep: (ms) => sleep(ms, undefined, { signal }),
      waitUntil: async (predicate, timeoutMs, everyMs = 50) => {
        const deadline = performance.now() + timeoutMs;
        for (;;) {
          if (await predicate()) return true;
          if (performance.now() >= deadline) return false;
          await sleep(everyMs, undefined, { signal });
        }
      },
      log,
      figures,
    };
    await plan.suite.drive(ctx);
    history.append({ type: 'phase', phase: 'quiesce' });
    // Heal, then keep watching until every transition's horizon has passed: the checks can then
    // decide, instead of saying unknown for a copy the last position could still have sent.
    await nemesis.heal();
    const waited = await quiesce(() => history.all().slice(firstSeq), () => history.clock.now(), (ms) => sleep(ms, undefined, { signal }));
    if (waited > 0) figures['quiesceMs'] = Math.round(waited);
  } catch (e) {
    if (signal.aborted) {
      error = { code: 'AMCHAOS_INTERRUPTED', message: 'interrupted' };
    } else if (isAmchaosError(e)) {
      error = { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
      const tail = e.details['logTail'];
      if (Array.isArray(tail)) for (const l of tail) history.append({ type: 'note', level: 'error', message: String(l) });
    } else {
      error = { code: 'AMCHAOS_INTERNAL', message: (e as Error).stack ?? String(e) };
    }
    history.append({ type: 'note', level: 'error', message: `scenario aborted: ${error.code}: ${error.message}` });
    log(`error: ${error.message}`);
  } finally {
    // Heal before teardown, so the last fault's removal is recorded (and verified) in the history.
    if (nemesis) await nemesis.heal().catch((e: unknown) => log(`heal: ${(e as Error).message}`));
    capture.clearFaults();
    if (!capture.isUp) await capture.up().catch(() => undefined);
    history.append({ type: 'phase', phase: 'teardown' });
    await sampler?.stop();
    // Per-link traffic, where the runtime has a fabric (every byte of cluster traffic crosses it).
    if (cluster?.fabric) figures['linkTraffic'] = cluster.fabric.traffic();
    await cluster?.destroy().catch((e: unknown) => log(`teardown: ${(e as Error).message}`));
    for (const c of clients) await c.close().catch(() => undefined);
    if (cluster) {
      const logDir = join(env.outDir, 'logs', plan.id.replace(/[^A-Za-z0-9._-]+/g, '_'));
      await mkdir(logDir, { recursive: true });
      for (const n of cluster.nodes) {
        const dest = join(logDir, `${n.id}.log`);
        await copyFile(n.logFile, dest).catch(() => undefined);
        logs[n.id] = relative(env.outDir, dest);
      }
    }
  }

  history.append({ type: 'phase', phase: 'check' });
  const events = history.all().slice(firstSeq);
  const checks = error ? [] : judge(plan.suite, events);
  const lastSeq = history.all().length - 1;
  const outcome = scenarioOutcome(checks, error);
  const expected = outcome === 'expected-failure' ? [...new Set(checks.filter((c) => c.expectedFailure).map((c) => c.expectedFailure!))] : [];
  figures['notifications'] = events.filter((e) => e.type === 'notification').length;
  return {
    id: plan.id,
    suite: plan.suite.name,
    versions: plan.versions.map((v) => v.requested),
    runtime: plan.runtime.name,
    clustered: plan.clustered,
    seed: plan.seed,
    outcome,
    verdict: verdictOf(outcome),
    ...(expected.length > 0 ? { expectedFailure: expected.join('; ') } : {}),
    nodes,
    timers: plan.timers,
    checks: checks.map(summariseCheck),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    historyRange: [firstSeq, lastSeq],
    logs,
    figures,
    ...(error ? { error } : {}),
  };
}

/**
 * The suite's checkers over this scenario's history, then the known behaviours: the suite's own
 * (faults it injected, decided from the evidence) and those of any config (timer overlap, version
 * mix — these explain a failure but never make it expected).
 */
export function judge(suite: Pick<SuiteDefinition, 'checks' | 'checkOptions' | 'knownBehaviours'>, events: readonly HistoryEvent[]): CheckResult[] {
  const results = runChecks(events, suite.checks, { 'no-loss': { deliveryMarginMs: FLUSH_MARGIN_MS }, ...suite.checkOptions });
  return applyKnownBehaviours(events, results, suite.knownBehaviours ?? []);
}

// The report highlights every piece of evidence on the timeline, so summary.json keeps nearly all of it.
const EVIDENCE_IN_SUMMARY = 1_000;

function summariseCheck(c: CheckResult): CheckSummary {
  return { ...c, evidenceCount: c.evidence.length, evidence: c.evidence.slice(0, EVIDENCE_IN_SUMMARY) };
}

export function assertRuntimeFits(suite: SuiteDefinition, runtime: Runtime): void {
  if (suite.needs?.linkFaults && !runtime.capabilities.linkFaults) {
    throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `suite ${suite.name} injects link faults, which the ${runtime.name} runtime cannot do`, {
      hint: 'Run it with --runtime netns (needs root).',
    });
  }
}
