import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import { labelKey, type LabelSet, type NodeId, type SourceReplica } from '../history/types.js';
import { which } from '../util/fs.js';
import type { ResolvedPrometheus } from '../versions/prometheus.js';
import type { AlertSpec, ScenarioSource } from '../workload/types.js';
import { RoundRobinBalancer } from './balancer.js';
import {
  adjustUserRules,
  longestFor,
  DEFAULT_REPLICA_LABEL,
  DEFAULT_SOURCE_TIMERS,
  rulesForAlertnames,
  relabelDrops,
  replicaConfig,
  type ReplicaSetup,
  type SourceTimers,
  type UserPrometheusConfig,
} from './config.js';
import { AlertExporter } from './exporter.js';
import { IntentTracker } from './intents.js';
import { PrometheusReplica } from './replica.js';
import { SourceSampler } from './sampler.js';
import { SendTap } from './tap.js';

/** The user's rule file, when given (--rules). */
export interface UserRules {
  file: string;
  text: string;
}

export interface PrometheusSourceOptions {
  history: History;
  version: ResolvedPrometheus;
  /** Number of replicas (default 2): p1, p2, ... */
  replicas?: number;
  /** The cluster's nodes, in order. */
  nodes: readonly NodeId[];
  /** How the harness reaches `node`'s API for `replica`'s sends: the node directly, or a fabric link of that pair. */
  upstreamFor(replica: string, node: NodeId): Promise<string>;
  /** A directory this source owns (configs, rule files, replica storage and logs). */
  workDir: string;
  /** The alert set: one rule per alert name (unless `rules` is given). */
  alerts: readonly AlertSpec[];
  rules?: UserRules | undefined;
  config?: UserPrometheusConfig | undefined;
  timers?: SourceTimers;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Per replica, how it runs. */
export type SourceSetup = Record<string, ReplicaSetup>;

interface ReplicaState {
  replica: PrometheusReplica;
  taps: Map<NodeId, SendTap>;
  balancer?: RoundRobinBalancer;
  setup: ReplicaSetup;
  /** host:port addresses it is configured to send to. */
  addresses: string[];
}

/**
 * Real Prometheus as the alert source: an HA set of replicas (default 2) evaluating the same rules
 * over the harness's exporter, each sending to Alertmanager nodes through send taps that record
 * every POST (see tap.ts) and turn the first POST of each new state into the intents (intents.ts).
 * `fire`/`resolve` flip the exporter's gauges and wait until Prometheus really fired or resolved the
 * alert; `reconfigure` changes a replica's targets, relabelling or rules (a suite's mistakes) and
 * waits until every replica runs the new config. The scenario session owns it: `start()` before the
 * suite drives, `shutdown()` at teardown; suites get `handle()`, whose `stop()` leaves it running.
 */
export class PrometheusSource {
  readonly kind = 'prometheus' as const;
  readonly timers: SourceTimers;
  readonly exporter = new AlertExporter();
  readonly intents: IntentTracker;
  readonly replicaLabel: string;
  private exporterAddr = '';
  private readonly replicas = new Map<string, ReplicaState>();
  private readonly alertnames = new Set<string>();
  private readonly rulesDir: string;
  private sampler: SourceSampler | undefined;
  private ruleGeneration = 0;
  private stopped = false;
  private readonly specs = new Map<string, AlertSpec>();
  private readonly lastIntentT = new Map<string, number>();

  constructor(private readonly o: PrometheusSourceOptions) {
    this.timers = o.timers ?? DEFAULT_SOURCE_TIMERS;
    this.replicaLabel = o.config?.replicaLabel ?? DEFAULT_REPLICA_LABEL;
    // With the harness's own rules an alert's identity is its gauge's labels: the exporter knows the truth.
    this.intents = new IntentTracker(this.replicaLabelValues(), o.rules ? undefined : (identity) => this.exporter.value(this.gaugeOf(identity)));
    this.rulesDir = join(o.workDir, 'rules');
    for (const a of o.alerts) if (a.labels['alertname']) this.alertnames.add(a.labels['alertname']);
  }

  get replicaIds(): string[] {
    const n = this.o.replicas ?? 2;
    return Array.from({ length: n }, (_, i) => `p${i + 1}`);
  }

  /** The replica label's value per replica (p1 → "p1"), and the label's name. */
  private replicaLabelValues(): Record<string, string[]> {
    return { [this.replicaLabel]: this.replicaIds };
  }

