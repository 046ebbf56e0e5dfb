import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult, Evidence, Verdict } from '../../../src/checkers/types.js';
import { runOutcome, scenarioOutcome, verdictOf } from '../../../src/checkers/outcome.js';
import type {
  HistoryEvent,
  LabelSet,
  NewEvent,
  NodeDescriptor,
  NodeId,
  NotificationEvent,
  NotifiedAlert,
  Timers,
} from '../../../src/history/types.js';
import { labelKey } from '../../../src/history/types.js';
import type { CheckSummary, RunSummary, ScenarioSummary } from '../../../src/summary/summary.js';

/**
 * Realistic run directories for the report's tests, until real runs exist: summary.json,
 * history.jsonl and node logs, generated from a small deterministic simulation of an Alertmanager
 * cluster (who notifies when, under which fault). The checks are computed by the simulation itself
 * (it knows what it did), shaped like the real checkers' results.
 *
 * Kinds:
 *  - `pass`: 3 × 0.25.0, clustered, healthy: every transition notified once.
 *  - `no-cluster`: a --no-cluster control (every node notifies: duplicates, unexpected fail), a
 *    mixed-version scenario failing with an expected failure, and a scenario that could not start.
 *    Alert labels carry HTML/script text, so the same fixture tests escaping.
 *  - `partition`: n1 isolated for 20 s, n3 killed and restarted, the receiver answering 503 for a
 *    while (undelivered notifications, then retries), and a latency sweep whose figures name a threshold.
 *  - `large`: 5 mixed nodes, `notifications` (default 10,000) notifications, duplicates during a fault.
 */

export type FixtureKind = 'pass' | 'no-cluster' | 'partition' | 'large';

export interface FixtureOptions {
  runId?: string;
  /** Wall-clock start of the run (default 2026-01-15T10:00:00Z; runs of the same kind get distinct ids). */
  startedAt?: string;
  /** For `large`: how many notifications (approximately; default 10,000). */
  notifications?: number;
  seed?: number;
}

export async function writeFixtureRun(reportsDir: string, kind: FixtureKind, opts: FixtureOptions = {}): Promise<string> {
  const startedAt = opts.startedAt ?? '2026-01-15T10:00:00.000Z';
  const seed = opts.seed ?? 42;
  const runId = opts.runId ?? `${startedAt.slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${kind}`;
  const runDir = join(reportsDir, runId);
  await mkdir(join(runDir, 'logs'), { recursive: true });
  const run = new RunSim(Date.parse(startedAt), seed);
  for (const spec of SPECS[kind](opts)) run.scenario(spec);
  await run.write(runDir, runId, kind);
  return runDir;
}

// ---------------------------------------------------------------------------------------------
// Scenario specifications

interface FaultSpec {
  at: number;
  until: number;
  kind: string;
  description: string;
  nodes?: NodeId[];
  components?: NodeId[][];
}

interface ScenarioSpec {
  suite: string;
  versions: string[];
  clustered: boolean;
  durationMs: number;
  /** Times at which a batch of groups fires; each group resolves `resolveAfterMs` later. */
  waves: number[];
  groupsPerWave: number;
  resolveAfterMs: number;
  faults: FaultSpec[];
  /** Which check is an expected failure, and why. */
  expectedFailure?: { check: string; reason: string };
  /** Label values (user data) for alert names; index by group. */
  alertName?: (g: number) => string;
  extraLabels?: LabelSet;
  /** Extra duplicate senders in healthy periods (a broken cluster): group index → extra node. */
  extraSender?: (g: number) => NodeId | undefined;
  silence?: { at: number; node: NodeId };
  latencySweep?: boolean;
  error?: ScenarioSummary['error'];
  sampleEveryMs: number;
}

const TIMERS: Timers = {
  peerTimeoutMs: 1000,
  gossipIntervalMs: 200,
  pushPullIntervalMs: 1000,
  settleTimeoutMs: 2000,
  groupWaitMs: 1000,
  groupIntervalMs: 2000,
  repeatIntervalMs: 3_600_000,
  resendIntervalMs: 1000,
  silencePropagationMs: 5000,
};

