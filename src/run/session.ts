import { evaluateClaim } from '../claims/evaluate.js';
import type { ClaimSummary } from '../claims/types.js';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runChecks } from '../checkers/index.js';
import { applyKnownBehaviours } from '../checkers/expectations.js';
import { observationHorizon } from '../checkers/horizons.js';
import { scenarioOutcome, verdictOf } from '../checkers/outcome.js';
import type { CheckResult } from '../checkers/types.js';
import type { CheckSummary, ScenarioSummary } from '../summary/summary.js';
import type { CaptureReceiver } from '../capture/capture.js';
import { AlertmanagerClient } from '../client/client.js';
import type { History } from '../history/history.js';
import { withIdentityKeys, type HistoryEvent, type LabelSet, type NodeDescriptor, type Timers } from '../history/types.js';
import { Nemesis } from '../nemesis/nemesis.js';
import type { NodeSpec, Runtime, RuntimeCluster } from '../runtime/types.js';
import type { ClusterConfig } from '../topology/config.js';
import type { ResolvedVersion } from '../versions/types.js';
import { AlertSource } from '../workload/alert-source.js';
import { ClusterSampler } from '../workload/sampler.js';
import { PrometheusSource } from '../prometheus/source.js';
import { sourceFaults } from '../prometheus/faults.js';
import type { PrometheusPlan } from '../prometheus/prepare.js';
import { waitClusterReady } from './ready.js';
import { FLUSH_MARGIN_MS, type ScenarioContext, type ScenarioNode, type SuiteDefinition } from './suite.js';

/**
 * What one scenario runs: its cluster (versions, runtime, timers, config) and the suite that drives
 * it. Built by `amchaos run` for each cluster of --versions, and by startCluster for a library user.
 */
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
  /** Real Prometheus as the alert source (--source prometheus); absent = the built-in workload. */
  prometheus?: PrometheusPlan;
  /** `--upgrade-to`: the version an upgrade fault restarts nodes with (resolved before the run). */
  upgradeTo?: ResolvedVersion | undefined;
}

/** What a scenario shares with the rest of its run. */
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

/** The longest the quiesce phase waits for horizons (a fault never removed makes some infinite). */
export const QUIESCE_MAX_MS = 60_000;

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
    extraArgs: plan.suite.nodeFlags?.({ index, version, timers: plan.timers }) ?? [],
  }));
}

/** A scenario id as runtimes can use it in resource names (namespaces, rules, files). */
export function resourceLabel(id: string): string {
  return id.replace(/[^A-Za-z0-9._:@-]+/g, '_').slice(0, 100);
}

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

// The report highlights every piece of evidence on the timeline, so summary.json keeps nearly all of it.
const EVIDENCE_IN_SUMMARY = 1_000;

export function summariseCheck(c: CheckResult): CheckSummary {
  return { ...c, evidenceCount: c.evidence.length, evidence: c.evidence.slice(0, EVIDENCE_IN_SUMMARY) };
}

/** A claim as summary.json keeps it: its evidence capped (the history holds the rest). */
export function summariseClaim(c: ClaimSummary): ClaimSummary {
  const cap = (d: ClaimSummary['fault']) => ({ ...d, evidence: d.evidence.slice(0, 100) });
  return { ...c, fault: cap(c.fault), control: cap(c.control) };
}

/**
 * The suite's checkers over a scenario's history, then the known behaviours: the suite's own
 * (faults it injected, decided from the evidence) and those of any config (timer overlap, version
 * mix — these explain a failure but never make it expected).
 */
export function judge(suite: Pick<SuiteDefinition, 'checks' | 'checkOptions' | 'knownBehaviours'>, events: readonly HistoryEvent[]): CheckResult[] {
  const results = runChecks(events, suite.checks, { 'no-loss': { deliveryMarginMs: FLUSH_MARGIN_MS }, ...suite.checkOptions });
  return applyKnownBehaviours(events, results, suite.knownBehaviours ?? []);
}

/**
 * One scenario's cluster from start to teardown: `start()` creates and starts the nodes, waits
 * until they are ready, starts the sampler and the nemesis and builds the ScenarioContext a suite
 * (or a library user) drives; `settle()` heals every fault and waits until every horizon passed;
 * `stop()` tears everything down — whatever `start()` got to, so it is safe after a failed start,
 * and idempotent. Every event goes to the shared history; `events()` is this scenario's slice.
 */