  /** Prometheus's resend period: every evaluation re-sends (resend delay below the evaluation interval). */
  get resendIntervalMs(): number {
    return Math.max(this.timers.evaluationIntervalMs, this.timers.resendDelayMs);
  }

  /** The healthy setup: every replica sends to every node directly and drops its replica label. */
  healthySetup(): SourceSetup {
    return Object.fromEntries(this.replicaIds.map((id) => [id, { targets: [...this.o.nodes], via: 'direct', dropReplicaLabel: true } satisfies ReplicaSetup]));
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  /**
   * Starts the exporter, the send taps, and every replica with the healthy setup; resolves once each
   * replica has scraped the exporter and discovered every Alertmanager it sends to (Prometheus's
   * discovery ticks every 5 s, so this takes about 6 s).
   */
  async start(): Promise<void> {
    const { history } = this.o;
    this.exporterAddr = await this.exporter.start();
    const setpriv = await which('setpriv');
    await mkdir(this.rulesDir, { recursive: true });
    const setup = this.healthySetup();
    for (const id of this.replicaIds) {
      const taps = new Map<NodeId, SendTap>();
      for (const node of this.o.nodes) {
        const tap = new SendTap({ replica: id, node, upstream: await this.o.upstreamFor(id, node), history, onAlerts: (r, alerts, now) => this.onAlerts(r, alerts, now) });
        await tap.start();
        taps.set(node, tap);
      }
      const replica = new PrometheusReplica(id, this.o.version, join(this.o.workDir, id), this.timers, setpriv);
      replica.onExit((exit) => history.append({ type: 'replica', replica: id, state: 'exited', exit }));
      this.replicas.set(id, { replica, taps, setup: setup[id]!, addresses: [] });
    }
    await this.writeConfigs(setup);
    const t0 = performance.now();
    await Promise.all(
      [...this.replicas.values()].map(async (s) => {
        await s.replica.start();
        history.append({ type: 'replica', replica: s.replica.id, state: 'started', ...(s.replica.pid ? { pid: s.replica.pid } : {}) });
      }),
    );
    await this.waitInEffect('start');
    for (const s of this.replicas.values()) history.append({ type: 'replica', replica: s.replica.id, state: 'ready' });
    this.recordSetup('configured', 'every replica sends to every node and drops its replica label');
    this.sampler = new SourceSampler({ history, replicas: [...this.replicas.values()].map((s) => s.replica), identityOf: (l) => this.intents.identityOf(l) });
    this.sampler.start();
    this.log(`Prometheus ${this.o.version.requested} × ${this.replicas.size} sending to ${this.o.nodes.length} nodes in ${Math.round(performance.now() - t0)} ms`);
  }

  /** A handle for a suite: the same source, whose stop() leaves the replicas running (the session stops them). */
  handle(): ScenarioSource {
    return {
      kind: this.kind,
      fire: (specs, opts) => this.fire(specs, opts),
      resolve: (which) => this.resolve(which),
      firing: () => this.firing(),
      stop: async () => undefined,
    };
  }

  /** The setup each replica runs now. */
  setup(): SourceSetup {
    return Object.fromEntries([...this.replicas].map(([id, s]) => [id, { ...s.setup, targets: [...s.setup.targets] }]));
  }

  /** The replica (process and API) `id`. */
  replica(id: string): PrometheusReplica {
    const s = this.replicas.get(id);
    if (!s) {
      throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `no Prometheus replica ${JSON.stringify(id)}`, { hint: `replicas are ${this.replicaIds.join(', ')}` });
    }
    return s.replica;
  }

  // --- alerts --------------------------------------------------------------------------------

  async fire(specs: AlertSpec | readonly AlertSpec[], opts: { targets?: NodeId[] } = {}): Promise<void> {
    this.assertRunning();
    const list = Array.isArray(specs) ? (specs as readonly AlertSpec[]) : [specs as AlertSpec];
    if (opts.targets || list.some((s) => s.targets)) {
      throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', 'with Prometheus as the source, which nodes an alert reaches is Prometheus\'s alerting config, not a per-alert target list', {
        hint: 'Use a source reconfiguration (a source-config fault) to change where replicas send, or --source workload.',
      });
    }
    const newNames = list.map((s) => s.labels['alertname']).filter((n): n is string => n !== undefined && !this.alertnames.has(n));
    if (newNames.length > 0 && !this.o.rules) {
      for (const n of newNames) this.alertnames.add(n);
      await this.writeConfigs(this.setup());
      await this.reloadAll('new alert names');
    }
    const flipped: AlertSpec[] = [];
    for (const s of list) {
      this.specs.set(labelKey(s.labels), s);
      if (this.exporter.set(s.labels, 1)) {
        this.o.history.append({ type: 'source.flip', alert: labelKey(s.labels), labels: s.labels, value: 1 });
        flipped.push(s);
      }
    }
    await this.awaitIntents(flipped, 'firing');
  }

