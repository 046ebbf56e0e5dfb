import type { CheckerName, CheckOptions } from '../checkers/index.js';
import type { CheckResult } from '../checkers/types.js';
import type { AlertmanagerClient } from '../client/client.js';
import type { Matcher } from '../client/types.js';
import { AmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import { labelKey, type LabelSet, type NodeId, type NotificationEvent, type Timers } from '../history/types.js';
import { awaitDeliveries, windows } from '../steps/deliveries.js';
import type { ActiveFault } from '../nemesis/nemesis.js';
import type { FaultSpec, LinkSelection } from '../nemesis/types.js';
import type { Transport } from '../fabric/types.js';
import type { RuntimeName } from '../runtime/types.js';
import { assertReceiverPortFree, openRun, prepareClusterInputs, preflight, writeRunSummary, type OpenRun } from '../run/prepare.js';
import { getRuntime } from '../run/runtime-registry.js';
import { scenarioError } from '../run/scenario.js';
import { seedFor } from '../run/seed.js';
import { ScenarioSession, type ScenarioPlan } from '../run/session.js';
import type { SuiteDefinition } from '../run/suite.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';
import { newRunId } from '../run/workdir.js';
import { AlertSource } from '../workload/alert-source.js';
import { SilenceOps } from '../workload/silences.js';
import type { AlertSpec } from '../workload/types.js';

/**
 * amchaos as a library: start a real cluster from your own test, drive it, inject faults and ask
 * the same checkers the built-in suites use — the way testcontainers users start a container.
 *
 *     await using cluster = await startCluster({ versions: ['0.33.1', '0.33.1', 'tsam'] });
 *     await cluster.fire([{ alertname: 'DiskFull', group: 'db' }]);
 *     await cluster.faults.partition([['n1'], ['n2', 'n3']]);
 *     expect(await cluster.check('at-most-k')).toHaveVerdict('pass');   // amchaos/vitest
 *
 * A cluster is one scenario of one run: it has a run directory (summary.json, history.jsonl, the
 * HTML report, node logs) written by stop(). Everything it starts is torn down by stop() (or
 * `await using`), and by the harness's reaper if the process dies.
 */

export interface StartClusterOptions {
  /** One entry per node: "0.33.1", "0.25.0", "tsam", "tsam:no-dedup", a path to a binary, "upstream:X.Y.Z", "image:REF" (docker). */
  versions: string[];
  /** Your alertmanager.yml: routing, grouping, timers and inhibitions kept, receivers replaced by the capture. */
  config?: string;
  /** Where nodes live (default "process"; link faults need "netns" (root) or "docker" (a Docker engine, no root)). */
  runtime?: RuntimeName;
  /** Timer overrides (peer timeout, group_wait, ...); the rest default for the cluster size. */
  timers?: Partial<Timers>;
  /** false: start the nodes without peering them (the control that must fail). Default true. */
  clustered?: boolean;
  /** Names the scenario and the default run directory. Default "cluster". */
  name?: string;
  /** Run directory (default reports/<name>-<run id>). */
  outDir?: string;
  seed?: number;
  logLevel?: 'debug' | 'info';
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Port of the capturing receiver on 127.0.0.1 (default: any free port). */
  receiverPort?: number;
}

/** One node of a running cluster. */
export interface ClusterNode {
  id: NodeId;
  version: string;
  /** Base URL of its API (API v2 under /api/v2). */
  apiURL: string;
  /** A typed API v2 client for it; its operations are recorded in the history. */
  client: AlertmanagerClient;
}

/** Faults on a running cluster; each resolves once it is verified as applied (or removed). */
export interface ClusterFaults {
  apply(spec: FaultSpec): Promise<ActiveFault>;
  remove(fault: ActiveFault): Promise<void>;
  /** Removes every active fault. */
  heal(): Promise<void>;
  /** Two nodes talk iff some group holds both (link faults: netns or docker runtime). */
  partition(groups: NodeId[][], opts?: { transport?: Transport }): Promise<ActiveFault>;
  isolate(node: NodeId, opts?: { transport?: Transport }): Promise<ActiveFault>;
  latency(links: LinkSelection, latencyMs: number, jitterMs?: number): Promise<ActiveFault>;
  cut(links: LinkSelection, transport: Transport): Promise<ActiveFault>;
  kill(node: NodeId): Promise<ActiveFault>;
  pause(node: NodeId): Promise<ActiveFault>;
  restart(node: NodeId, opts?: { signal?: 'SIGTERM' | 'SIGKILL'; wipe?: boolean }): Promise<ActiveFault>;
  /** The receiver answers this HTTP status until removed. */
  receiverFails(status: number): Promise<ActiveFault>;
  receiverDown(): Promise<ActiveFault>;
}

export class Cluster implements AsyncDisposable {
  readonly nodes: readonly ClusterNode[];
  readonly faults: ClusterFaults;
  private source: AlertSource | undefined;
  private silenceOps: SilenceOps | undefined;
  private readonly checked = new Set<CheckerName>();
  private stopping: Promise<RunSummary> | undefined;

  /** Use startCluster(). */
  constructor(
    private readonly session: ScenarioSession,
    private readonly run: OpenRun,
    private readonly opts: { seed: number; log: (l: string) => void; command: string[] },
  ) {
    const ctx = session.context;
    this.nodes = ctx.nodes.map((n) => ({ id: n.id, version: n.descriptor.version, apiURL: n.descriptor.apiURL, client: n.client }));
    const nemesis = session.nemesis;
    const apply = (spec: FaultSpec) => nemesis.apply(spec);
    this.faults = {
      apply,
      remove: (f) => nemesis.remove(f),
      heal: () => nemesis.heal(),
      partition: (groups, o = {}) => apply({ kind: 'partition', mode: 'groups', groups, ...(o.transport ? { transport: o.transport } : {}) }),
      isolate: (node, o = {}) => apply({ kind: 'partition', mode: 'isolate', node, ...(o.transport ? { transport: o.transport } : {}) }),
      latency: (links, latencyMs, jitterMs) => apply({ kind: 'latency', links, latencyMs, ...(jitterMs !== undefined ? { jitterMs } : {}) }),
      cut: (links, transport) => apply({ kind: 'link-cut', links, transport }),
      kill: (node) => apply({ kind: 'kill', node }),
      pause: (node) => apply({ kind: 'pause', node }),
      restart: (node, o = {}) => apply({ kind: 'restart', node, ...o }),
      receiverFails: (status) => apply({ kind: 'receiver', mode: 'status', status }),
      receiverDown: () => apply({ kind: 'receiver', mode: 'down' }),
    };
  }

  /** The scenario id ("<name>/<versions>"). */
  get id(): string {
    return this.session.plan.id;
  }

  /** The run directory stop() writes the report into. */
  get runDir(): string {
    return this.run.runDir;
  }

  /** Every event so far (this cluster's history). */
  get history(): History {
    return this.session.env.history;
  }

  /** The notifications the capturing receiver got from this cluster so far. */
  notifications(): readonly NotificationEvent[] {
    return this.session.context.notifications();
  }

  /**
   * Fires alerts at every node (or `targets`), as Prometheus does: sent at once, then re-sent every
   * resend interval until resolved. Alerts already firing are left as they are.
   */
  async fire(alerts: readonly (LabelSet | AlertSpec)[], opts: { targets?: NodeId[] } = {}): Promise<void> {
    const specs = alerts.map((a) => (isSpec(a) ? a : { labels: a }));
    await this.alertSource().fire(specs, opts);
  }

  /**
   * Waits until every one of `alerts` reached the receiver with `status` (since `since`, default
   * the cluster's start) or `timeoutMs` passed (default: the first-delivery window, or the resolve
   * window for resolved), then the duplicate window — the time a broken cluster needs to send its
   * copies. Returns whether every alert arrived.
   */
  async awaitDelivery(alerts: readonly (LabelSet | AlertSpec)[], opts: { status?: 'firing' | 'resolved'; since?: number; timeoutMs?: number } = {}): Promise<boolean> {
    const ctx = this.session.context;
    const status = opts.status ?? 'firing';
    const w = windows(ctx);
    const keys = alerts.map((a) => labelKey(isSpec(a) ? a.labels : a));
    return awaitDeliveries(ctx, keys, status, { windowMs: opts.timeoutMs ?? (status === 'firing' ? w.firstDelivery : w.resolveDelivery), ...(opts.since !== undefined ? { since: opts.since } : {}) });
  }

  /** Milliseconds on the cluster's clock (the history's `t`), for `since`. */
  now(): number {
    return this.history.clock.now();
  }

  /** Resolves alerts (all firing ones when omitted): endsAt = now, re-sent a few times. */
  async resolve(alerts?: readonly (LabelSet | AlertSpec)[]): Promise<void> {
    await this.alertSource().resolve(alerts?.map((a) => (isSpec(a) ? a : { labels: a })));
  }

  /** Creates a silence on one node (it must reach the others by gossip); returns its id. */
  async createSilence(node: NodeId, silence: { matchers: Matcher[]; durationMs?: number; comment?: string }): Promise<string> {
    return this.silences().create(node, { ...silence, comment: silence.comment ?? `amchaos ${this.id}` });
  }

  async expireSilence(node: NodeId, id: string): Promise<void> {
    await this.silences().expire(node, id);
  }

  /** Waits until every notification the cluster may still owe or duplicate has had its chance (heals faults first). */
  async settle(): Promise<void> {
    await this.session.settle();
  }

  /**
   * Judges the history so far with a checker (or several). It first heals every fault and waits
   * until every transition's horizon has passed (settle), so the verdict is earned: a check that
   * still cannot decide says `unknown`. The cluster keeps running afterwards.
   */
  async check(name: CheckerName, options?: CheckOptions): Promise<CheckResult>;
  async check(names: readonly CheckerName[], options?: CheckOptions): Promise<CheckResult[]>;
  async check(which: CheckerName | readonly CheckerName[], options: CheckOptions = {}): Promise<CheckResult | CheckResult[]> {
    const names: CheckerName[] = typeof which === 'string' ? [which as CheckerName] : [...(which as readonly CheckerName[])];
    for (const n of names) this.checked.add(n);
    await this.settle();
    const results = this.session.judge({ checks: names, checkOptions: options });
    return typeof which === 'string' ? results[0]! : results;
  }

  /**
   * Stops every node, writes the run directory (summary.json judged by the checks you asked for —
   * no-loss, exactly-once and validity if none — history.jsonl, the report, node logs) and returns
   * the summary. Idempotent.
   */
  stop(): Promise<RunSummary> {
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async teardown(): Promise<RunSummary> {
    let error: ScenarioSummary['error'];
    try {
      await this.source?.stop();
      await this.silenceOps?.stop();
    } catch (e) {
      error = scenarioError(e, this.session.env.signal);
    }
    await this.session.stop();
    this.history.append({ type: 'phase', phase: 'check' });
    const checks = this.checked.size > 0 ? [...this.checked] : (['no-loss', 'exactly-once', 'validity'] as CheckerName[]);
    const results = error ? [] : this.session.judge({ checks });
    const scenario = this.session.summary(results, error);
    await this.run.close();
    return writeRunSummary(this.run, { scenarios: [scenario], seed: this.opts.seed, command: this.opts.command, interrupted: this.session.env.signal.aborted, log: this.opts.log });
  }

  private alertSource(): AlertSource {
    if (!this.source) {
      const ctx = this.session.context;
      this.source = new AlertSource({ history: ctx.history, clients: ctx.nodes.map((n) => n.client), resendIntervalMs: ctx.timers.resendIntervalMs });
      this.source.start();
    }
    return this.source;
  }

  private silences(): SilenceOps {
    const ctx = this.session.context;
    this.silenceOps ??= new SilenceOps({ history: ctx.history, clients: ctx.nodes.map((n) => n.client) });
    return this.silenceOps;
  }
}

function isSpec(a: LabelSet | AlertSpec): a is AlertSpec {
  return typeof (a as AlertSpec).labels === 'object' && (a as AlertSpec).labels !== null;
}

/** The scenario a library cluster is: driven by its user, not by a suite. */
function librarySuite(name: string): SuiteDefinition {
  return { name, summary: 'a cluster started from the library', checks: ['no-loss', 'exactly-once', 'validity'], drive: async () => undefined };
}

/**
 * Starts a cluster and waits until it is ready (every node's status says ready with N peers).
 * Bad input (unknown version, invalid config, a runtime this machine cannot run) fails here with a
 * typed error before anything starts.
 */
export async function startCluster(options: StartClusterOptions): Promise<Cluster> {
  if (!Array.isArray(options.versions) || options.versions.length === 0) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'startCluster: versions must list one version per node', {
      hint: "For example startCluster({ versions: ['0.33.1', '0.33.1', '0.33.1'] }).",
    });
  }
  const log = options.log ?? (() => undefined);
  const name = options.name ?? 'cluster';
  const runtime = await getRuntime(options.runtime ?? 'process');
  const inputs = await prepareClusterInputs({ versions: options.versions, configFile: options.config, timers: options.timers ?? {}, log });
  await assertReceiverPortFree(options.receiverPort);
  const versions = options.versions.map((v) => inputs.versions.get(v)!);
  const clustered = options.clustered ?? true;
  const runId = newRunId();
  const seed = options.seed ?? Math.floor(Math.random() * 0xffffffff);
  const label = options.versions.every((v) => v === options.versions[0]) ? `${options.versions[0]}x${versions.length}` : options.versions.join('+');
  const id = `${name}/${label}${clustered ? '' : '/no-cluster'}`;
  const timers = inputs.timersFor(versions.length);
  const plan: ScenarioPlan = {
    id,
    suite: librarySuite(name),
    versions,
    runtime,
    clustered,
    seed: seedFor(seed, id),
    timers,
    config: (captureBase) => inputs.configFor(captureBase, timers),
    alerts: [],
    logLevel: options.logLevel ?? 'info',
  };
  const outDir = options.outDir ?? `reports/${name.replace(/[^A-Za-z0-9._+-]+/g, '_')}-${runId}`;
  await preflight(runtime, [plan], { runId, runDir: outDir, receiverPort: options.receiverPort, probe: inputs.probe });
  const run = await openRun({ runId, outDir, receiverPort: options.receiverPort, log });
  const signal = options.signal ?? new AbortController().signal;
  const session = new ScenarioSession(plan, { runId, workDir: run.workDir, outDir: run.runDir, history: run.history, capture: run.capture, signal, log });
  try {
    await session.start();
  } catch (e) {
    await session.stop();
    await run.close();
    throw e;
  }
  const command = ['startCluster', JSON.stringify({ ...options, log: undefined, signal: undefined, seed })];
  return new Cluster(session, run, { seed, log, command });
}
