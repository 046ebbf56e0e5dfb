import type { CheckerName, CheckOptions } from '../checkers/index.js';
import type { Claim } from '../claims/types.js';
import type { KnownBehaviour } from '../checkers/expectations.js';
import type { AlertmanagerClient } from '../client/client.js';
import type { CaptureReceiver } from '../capture/capture.js';
import type { Nemesis } from '../nemesis/nemesis.js';
import type { History } from '../history/history.js';
import type { LabelSet, NodeDescriptor, NotificationEvent, Timers } from '../history/types.js';
import type { RuntimeCluster, RuntimeName, RuntimeNode } from '../runtime/types.js';
import type { ClusterConfig } from '../topology/config.js';
import type { ResolvedVersion } from '../versions/types.js';
import type { PrometheusSource } from '../prometheus/source.js';
import type { ScenarioSource } from '../workload/types.js';

/**
 * A suite: what to do to a running cluster (drive) and which checkers judge the history. The
 * same definition runs from `amchaos run --suite NAME` and from the vitest files in suites/.
 * Suites know nothing of runtimes or the CLI; the scenario runner (run/scenario.ts) gives them a
 * ready cluster in a ScenarioContext and tears it down afterwards, whatever happens.
 */
/**
 * `F` is the suite's figures record, exported beside it (e.g. LatencySweepFigures): what it writes
 * into `ctx.figures` is type-checked, and the report reads figure contracts from src/summary/figures.ts.
 */
export interface SuiteDefinition<F extends object = Record<string, unknown>> {
  name: string;
  /** One line for `amchaos suites` and the report. */
  summary: string;
  /** The checkers (src/checkers) that judge this suite. */
  checks: readonly CheckerName[];
  /** Options for those checkers (windows the suite's own design needs). */
  checkOptions?: CheckOptions;
  /**
   * What the suite needs: runtime capabilities (link faults need netns or docker), and the alert
   * source (`prometheus`: the suite drives real Prometheus replicas, --source prometheus).
   */
  needs?: { linkFaults?: boolean; source?: 'prometheus' };
  /**
   * What the faults this suite injects are known to cause, as predicates on the evidence
   * (src/checkers/expectations.ts): a failing check is an expected failure only when every failing
   * piece of its evidence falls inside such a fault. Never a name, never a version: a duplicate
   * outside the fault is a failure.
   */
  knownBehaviours?: readonly KnownBehaviour[];
  /**
   * The upstream claim this suite reproduces (src/claims): a predicate on the history with its
   * control, reported as reproduced / not reproduced / unknown beside the checks — a finding,
   * never a verdict, never the exit code.
   */
  claim?: Claim;
  /** Timers the suite needs to show its condition; the user's timer flags still override them. */
  timers?: Partial<Timers>;
  /**
   * The suite's own alertmanager.yml for these timers (receivers are replaced by the capture, as
   * with --config, and checked with every version's amtool); `--config` beside it is refused.
   */
  config?: (timers: Timers, nodes: number) => string;
  /** Extra flags for a node at start (e.g. --data.maintenance-interval), after the harness's own. */
  nodeFlags?: (node: { index: number; version: ResolvedVersion; timers: Timers }) => string[];
  /**
   * Why a cluster of these versions cannot show the condition at all (e.g. no --cluster.label
   * before 0.26), or undefined. `amchaos run` refuses such a cluster before anything starts; the
   * catalogue shows the cell as unknown with this reason.
   */
  unsupported?: (versions: readonly ResolvedVersion[], opts: { upgradeTo?: ResolvedVersion | undefined }) => string | undefined;
  /** How the catalogue runs this suite for one version (default: 3 nodes of it, on the cheapest runtime that has the suite's faults). */
  catalogue?: SuiteCatalogueOptions;
  drive(ctx: ScenarioContext<F>): Promise<void>;
}

export interface SuiteCatalogueOptions {
  /** The cluster for the catalogue's column `version` (e.g. a skewed tsam beside two nodes of it). */
  cluster?(version: string): string[];
  /** For an upgrade suite: what `version` is upgraded to. */
  upgradeTo?(version: string): string;
  /** The runtime (default: netns when the suite needs link faults, else process). */
  runtime?: RuntimeName;
  /** Runs alone, not beside other scenarios (it loads the machine: thousands of alerts). */
  exclusive?: boolean;
}