  async resolve(which?: readonly (AlertSpec | string)[]): Promise<void> {
    this.assertRunning();
    const keys = which === undefined ? this.firing() : which.map((w) => (typeof w === 'string' ? w : labelKey(w.labels)));
    const flipped: AlertSpec[] = [];
    for (const key of keys) {
      const spec = this.specs.get(key);
      if (!spec) continue;
      if (this.exporter.set(spec.labels, 0)) {
        this.o.history.append({ type: 'source.flip', alert: key, labels: spec.labels, value: 0 });
        flipped.push(spec);
      }
    }
    await this.awaitIntents(flipped, 'resolved');
  }

  /** labelKeys of the alerts whose gauge is 1. */
  firing(): string[] {
    return [...this.specs].filter(([, s]) => this.exporter.value(s.labels) === 1).map(([k]) => k);
  }

  /**
   * Waits until Prometheus has sent the new state of every flipped alert (its intent is recorded).
   * With the user's rules an alert's labels are whatever the rules make of the gauges, so the wait
   * is one flip-to-send time instead.
   */
  private async awaitIntents(flipped: readonly AlertSpec[], state: 'firing' | 'resolved'): Promise<void> {
    if (flipped.length === 0) return;
    // Without a `for:` of their own the generated rules fire at the first evaluation that sees the gauge.
    const fastest = Math.min(...[...this.replicas.values()].map((s) => (s.setup.evaluationOffsetMs ?? 0) + (s.setup.forMs ?? 0)));
    const limit = this.timers.scrapeIntervalMs + this.timers.evaluationIntervalMs + this.resendIntervalMs + fastest + 3_000;
    if (this.o.rules) {
      // The rules decide what the gauges become: wait until intents of the new state appeared and
      // none followed for an evaluation, or the longest the rules can take.
      const type = state === 'firing' ? 'alert.fire' : 'alert.resolve';
      const from = this.o.history.all().length;
      const deadline = performance.now() + limit + longestFor(this.o.rules.text);
      let lastNew = -1;
      let lastAt = performance.now();
      while (performance.now() < deadline) {
        const seen = this.o.history.all().slice(from).filter((e) => e.type === type).length;
        if (seen !== lastNew) {
          lastNew = seen;
          lastAt = performance.now();
        } else if (seen > 0 && performance.now() - lastAt > this.timers.evaluationIntervalMs + this.resendIntervalMs) break;
        await sleep(50, undefined, { signal: this.o.signal });
      }
      return;
    }
    const done = () => flipped.every((s) => (state === 'firing' ? this.intents.isFiring(this.identityOf(s.labels)) : !this.intents.isFiring(this.identityOf(s.labels))));
    const deadline = performance.now() + limit;
    while (!done() && performance.now() < deadline) await sleep(25, undefined, { signal: this.o.signal });
    if (!done()) this.log(`Prometheus had not sent every ${state === 'firing' ? 'firing' : 'resolved'} alert ${limit} ms after the flip (the checkers judge from what it sent)`);
  }

  private onAlerts(replica: string, alerts: { labels: LabelSet; startsAt?: string; endsAt?: string }[], nowMs: number): void {
    const targets = [...new Set([...this.replicas.values()].flatMap((s) => s.setup.targets))];
    const { history } = this.o;
    for (const t of this.intents.observe(replica, alerts, nowMs)) {
      // Recorded at the moment it happened in Prometheus, after the alert's previous intent.
      const at = Math.max(history.clock.fromWall(t.at), this.lastIntentT.get(t.alert) ?? -Infinity);
      const when = Math.min(at, history.clock.now());
      this.lastIntentT.set(t.alert, when);
      history.append({ type: t.type, alert: t.alert, labels: t.labels, targets }, when);
    }
  }

  // --- configuration -------------------------------------------------------------------------