export class ScenarioSession {
  readonly firstSeq: number;
  readonly startedAt = new Date();
  private readonly t0 = performance.now();
  readonly workDir: string;
  readonly figures: Record<string, unknown> = {};
  /** Node descriptors, once the cluster exists. */
  nodes: NodeDescriptor[] = [];
  /** Per node, its log file (relative to the run dir), once stopped. */
  readonly logs: Record<string, string> = {};
  config: ClusterConfig | undefined;
  private cluster: RuntimeCluster | undefined;
  private sampler: ClusterSampler | undefined;
  private nemesisInstance: Nemesis | undefined;
  private readonly clients: AlertmanagerClient[] = [];
  /** The Prometheus source, when the plan has one. */
  prometheus: PrometheusSource | undefined;
  private ctxInstance: ScenarioContext | undefined;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly plan: ScenarioPlan,
    readonly env: ScenarioEnv,
  ) {
    this.firstSeq = env.history.all().length;
    this.workDir = join(env.workDir, resourceLabel(plan.id));
  }

  /** The context a suite drives; throws before start() finished. */
  get context(): ScenarioContext {
    if (!this.ctxInstance) throw new Error(`scenario ${this.plan.id} is not started`);
    return this.ctxInstance;
  }

  get nemesis(): Nemesis {
    if (!this.nemesisInstance) throw new Error(`scenario ${this.plan.id} is not started`);
    return this.nemesisInstance;
  }

  /** This scenario's events so far. */
  events(): HistoryEvent[] {
    return this.env.history.all().slice(this.firstSeq);
  }

  log(message: string): void {
    this.env.log(`[${this.plan.id}] ${message}`);
  }

  async start(): Promise<void> {
    const { plan, env } = this;
    const { history, capture, signal } = env;
    // netns and docker nodes reach the capture through their own receiver proxies at a fixed address.
    const captureBase = plan.runtime.receiverBaseURL?.(capture.address) ?? capture.address.url;
    const config = (this.config = plan.config(captureBase));
    history.append({ type: 'phase', phase: 'start' });
    const cluster = (this.cluster = await plan.runtime.createCluster({
      runId: env.runId,
      scenarioId: resourceLabel(plan.id),
      workDir: this.workDir,
      captureAddress: { host: capture.address.host, port: capture.address.port },
      nodes: nodeSpecs(plan, config.yaml),
    }));
    this.nodes = cluster.nodes.map((n) => ({
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
      nodes: this.nodes,
      timers: plan.timers,
      sendResolved: config.sendResolved,
      repeatIntervalMs: config.repeatIntervalMs,
      routes: config.routes,
    });
    capture.setSenders(Object.fromEntries(cluster.nodes.map((n) => [n.externalURL, n.id])));
    for (const n of cluster.nodes) n.onExit((exit) => history.append({ type: 'node', node: n.id, state: 'exited', exit }));

    const tStart = performance.now();
    await cluster.startAll();
    for (const n of cluster.nodes) history.append({ type: 'node', node: n.id, state: 'started', ...(n.pid ? { pid: n.pid } : {}) });
    const scenarioNodes: ScenarioNode[] = cluster.nodes.map((n, i) => {
      const client = new AlertmanagerClient({ node: n.id, url: n.apiURL, timeoutMs: 5_000 });
      this.clients.push(client);
      return { id: n.id, descriptor: this.nodes[i]!, runtime: n, client };
    });
    this.sampler = new ClusterSampler({ history, clients: this.clients, intervalMs: SAMPLE_EVERY_MS });
    this.sampler.start();
    const readyMs = await waitClusterReady(scenarioNodes, { clustered: plan.clustered, timeoutMs: plan.timers.settleTimeoutMs + 30_000, signal });
    for (const n of cluster.nodes) history.append({ type: 'node', node: n.id, state: 'ready' });
    this.figures['startToReadyMs'] = Math.round(performance.now() - tStart);
    this.figures['readyWaitMs'] = Math.round(readyMs);
    this.log(`${cluster.nodes.length} nodes ${plan.clustered ? 'clustered and ready' : 'up (unclustered)'} in ${this.figures['startToReadyMs']} ms`);

    const upgradeTo = plan.upgradeTo;
    this.nemesisInstance = new Nemesis({
      cluster,
      history,
      receiver: capture,
      // An upgrade fault names its version; only the one resolved (and amtool-checked) before the run is known.
      versions: (requested) => (upgradeTo && upgradeTo.requested === requested ? upgradeTo : plan.versions.find((v) => v.requested === requested)),
    });
    if (plan.prometheus) {
      const p = plan.prometheus;
      const fabric = cluster.fabric;
      const apiURL = new Map(cluster.nodes.map((n) => [n.id, n.apiURL]));
      const source = (this.prometheus = new PrometheusSource({
        history,
        version: p.version,
        replicas: p.replicas,
        nodes: cluster.nodes.map((n) => n.id),
        // On a runtime with a fabric, each replica reaches each node through its own link (p1->n1), so it can be cut alone.
        upstreamFor: async (replica, node) => (fabric?.addSenderLink ? `http://${(await fabric.addSenderLink(replica, node)).listen}` : apiURL.get(node)!),
        workDir: join(this.workDir, 'prometheus'),
        alerts: plan.alerts.map((labels) => ({ labels })),
        rules: p.rules,
        config: p.config,
        timers: p.timers,
        log: (m) => this.log(m),
        signal,
      }));
      const t0 = performance.now();
      await source.start();
      this.figures['sourceReadyMs'] = Math.round(performance.now() - t0);
      this.nemesisInstance.use(sourceFaults(source, history, fabric));
    }
    history.append({ type: 'phase', phase: 'drive' });
    const firstSeq = this.firstSeq;
    const prometheus = this.prometheus;
    // With Prometheus as the source, the steps see alerts by identity (without the replicas' own labels), as the checkers do.
    const replicaLabels = prometheus ? { [prometheus.replicaLabel]: prometheus.replicaIds } : undefined;
    this.ctxInstance = {
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
      notifications: () => capture.notifications().filter((n) => n.seq > firstSeq).map((n) => withIdentityKeys(n, replicaLabels)),
      nemesis: this.nemesisInstance,
      alerts: plan.alerts,
      newSource: () => {
        if (prometheus) return prometheus.handle();
        const source = new AlertSource({ history, clients: this.clients, resendIntervalMs: plan.timers.resendIntervalMs });
        source.start();
        return source;
      },
      ...(prometheus ? { prometheus } : {}),
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
      log: (m) => this.log(m),
      figures: this.figures,
      upgradeTo,
    };
  }

  /**
   * Heals every fault, then keeps watching until every transition's horizon has passed, so that
   * the checks can decide instead of saying unknown for a copy the last position could still send.
   */
  async settle(): Promise<void> {
    await this.nemesisInstance?.heal();
    const waited = await quiesce(() => this.events(), () => this.env.history.clock.now(), (ms) => sleep(ms, undefined, { signal: this.env.signal }));
    if (waited > 0) this.figures['quiesceMs'] = Math.round(((this.figures['quiesceMs'] as number | undefined) ?? 0) + waited);
  }

  /** The suite's checks (or the given ones) over this scenario's history so far. */
  judge(suite: Pick<SuiteDefinition, 'checks' | 'checkOptions' | 'knownBehaviours'> = this.plan.suite): CheckResult[] {
    return judge(suite, this.events());
  }

  /**
   * The scenario as summary.json holds it, once stopped: its checks (judged by the caller), the
   * outcome the one rule gives them, and what the session recorded (nodes, logs, figures, range).
   */
  summary(checks: readonly CheckResult[], error?: ScenarioSummary['error']): ScenarioSummary {
    const plan = this.plan;
    const outcome = scenarioOutcome(checks, error);
    const expected = outcome === 'expected-failure' ? [...new Set(checks.filter((c) => c.expectedFailure).map((c) => c.expectedFailure!))] : [];
    const events = this.events();
    this.figures['notifications'] = events.filter((e) => e.type === 'notification').length;
    // The suite's upstream claim, beside the checks: a finding that never enters the outcome.
    const claim = plan.suite.claim ? evaluateClaim(plan.suite.claim, events, checks, error) : undefined;
    if (claim) this.log(`claim ${claim.mode.id}: ${claim.result.toUpperCase()} — ${claim.summary}`);
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
      nodes: this.nodes,
      timers: plan.timers,
      checks: checks.map(summariseCheck),
      startedAt: this.startedAt.toISOString(),
      durationMs: Math.round(performance.now() - this.t0),
      historyRange: [this.firstSeq, this.env.history.all().length - 1],
      logs: this.logs,
      figures: this.figures,
      ...(error ? { error } : {}),
      ...(claim ? { claim: summariseClaim(claim) } : {}),
    };
  }

  /** Tears down whatever start() got to: faults, sampler, nodes, clients; copies the node logs. */
  stop(): Promise<void> {
    this.stopped ??= this.teardown();
    return this.stopped;
  }

  private async teardown(): Promise<void> {
    const { history, capture } = this.env;
    // Heal before teardown, so the last fault's removal is recorded (and verified) in the history.
    if (this.nemesisInstance) await this.nemesisInstance.heal().catch((e: unknown) => this.log(`heal: ${(e as Error).message}`));
    capture.clearFaults();
    if (!capture.isUp) await capture.up().catch(() => undefined);
    history.append({ type: 'phase', phase: 'teardown' });
    await this.sampler?.stop();
    if (this.prometheus) {
      this.figures['sourcePosts'] = this.prometheus.tapCounts();
      await this.prometheus.shutdown().catch((e: unknown) => this.log(`Prometheus teardown: ${(e as Error).message}`));
    }
    // Per-link traffic, where the runtime has a fabric (every byte of cluster traffic crosses it).
    if (this.cluster?.fabric) this.figures['linkTraffic'] = this.cluster.fabric.traffic();
    await this.cluster?.destroy().catch((e: unknown) => this.log(`teardown: ${(e as Error).message}`));
    for (const c of this.clients) await c.close().catch(() => undefined);
    if (this.cluster) {
      const logDir = join(this.env.outDir, 'logs', this.plan.id.replace(/[^A-Za-z0-9._-]+/g, '_'));
      await mkdir(logDir, { recursive: true });
      for (const n of this.cluster.nodes) {
        const dest = join(logDir, `${n.id}.log`);
        await copyFile(n.logFile, dest).catch(() => undefined);
        this.logs[n.id] = relative(this.env.outDir, dest);
      }
      if (this.prometheus) for (const [id, file] of Object.entries(await this.prometheus.copyLogs(logDir))) this.logs[id] = relative(this.env.outDir, file);
    }
  }
}