export interface ScenarioNode {
  id: string;
  descriptor: NodeDescriptor;
  runtime: RuntimeNode;
  client: AlertmanagerClient;
}

export interface ScenarioContext<F extends object = Record<string, unknown>> {
  id: string;
  suite: string;
  seed: number;
  clustered: boolean;
  timers: Timers;
  config: ClusterConfig;
  history: History;
  nodes: ScenarioNode[];
  cluster: RuntimeCluster;
  capture: CaptureReceiver;
  /** The notifications the capture received during THIS scenario (the capture serves every scenario of a run). */
  notifications(): readonly NotificationEvent[];
  /** Faults: partitions, latency, loss, cuts (netns), receiver faults, kill/pause/restart (any runtime). */
  nemesis: Nemesis;
  /** The alert label sets to fire (from --alerts, or generated from the seed). */
  alerts: LabelSet[];
  /**
   * The run's alert source, as a suite drives it: the built-in workload (a new AlertSource,
   * started) or, with --source prometheus, the scenario's Prometheus replicas (the same for every
   * call; its stop() leaves them running — the scenario stops them at teardown).
   */
  newSource(): ScenarioSource;
  /** The Prometheus source itself (replicas, setups, its faults), when the run has one. */
  prometheus?: PrometheusSource;
  signal: AbortSignal;
  /** Abortable sleep on the scenario clock. */
  sleep(ms: number): Promise<void>;
  /** Polls `predicate` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
  waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, everyMs?: number): Promise<boolean>;
  /** A progress line (the CLI prints it; vitest keeps it quiet). */
  log(message: string): void;
  /** Figures the suite wants in the summary (thresholds found, counts): its figures record `F`. */
  figures: Partial<F> & Record<string, unknown>;
  /** The version nodes are upgraded to (`--upgrade-to`), resolved before the run started; undefined without it. */
  upgradeTo: ResolvedVersion | undefined;
}

/**
 * The windows a suite waits for, derived from the timers (see docs/architecture.md): the
 * position-k node acts around group_wait + k × peer_timeout after an alert arrives, so a
 * duplicate can appear until the last position has had its turn.
 */
export function deliveryWindows(timers: Timers, nodes: number, config: ClusterConfig) {
  const lastPosition = Math.max(0, nodes - 1) * timers.peerTimeoutMs;
  // A user's config can give each route its own timers: wait as long as the slowest route needs.
  const { groupWaitMs, groupIntervalMs } = longestRouteTimers(config);
  // Slack for the last node's pipeline to run and its webhook to land on loopback: Go timers fire
  // within milliseconds and a webhook takes a few more, so half a second is ample even on a loaded
  // 2-core machine; the checker decides on what arrived, this only bounds how long we look.
  const slack = Math.max(500, Math.round(timers.peerTimeoutMs / 4));
  return {
    /** From an alert reaching every node to the first notification of its group. */
    firstDelivery: groupWaitMs + slack,
    /** After the first delivery of a transition, how long a duplicate may still come. */
    duplicateWindow: lastPosition + slack,
    /** From resolving alerts to the resolved notification (next flush + the last position's wait). */
    resolveDelivery: groupIntervalMs + slack,
    /** An alert firing this long is in some flush of its route (no-loss's flush window), for the slowest route. */
    flushWindow: Math.max(groupWaitMs, groupIntervalMs) + FLUSH_MARGIN_MS,
    slack,
  };
}

/** The longest group_wait and group_interval among the config's routes (the root's when it has none). */
export function longestRouteTimers(config: Pick<ClusterConfig, 'routes' | 'groupWaitMs' | 'groupIntervalMs'>): { groupWaitMs: number; groupIntervalMs: number } {
  const routes = config.routes ?? [];
  return {
    groupWaitMs: Math.max(config.groupWaitMs, ...routes.map((r) => r.groupWaitMs)),
    groupIntervalMs: Math.max(config.groupIntervalMs, ...routes.map((r) => r.groupIntervalMs)),
  };
}

/**
 * The no-loss checker's flush window margin the suites run it with: an alert owes a firing
 * notification once it has fired for max(group_wait, group_interval) + this. Suites hold alerts
 * firing a little longer than that, so that the obligation is real.
 */
export const FLUSH_MARGIN_MS = 500;