  /** External labels every replica adds alike (a user's `cluster="prod"`): part of an alert's identity. */
  private sharedExternalLabels(): LabelSet {
    const out = { ...(this.o.config?.externalLabels ?? {}) };
    delete out[this.replicaLabel];
    return out;
  }

  /** The identity Prometheus gives the alert of a gauge (the harness's rules): its labels, plus the shared external labels it lacks. */
  identityOf(gaugeLabels: LabelSet): LabelSet {
    return { ...this.sharedExternalLabels(), ...gaugeLabels };
  }

  /** The gauge an identity came from: without the shared external labels the gauge does not have itself. */
  private gaugeOf(identity: LabelSet): LabelSet {
    const shared = this.sharedExternalLabels();
    const out = { ...identity };
    for (const [k, v] of Object.entries(shared)) if (out[k] === v && this.exporter.value(out) === undefined) delete out[k];
    return out;
  }

  private externalLabels(id: string): LabelSet {
    return { ...(this.o.config?.externalLabels ?? {}), [this.replicaLabel]: id };
  }

  /** The rule file of a replica setup: shared by every replica that runs the rules as written (so they evaluate in step). */
  private async rulesFile(setup: ReplicaSetup): Promise<string> {
    const v = { offsetMs: setup.evaluationOffsetMs, forMs: setup.forMs, intervalMs: setup.evaluationIntervalMs };
    const variant = v.offsetMs || v.forMs || v.intervalMs ? `-offset${v.offsetMs ?? 0}-for${v.forMs ?? 0}-every${v.intervalMs ?? 0}` : '';
    const file = join(this.rulesDir, `rules${variant}-${this.ruleGeneration}.yml`);
    let text: string;
    if (this.o.rules) text = variant ? adjustUserRules(this.o.rules.text, v) : this.o.rules.text;
    else text = rulesForAlertnames(this.alertnames, v);
    await writeFile(file, text);
    return file;
  }

  private async writeConfigs(setup: SourceSetup): Promise<void> {
    this.ruleGeneration++;
    for (const [id, s] of this.replicas) {
      const next = setup[id] ?? s.setup;
      const addresses = await this.addressesFor(s, next);
      const text = replicaConfig({
        replica: id,
        externalLabels: this.externalLabels(id),
        replicaLabel: this.replicaLabel,
        exporter: this.exporterAddr,
        ruleFiles: [await this.rulesFile(next)],
        alertmanagers: addresses,
        dropReplicaLabel: next.dropReplicaLabel,
        timers: this.timers,
        user: this.o.config,
      });
      await s.replica.writeConfig(text);
      s.setup = { ...next, targets: [...next.targets] };
      s.addresses = addresses;
    }
  }