const SPECS: Record<FixtureKind, (o: FixtureOptions) => ScenarioSpec[]> = {
  pass: () => [
    {
      suite: 'exactly-once',
      versions: ['0.25.0', '0.25.0', '0.25.0'],
      clustered: true,
      durationMs: 45_000,
      waves: [5000, 15_000],
      groupsPerWave: 3,
      resolveAfterMs: 20_000,
      faults: [],
      silence: { at: 12_000, node: 'n2' },
      sampleEveryMs: 1000,
    },
  ],
  'no-cluster': () => [
    {
      suite: 'control',
      versions: ['0.28.1', '0.28.1', '0.28.1'],
      clustered: false,
      durationMs: 30_000,
      waves: [5000, 12_000],
      groupsPerWave: 3,
      resolveAfterMs: 10_000,
      faults: [],
      alertName: (g) => (g === 0 ? 'DiskFull</script><script>alert("pwned")</script>' : `HighLatency${g}`),
      extraLabels: { team: '"ops" & <b>sre</b>', severity: 'page' },
      sampleEveryMs: 1000,
    },
    {
      suite: 'exactly-once',
      versions: ['0.25.0', '0.28.1', '0.33.1'],
      clustered: true,
      durationMs: 30_000,
      waves: [5000],
      groupsPerWave: 4,
      resolveAfterMs: 12_000,
      faults: [],
      extraSender: (g) => (g % 2 === 0 ? 'n3' : undefined),
      expectedFailure: {
        check: 'exactly-once',
        reason: 'fixture: stands in for a known upstream duplicate in mixed 0.25/0.33 clusters (the suite marks it expected)',
      },
      sampleEveryMs: 1000,
    },
    {
      suite: 'exactly-once',
      versions: ['tsam', 'tsam', 'tsam'],
      clustered: true,
      durationMs: 0,
      waves: [],
      groupsPerWave: 0,
      resolveAfterMs: 0,
      faults: [],
      error: {
        code: 'AMCHAOS_NODE_START_FAILED',
        message: 'node n2 (tsam) exited with code 1 before it was ready',
        hint: 'see logs/n2.log; run `amchaos run --nodes tsam,tsam,tsam --seed 42` to reproduce',
      },
      sampleEveryMs: 1000,
    },
  ],
  partition: () => [
    {
      suite: 'partition',
      versions: ['0.33.1', '0.33.1', '0.33.1'],
      clustered: true,
      durationMs: 80_000,
      waves: [5000, 25_000, 55_000, 66_000],
      groupsPerWave: 2,
      resolveAfterMs: 8000,
      faults: [
        { at: 20_000, until: 40_000, kind: 'partition', description: 'isolate n1', components: [['n1'], ['n2', 'n3']], nodes: ['n1'] },
        { at: 52_000, until: 62_000, kind: 'kill', description: 'kill n3 (SIGKILL), restart after 10s', nodes: ['n3'] },
        { at: 66_500, until: 69_000, kind: 'receiver', description: 'receiver answers 503' },
      ],
      sampleEveryMs: 1000,
    },
    {
      suite: 'latency',
      versions: ['0.28.1', '0.28.1', '0.28.1'],
      clustered: true,
      durationMs: 40_000,
      waves: [5000, 15_000, 25_000],
      groupsPerWave: 1,
      resolveAfterMs: 5000,
      faults: [
        { at: 12_000, until: 20_000, kind: 'latency', description: 'latency 400ms±50 on all links', nodes: ['n1', 'n2', 'n3'] },
        { at: 22_000, until: 30_000, kind: 'latency', description: 'latency 800ms±50 on all links', nodes: ['n1', 'n2', 'n3'] },
      ],
      latencySweep: true,
      sampleEveryMs: 1000,
    },
  ],
  large: (o) => {
    const total = o.notifications ?? 10_000;
    // Each group gives a firing and a resolved notification; duplicates add ~1 %.
    const groups = Math.max(1, Math.round(total / 2 / 1.01));
    const waves: number[] = [];
    const perWave = 25;
    for (let i = 0; i * perWave < groups; i++) waves.push(5000 + i * 1500);
    const durationMs = (waves[waves.length - 1] ?? 0) + 30_000;
    const faultAt = Math.round(durationMs * 0.4);
    return [
      {
        suite: 'soak',
        versions: ['0.25.0', '0.28.1', '0.33.1', 'tsam', 'tsam'],
        clustered: true,
        durationMs,
        waves,
        groupsPerWave: perWave,
        resolveAfterMs: 20_000,
        faults: [
          {
            at: faultAt,
            until: faultAt + 30_000,
            kind: 'partition',
            description: 'split n1,n2 | n3,n4,n5',
            components: [
              ['n1', 'n2'],
              ['n3', 'n4', 'n5'],
            ],
          },
        ],
        // A broken node that keeps notifying after heal: a real duplicate in a healthy cluster.
        extraSender: (g) => (g % 97 === 0 ? 'n4' : undefined),
        sampleEveryMs: 2000,
      },
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// The simulation

/** mulberry32: small, seeded, good enough for fixture jitter. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Transition {
  group: number;
  groupKey: string;
  status: 'firing' | 'resolved';
  at: number;
  seqs: number[];
  senders: NodeId[];
  inFault: FaultSpec | undefined;
}

class RunSim {
  private readonly events: HistoryEvent[] = [];
  private readonly scenarios: ScenarioSummary[] = [];
  private readonly logs = new Map<string, string[]>();
  private readonly rand: () => number;
  /** Run clock: one History for the whole run, so t and seq are global (like `amchaos run`). */
  private clock = 0;
  private notificationId = 0;

  constructor(
    private readonly wall0: number,
    private readonly seed: number,
  ) {
    this.rand = prng(seed);
  }

  private push(t: number, e: NewEvent): HistoryEvent {
    const full = { seq: this.events.length, t: Math.round(t * 1000) / 1000, wall: new Date(this.wall0 + t).toISOString(), ...e } as HistoryEvent;
    this.events.push(full);
    return full;
  }

  private log(file: string, version: string, t: number, level: string, component: string | undefined, msg: string, kv: Record<string, string | number> = {}): void {
    let lines = this.logs.get(file);
    if (!lines) this.logs.set(file, (lines = []));
    const time = new Date(this.wall0 + t).toISOString();
    const q = (v: string | number): string => (typeof v === 'number' || /^[\w.:/\-[\]]+$/.test(v) ? String(v) : JSON.stringify(v));
    const rest = Object.entries(kv)
      .map(([k, v]) => `${k}=${q(v)}`)
      .join(' ');
    const comp = component ? `component=${component} ` : '';
    // 0.25.0 uses go-kit logfmt (ts=, caller=); 0.28+ and tsam use slog text (time=, source=).
    const line =
      version === '0.25.0'
        ? `ts=${time} caller=${component ?? 'main'}.go:${100 + (msg.length % 400)} level=${level} ${comp}msg=${q(msg)}${rest ? ' ' + rest : ''}`
        : `time=${time} level=${level.toUpperCase()} source=${component ?? 'main'}.go:${100 + (msg.length % 400)} msg=${q(msg)} ${comp}${rest}`.trimEnd();
    lines.push(line);
  }

  scenario(spec: ScenarioSpec): void {
    const n = spec.versions.length;
    const nodeIds = spec.versions.map((_, i) => `n${i + 1}`);
    const label = clusterLabel(spec.versions, spec.clustered);
    const id = `${spec.suite}/${label}`;
    const base = this.clock;
    const first = this.events.length;
    const at = (ms: number): number => base + ms;
    const logDir = `logs/${id.replace(/[^\w.+-]+/g, '_')}`;
    const logOf = (node: NodeId): string => `${logDir}/${node}.log`;
    const nodes: NodeDescriptor[] = nodeIds.map((nid, i) => {
      const version = spec.versions[i] ?? 'tsam';
      const tsam = version.startsWith('tsam');
      return {
        id: nid,
        version,
        reportedVersion: tsam ? `tsam 0.1.0` : version === '0.28.1' ? '0.28.1+ds' : version,
        impl: tsam ? 'tsam' : 'alertmanager',
        externalURL: `http://127.0.0.1:${19093 + i * 10}/`,
        apiURL: `http://127.0.0.1:${19093 + i * 10}/api/v2`,
        peerName: spec.clustered ? nid : undefined,
        source: tsam ? 'tsam (built in)' : version === '0.25.0' ? 'system: /usr/bin/prometheus-alertmanager' : `debian: .amchaos-cache/${version}/usr/bin/prometheus-alertmanager`,
      };
    });
    const versionOf = (node: NodeId): string => spec.versions[nodeIds.indexOf(node)] ?? 'tsam';
    const receiver = 'webhook';
    const start = this.push(at(0), {
      type: 'scenario.start',
      scenario: id,
      suite: spec.suite,
      seed: this.seed,
      runtime: spec.faults.some((f) => f.kind === 'partition') ? 'netns' : 'process',
      nodes,
      timers: TIMERS,
      sendResolved: { [receiver]: true },
      repeatIntervalMs: { [receiver]: TIMERS.repeatIntervalMs },
    });
    this.push(at(1), { type: 'phase', phase: 'resolve' });
    this.push(at(5), { type: 'phase', phase: 'start' });
    for (const [i, nid] of nodeIds.entries()) {
      const v = versionOf(nid);
      this.push(at(10 + i * 40), { type: 'node', node: nid, state: 'starting', pid: 4100 + i });
      this.log(logOf(nid), v, at(12 + i * 40), 'info', undefined, 'Starting Alertmanager', { version: `(version=${v}, branch=debian/sid)` });
      this.log(logOf(nid), v, at(15 + i * 40), 'info', 'cluster', 'Waiting for gossip to settle...', { interval: '2s' });
      this.push(at(60 + i * 40), { type: 'node', node: nid, state: 'started', pid: 4100 + i });
    }
    const checks: CheckResult[] = [];
    let verdict: Verdict = 'unknown';
    let durationMs = spec.durationMs;
    if (spec.error) {
      this.push(at(300), { type: 'node', node: 'n2', state: 'exited', exit: { code: 1, signal: null }, message: spec.error.message });
      this.log(logOf('n2'), 'tsam', at(290), 'error', 'cluster', 'failed to join cluster', { err: 'bind: address already in use' });
      this.push(at(320), { type: 'phase', phase: 'teardown' });
      durationMs = 400;
    } else {
      const result = this.drive(spec, nodeIds, at, logOf, versionOf, receiver);
      checks.push(...result.checks);
    }
    const outcome = scenarioOutcome(checks, spec.error);
    verdict = verdictOf(outcome);
    const allExpected = outcome === 'expected-failure';
    const checkSummaries: CheckSummary[] = checks.map((c) => ({ ...c, evidenceCount: c.evidence.length, evidence: c.evidence }));
    const notifications = this.events.slice(first).filter((e) => e.type === 'notification').length;
    this.scenarios.push({
      id,
      suite: spec.suite,
      versions: spec.versions,
      runtime: (start as { runtime: string }).runtime,
      clustered: spec.clustered,
      seed: this.seed,
      outcome,
      verdict,
      expectedFailure: allExpected ? checks.find((c) => c.expectedFailure)?.expectedFailure : undefined,
      nodes,
      timers: TIMERS,
      checks: checkSummaries,
      startedAt: new Date(this.wall0 + base).toISOString(),
      durationMs,
      historyRange: [first, this.events.length - 1],
      logs: Object.fromEntries(nodeIds.map((nid) => [nid, logOf(nid)])),
      figures: {
        notifications,
        nodes: n,
        // The shape suites/latency-sweep.ts records: probes in bisection order, the threshold, the timer.
        ...(spec.latencySweep
          ? {
              peerTimeoutMs: TIMERS.peerTimeoutMs,
              latencyThresholdMs: 400,
              latencySweep: [
                { latencyMs: 1000, duplicates: 3, transitions: 2, minPeers: 2 },
                { latencyMs: 500, duplicates: 2, transitions: 2, minPeers: 3 },
                { latencyMs: 250, duplicates: 0, transitions: 2, minPeers: 3 },
                { latencyMs: 375, duplicates: 0, transitions: 2, minPeers: 3 },
                { latencyMs: 400, duplicates: 1, transitions: 2, minPeers: 3 },
              ],
            }
          : {}),
      },
      error: spec.error,
    });
    this.clock = base + durationMs + 2000;
  }

  private drive(
    spec: ScenarioSpec,
    nodeIds: NodeId[],
    at: (ms: number) => number,
    logOf: (n: NodeId) => string,
    versionOf: (n: NodeId) => string,
    receiver: string,
  ): { checks: CheckResult[] } {
    const r = this.rand;
    // Queue of timed actions, executed in time order so seq order is time order.
    const queue: { t: number; order: number; run: () => void }[] = [];
    let order = 0;
    const schedule = (t: number, run: () => void): void => void queue.push({ t, order: order++, run });

    // Readiness and status samples.
    const readyAt = 2200;
    for (const [i, nid] of nodeIds.entries()) {
      schedule(readyAt + i * 30, () => {
        this.push(at(readyAt + i * 30), { type: 'node', node: nid, state: 'ready' });
        this.log(logOf(nid), versionOf(nid), at(readyAt + i * 30 - 5), 'info', 'cluster', spec.clustered ? 'gossip settled; proceeding' : 'cluster disabled');
      });
    }
    schedule(readyAt + 200, () => this.push(at(readyAt + 200), { type: 'phase', phase: 'drive' }));
    const faultAt = (node: NodeId, t: number): FaultSpec | undefined => spec.faults.find((f) => t >= f.at && t < f.until && (f.nodes?.includes(node) ?? true));
    const killedAt = (node: NodeId, t: number): boolean => spec.faults.some((f) => f.kind === 'kill' && f.nodes?.includes(node) && t >= f.at && t < f.until);
    const componentOf = (node: NodeId, t: number): NodeId[] => {
      if (!spec.clustered) return [node];
      // Peers notice a partition after about a peer timeout, and re-merge about a push-pull later.
      const f = spec.faults.find((x) => x.components && t >= x.at + TIMERS.peerTimeoutMs && t < x.until + TIMERS.pushPullIntervalMs);
      let members = f?.components?.find((c) => c.includes(node)) ?? nodeIds;
      members = members.filter((m) => !spec.faults.some((k) => k.kind === 'kill' && k.nodes?.includes(m) && t >= k.at + TIMERS.peerTimeoutMs && t < k.until + 1500));
      return members;
    };
    for (let t = 500; t < spec.durationMs; t += spec.sampleEveryMs) {
      for (const nid of nodeIds) {
        const ts = t + Math.round(r() * 40);
        schedule(ts, () => {
          if (killedAt(nid, ts)) this.push(at(ts), { type: 'status.sample', node: nid, clusterStatus: 'unreachable', peers: [] });
          else
            this.push(at(ts), {
              type: 'status.sample',
              node: nid,
              clusterStatus: !spec.clustered ? 'disabled' : ts < readyAt ? 'settling' : 'ready',
              peers: spec.clustered ? componentOf(nid, ts).map((p) => `01HZ${p.toUpperCase()}PEERNAME`) : [],
            });
        });
      }
    }
    // Faults.
    spec.faults.forEach((f, k) => {
      schedule(f.at - 20, () => this.push(at(f.at - 20), { type: 'fault', fault: k + 1, state: 'requested', kind: f.kind, description: f.description, components: f.components, nodes: f.nodes }));
      schedule(f.at, () => {
        this.push(at(f.at), { type: 'fault', fault: k + 1, state: 'applied', kind: f.kind, description: f.description, components: f.components, nodes: f.nodes });
        if (f.kind === 'kill') for (const nid of f.nodes ?? []) this.push(at(f.at + 1), { type: 'node', node: nid, state: 'killed', exit: { code: null, signal: 'SIGKILL' } });
      });
      if (f.kind === 'partition') {
        for (const nid of nodeIds) {
          const others = nodeIds.filter((o) => !(f.components?.find((c) => c.includes(nid)) ?? nodeIds).includes(o));
          for (const o of others) {
            schedule(f.at + TIMERS.peerTimeoutMs, () =>
              this.log(logOf(nid), versionOf(nid), at(f.at + TIMERS.peerTimeoutMs), 'debug', 'cluster', `memberlist: Suspect ${o} has failed, no acks received`, {}),
            );
            schedule(f.until + 600, () => this.log(logOf(nid), versionOf(nid), at(f.until + 600), 'debug', 'cluster', 'memberlist: Stream connection', { from: `127.0.0.1:${40000 + Math.floor(r() * 9999)}` }));
          }
        }
      }
      schedule(f.until, () => {
        if (f.kind === 'kill')
          for (const nid of f.nodes ?? []) {
            this.push(at(f.until - 500), { type: 'node', node: nid, state: 'starting', pid: 5100 });
            this.push(at(f.until - 100), { type: 'node', node: nid, state: 'ready', pid: 5100 });
            this.log(logOf(nid), versionOf(nid), at(f.until - 480), 'info', undefined, 'Starting Alertmanager', { version: versionOf(nid) });
          }
        this.push(at(f.until), { type: 'fault', fault: k + 1, state: 'removed', kind: f.kind, description: f.description, components: f.components, nodes: f.nodes });
      });
    });
    // Silence operations.
    let silenceDelays: number[] = [];
    if (spec.silence) {
      const s = spec.silence;
      schedule(s.at, () => {
        const op = this.events.length;
        this.push(at(s.at), { type: 'op.invoke', op, kind: 'silence.create', node: s.node, value: { matchers: [{ name: 'alertname', value: 'Maintenance', isRegex: false }], createdBy: 'amchaos' } });
        this.push(at(s.at + 12), { type: 'op.complete', op, kind: 'silence.create', node: s.node, ok: true, value: { silenceID: 'a1b2c3d4-0000-4000-8000-000000000001' } });
      });
      silenceDelays = nodeIds.map((nid) => (nid === s.node ? 12 : 180 + Math.round(r() * 400)));
      nodeIds.forEach((nid, i) =>
        schedule(s.at + (silenceDelays[i] ?? 0), () => this.push(at(s.at + (silenceDelays[i] ?? 0)), { type: 'silences.sample', node: nid, active: ['a1b2c3d4-0000-4000-8000-000000000001'], expired: [] })),
      );
    }
    // Workload and notifications.
    const transitions: Transition[] = [];
    let group = 0;
    for (const wave of spec.waves) {
      const groups: number[] = [];
      for (let k = 0; k < spec.groupsPerWave; k++) groups.push(group++);
      for (const [phase, when] of [
        ['firing', wave],
        ['resolved', wave + spec.resolveAfterMs],
      ] as const) {
        if (when >= spec.durationMs - 3000) continue;
        schedule(when, () => {
          const alerts = groups.map((g) => this.labels(spec, g));
          for (const labels of alerts)
            this.push(at(when), { type: phase === 'firing' ? 'alert.fire' : 'alert.resolve', alert: labelKey(labels), labels, targets: nodeIds });
          for (const nid of nodeIds) {
            const op = this.events.length;
            this.push(at(when + 1), {
              type: 'op.invoke',
              op,
              kind: 'alerts.post',
              node: nid,
              value: alerts.map((labels) => ({ labels, ...(phase === 'resolved' ? { endsAt: new Date(this.wall0 + at(when)).toISOString() } : {}) })),
            });
            const down = killedAt(nid, when);
            this.push(at(when + 4 + r() * 6), {
              type: 'op.complete',
              op,
              kind: 'alerts.post',
              node: nid,
              ok: down ? false : true,
              ...(down ? { error: 'connect ECONNREFUSED 127.0.0.1' } : {}),
            });
          }
        });
        for (const g of groups) {
          const labels = this.labels(spec, g);
          const groupKey = `{}:{alertname=${JSON.stringify(labels['alertname'])}}`;
          const tr: Transition = { group: g, groupKey, status: phase, at: when, seqs: [], senders: [], inFault: undefined };
          transitions.push(tr);
          // Who notifies: per connected component, the lowest-positioned live node, after
          // group_wait + position × peer_timeout (Alertmanager's HA wait).
          const flush = when + TIMERS.groupWaitMs;
          const live = nodeIds.filter((nid) => !killedAt(nid, flush));
          const senders = new Set<NodeId>();
          for (const nid of live) {
            const comp = componentOf(nid, flush).filter((m) => live.includes(m));
            if (comp[0] === nid) senders.add(nid);
          }
          const extra = spec.extraSender?.(g);
          if (extra && live.includes(extra)) senders.add(extra);
          tr.inFault = spec.faults.find((f) => flush >= f.at && flush < f.until + TIMERS.pushPullIntervalMs);
          for (const sender of senders) {
            const pos = nodeIds.indexOf(sender) - nodeIds.indexOf(componentOf(sender, flush)[0] ?? sender);
            const lat = spec.faults.find((f) => f.kind === 'latency' && flush >= f.at && flush < f.until) ? 400 : 0;
            const tn = flush + Math.max(0, pos) * TIMERS.peerTimeoutMs + 5 + r() * 60 + lat;
            // A faulted receiver answers 503; Alertmanager retries until it gets a 200.
            const down = spec.faults.find((f) => f.kind === 'receiver' && tn >= f.at && tn < f.until);
            schedule(tn, () => {
              this.log(logOf(sender), versionOf(sender), at(tn - 3), 'debug', 'dispatcher', 'flushing', { aggrGroup: groupKey, alerts: `[${labels['alertname']}[${phase}]]` });
              if (down) {
                this.notification(at(tn), sender, receiver, groupKey, phase, labels, spec, 503);
                this.log(logOf(sender), versionOf(sender), at(tn + 2), 'warn', 'dispatcher', 'Notify attempt failed, will retry later', { receiver, integration: 'webhook[0]', attempts: 1, err: 'unexpected status code 503' });
              }
            });
            const ok = down ? down.until + 100 + r() * 200 : tn;
            schedule(ok, () => {
              const ev = this.notification(at(ok), sender, receiver, groupKey, phase, labels, spec);
              tr.seqs.push(ev.seq);
              tr.senders.push(sender);
              this.log(logOf(sender), versionOf(sender), at(ok + 2), 'debug', 'dispatcher', 'Notify success', { receiver, integration: 'webhook[0]', attempts: down ? 2 : 1 });
              if (spec.clustered) this.log(logOf(sender), versionOf(sender), at(ok + 4), 'debug', 'nflog', 'gossiping new entry', { entry: `${groupKey}/${phase}` });
            });
          }
        }
      }
    }
    schedule(spec.durationMs - 3000, () => this.push(at(spec.durationMs - 3000), { type: 'phase', phase: 'quiesce' }));
    schedule(spec.durationMs - 100, () => this.push(at(spec.durationMs - 100), { type: 'phase', phase: 'check' }));
    schedule(spec.durationMs, () => {
      this.push(at(spec.durationMs), { type: 'phase', phase: 'teardown' });
      for (const nid of nodeIds) {
        this.push(at(spec.durationMs + 50), { type: 'node', node: nid, state: 'stopped', exit: { code: 0, signal: 'SIGTERM' } });
        this.log(logOf(nid), versionOf(nid), at(spec.durationMs + 40), 'info', undefined, 'Received SIGTERM, exiting gracefully...');
      }
    });
    queue.sort((a, b) => a.t - b.t || a.order - b.order);
    for (const q of queue) q.run();
    return { checks: this.checks(spec, nodeIds, transitions, silenceDelays, receiver) };
  }

  private labels(spec: ScenarioSpec, g: number): LabelSet {
    return { alertname: spec.alertName?.(g) ?? `Alert${String(g).padStart(4, '0')}`, ...(spec.extraLabels ?? { severity: g % 3 === 0 ? 'page' : 'ticket' }) };
  }

  private notification(t: number, sender: NodeId, receiver: string, groupKey: string, status: 'firing' | 'resolved', labels: LabelSet, spec: ScenarioSpec, answered = 200): NotificationEvent {
    const idx = Number(sender.slice(1)) - 1;
    const alert: NotifiedAlert = {
      status,
      labels,
      key: labelKey(labels),
      fingerprint: fingerprint(labelKey(labels)),
      startsAt: new Date(this.wall0 + t - 2000).toISOString(),
      endsAt: status === 'resolved' ? new Date(this.wall0 + t - 500).toISOString() : '0001-01-01T00:00:00Z',
    };
    const version = spec.versions[idx] ?? 'tsam';
    return this.push(t, {
      type: 'notification',
      id: ++this.notificationId,
      receiver,
      groupKey,
      status,
      sender,
      externalURL: `http://127.0.0.1:${19093 + idx * 10}/`,
      userAgent: version.startsWith('tsam') ? 'tsam/0.1.0' : `Alertmanager/${version}`,
      alerts: [alert],
      groupLabels: { alertname: labels['alertname'] ?? '' },
      truncatedAlerts: 0,
      answered,
      delivered: answered === 200,
    }) as NotificationEvent;
  }

  private checks(spec: ScenarioSpec, nodeIds: NodeId[], transitions: Transition[], silenceDelays: number[], receiver: string): CheckResult[] {
    const out: CheckResult[] = [];
    const lost = transitions.filter((t) => t.seqs.length === 0);
    out.push({
      name: 'no-loss',
      verdict: lost.length === 0 ? 'pass' : 'fail',
      summary: lost.length === 0 ? `all ${transitions.length} group transitions were notified` : `${lost.length} of ${transitions.length} group transitions were never notified`,
      figures: { transitions: transitions.length, lost: lost.length },
      evidence: lost.map((t) => ({ kind: 'lost', message: `${t.groupKey} ${t.status} was never notified`, events: [], data: { groupKey: t.groupKey, status: t.status, receiver } })),
    });
    // Exactly once counts only healthy periods; partitions are at-most-k's business.
    const healthy = transitions.filter((t) => !t.inFault || t.inFault.kind === 'latency' || t.inFault.kind === 'receiver');
    const dupes = healthy.filter((t) => t.seqs.length > 1);
    const extra = dupes.reduce((s, t) => s + t.seqs.length - 1, 0);
    const evidence: Evidence[] = dupes.map((t) => ({
      kind: 'duplicate',
      message: `${t.groupKey} ${t.status} notified ${t.seqs.length}× (by ${t.senders.join(', ')}); expected once`,
      events: t.seqs,
      data: { groupKey: t.groupKey, receiver, status: t.status, senders: t.senders, count: t.seqs.length },
    }));
    const eoFigures: CheckResult['figures'] = { transitions: healthy.length, notifications: healthy.reduce((s, t) => s + t.seqs.length, 0), duplicates: extra };
    if (spec.latencySweep) {
      eoFigures['sweepLatenciesMs'] = [0, 100, 200, 400, 800];
      eoFigures['latencyThresholdMs'] = 400;
    }
    const eo: CheckResult = {
      name: 'exactly-once',
      verdict: spec.clustered ? (dupes.length === 0 ? 'pass' : 'fail') : 'fail',
      summary:
        dupes.length === 0
          ? `each of ${healthy.length} transitions notified exactly once${spec.latencySweep ? '; duplicates start at 400 ms link latency' : ''}`
          : `${extra} duplicate notification${extra === 1 ? '' : 's'} in ${dupes.length} of ${healthy.length} transitions`,
      figures: eoFigures,
      evidence,
    };
    if (spec.expectedFailure?.check === 'exactly-once' && eo.verdict === 'fail') eo.expectedFailure = spec.expectedFailure.reason;
    out.push(eo);
    if (spec.faults.some((f) => f.components)) {
      const during = transitions.filter((t) => t.inFault?.components);
      const worst = during.reduce((m, t) => Math.max(m, t.seqs.length), 0);
      const k = Math.max(...spec.faults.map((f) => f.components?.length ?? 1));
      out.push({
        name: 'at-most-k',
        verdict: during.length === 0 ? 'unknown' : worst <= k ? 'pass' : 'fail',
        summary: during.length === 0 ? 'no transition happened during a partition' : `at most ${worst} notifications per transition during partitions into ${k} components`,
        figures: { transitionsDuringPartition: during.length, maxPerTransition: worst, k },
        evidence: during
          .filter((t) => t.seqs.length > 1)
          .slice(0, 5)
          .map((t) => ({ kind: 'partition-duplicate', message: `${t.groupKey} ${t.status} notified by each side (${t.senders.join(', ')}) during "${t.inFault?.description}" — allowed`, events: t.seqs, data: { senders: t.senders } })),
      });
    }
    if (spec.clustered) {
      const heals = spec.faults.filter((f) => f.kind === 'partition' || f.kind === 'kill');
      out.push({
        name: 'convergence',
        verdict: 'pass',
        summary: heals.length === 0 ? `all ${nodeIds.length} nodes saw ${nodeIds.length} peers` : `after each heal all ${nodeIds.length} nodes saw ${nodeIds.length} peers within ${TIMERS.pushPullIntervalMs + 500} ms`,
        figures: { convergenceMs: heals.map(() => TIMERS.pushPullIntervalMs + Math.round(this.rand() * 500)), peers: nodeIds.length },
        evidence: [],
      });
    }
    if (spec.silence) {
      const sorted = [...silenceDelays].sort((a, b) => a - b);
      out.push({
        name: 'silence-propagation',
        verdict: (sorted[sorted.length - 1] ?? 0) <= TIMERS.silencePropagationMs ? 'pass' : 'fail',
        summary: `silence listed by all ${nodeIds.length} nodes within ${sorted[sorted.length - 1]} ms (limit ${TIMERS.silencePropagationMs} ms)`,
        figures: { propagationDelaysMs: silenceDelays, maxDelayMs: sorted[sorted.length - 1] ?? null, limitMs: TIMERS.silencePropagationMs },
        evidence: [],
      });
    }
    return out;
  }

  async write(runDir: string, runId: string, kind: FixtureKind): Promise<void> {
    await writeFile(join(runDir, 'history.jsonl'), this.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    for (const [rel, lines] of this.logs) {
      const file = join(runDir, rel);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, lines.join('\n') + '\n');
    }
    const outcome = runOutcome(this.scenarios);
    const last = this.events[this.events.length - 1];
    const summary: RunSummary = {
      schema: 2,
      runId,
      outcome,
      verdict: verdictOf(outcome),
      command: ['amchaos', 'run', '--suite', kind === 'no-cluster' ? 'control,exactly-once' : kind === 'large' ? 'soak' : kind === 'partition' ? 'partition,latency' : 'exactly-once', '--seed', String(this.seed)],
      seed: this.seed,
      startedAt: new Date(this.wall0).toISOString(),
      finishedAt: new Date(this.wall0 + (last?.t ?? 0) + 500).toISOString(),
      durationMs: Math.round((last?.t ?? 0) + 500),
      machine: { hostname: 'ci-runner-7', platform: 'linux', arch: 'x64', cpus: 2, memoryBytes: 24 * 1024 ** 3, node: 'v20.19.5', kernel: '6.1.0-28-amd64' },
      scenarios: this.scenarios,
      files: { history: 'history.jsonl', junit: 'junit.xml', html: 'index.html', logsDir: 'logs' },
    };
    await writeFile(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
}

function clusterLabel(versions: string[], clustered: boolean): string {
  const same = versions.every((v) => v === versions[0]);
  const label = same ? `${versions[0]}x${versions.length}` : versions.join('+');
  return clustered ? label : `${label}-no-cluster`;
}

/** A stable 16-hex-digit stand-in for Alertmanager's label fingerprint (FNV-1a 64). */
function fingerprint(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(s)) {
    h ^= BigInt(c);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}