  private async addressesFor(s: ReplicaState, setup: ReplicaSetup): Promise<string[]> {
    for (const n of setup.targets) {
      if (!s.taps.has(n)) throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `replica ${s.replica.id}: no node ${n}`, { hint: `nodes are ${this.o.nodes.join(', ')}` });
    }
    const taps = setup.targets.map((n) => s.taps.get(n)!.address);
    await s.balancer?.stop();
    s.balancer = undefined;
    if (setup.via === 'direct') return taps;
    s.balancer = new RoundRobinBalancer(taps);
    return [await s.balancer.start()];
  }

  private async reloadAll(why: string): Promise<void> {
    await Promise.all([...this.replicas.values()].filter((s) => s.replica.running && !s.replica.paused).map((s) => s.replica.reload()));
    await this.waitInEffect(why);
  }

  /**
   * Changes how replicas run (targets, load balancer, replica label, rule offsets or `for:`) and
   * waits until every running replica has loaded it and discovered its new targets. Recorded as a
   * `source` event (the checkers read the replica labels from it).
   */
  async reconfigure(setup: SourceSetup, description: string): Promise<void> {
    this.assertRunning();
    const t0 = performance.now();
    await this.writeConfigs({ ...this.setup(), ...setup });
    await this.reloadAll(description);
    this.recordSetup('reconfigured', description);
    this.log(`Prometheus reconfigured in ${Math.round(performance.now() - t0)} ms: ${description}`);
  }

  /** Every running replica (of `only`) runs the config file it was given and sends to exactly its targets. */
  private async waitInEffect(why: string, only?: readonly ReplicaState[], timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const pending = new Set((only ?? [...this.replicas.values()]).filter((s) => s.replica.running && !s.replica.paused));
    let last = '';
    while (pending.size > 0) {
      for (const s of [...pending]) {
        try {
          const [ams, up] = await Promise.all([s.replica.alertmanagers(), s.replica.exporterUp()]);
          const want = s.addresses.map((a) => `http://${a}/api/v2/alerts`).sort();
          const have = [...ams].sort();
          if (up && want.length === have.length && want.every((w, i) => w === have[i])) pending.delete(s);
          else last = `${s.replica.id} sends to ${have.join(' ') || 'nothing'} (want ${want.join(' ')}), exporter ${up ? 'up' : 'not scraped yet'}`;
        } catch (e) {
          last = `${s.replica.id}: ${(e as Error).message}`;
        }
      }
      if (pending.size === 0) break;
      if (performance.now() > deadline) {
        throw new AmchaosError('AMCHAOS_TIMEOUT', `Prometheus replicas did not take their config (${why}) within ${timeoutMs} ms: ${last}`, {
          hint: 'See the replicas\' logs in the run directory (logs/<scenario>/p1.log).',
        });
      }
      await sleep(100, undefined, { signal: this.o.signal });
    }
  }

  /** Waits until one replica (restarted) runs its config again: exporter scraped, its targets discovered. */
  waitReplicaInEffect(id: string): Promise<void> {
    const s = this.replicas.get(id);
    if (!s) return Promise.reject(new AmchaosError('AMCHAOS_INVALID_SCENARIO', `no Prometheus replica ${id}`));
    return this.waitInEffect(`restart of ${id}`, [s]);
  }

  private recordSetup(state: 'configured' | 'reconfigured', description: string): void {
    const replicas: SourceReplica[] = [...this.replicas].map(([id, s]) => ({
      id,
      version: this.o.version.requested,
      source: this.o.version.source,
      externalLabels: this.externalLabels(id),
      targets: [...s.setup.targets],
      via: s.setup.via,
      dropsReplicaLabel: this.o.config ? s.setup.dropReplicaLabel && this.userDropsReplicaLabel() : s.setup.dropReplicaLabel,
      evaluationIntervalMs: s.setup.evaluationIntervalMs ?? this.timers.evaluationIntervalMs,
      ...(s.setup.evaluationOffsetMs ? { evaluationOffsetMs: s.setup.evaluationOffsetMs } : {}),
      ...(s.setup.forMs ? { forMs: s.setup.forMs } : {}),
    }));
    this.o.history.append({ type: 'source', kind: 'prometheus', state, replicas, replicaLabels: this.replicaLabelValues(), resendIntervalMs: this.resendIntervalMs, description });
  }

  private userDropsReplicaLabel(): boolean {
    const a = this.o.config?.alerting ?? {};
    const ams = Array.isArray(a['alertmanagers']) ? (a['alertmanagers'] as Record<string, unknown>[]) : [];
    return relabelDrops(a['alert_relabel_configs'], this.replicaLabel) || (ams.length > 0 && ams.every((e) => relabelDrops(e['alert_relabel_configs'], this.replicaLabel)));
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Stops everything: sampler, replicas (SIGTERM, then SIGKILL), load balancers, taps, the exporter. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.sampler?.stop();
    await Promise.all(
      [...this.replicas.values()].map(async (s) => {
        await s.replica.stop(2_000).catch(() => s.replica.kill());
        s.replica.releasePort();
        await s.balancer?.stop();
        for (const t of s.taps.values()) await t.stop();
      }),
    );
    await this.exporter.stop();
  }

  /** Copies each replica's log to `dir/<replica>.log`; returns them by replica. */
  async copyLogs(dir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    await mkdir(dir, { recursive: true });
    for (const [id, s] of this.replicas) {
      const dest = join(dir, `${id}.log`);
      const copied = await copyFile(s.replica.logFile, dest).then(
        () => true,
        () => false,
      );
      if (copied) out[id] = dest;
    }
    return out;
  }

  /** Posts every tap saw, per replica and node (figures). */
  tapCounts(): Record<string, { posts: number; ok: number; failed: number; indeterminate: number }> {
    const out: Record<string, { posts: number; ok: number; failed: number; indeterminate: number }> = {};
    for (const [id, s] of this.replicas) for (const [node, t] of s.taps) out[`${id}->${node}`] = { ...t.counts };
    return out;
  }

  private assertRunning(): void {
    if (this.stopped) throw new AmchaosError('AMCHAOS_INTERNAL', 'Prometheus source used after shutdown()');
  }
}
