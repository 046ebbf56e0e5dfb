import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import type { ScenarioView } from '../src/checkers/scenario.js';
import type { Evidence } from '../src/checkers/types.js';
import { evidenceSpan, type KnownBehaviour } from '../src/checkers/expectations.js';
import { combineDecisions, decision, duplicates, FAILURE_MODES, PHASE_LABEL, phaseKeys, phaseNotifications, type Claim, type ClaimDecision } from '../src/claims/index.js';
import { labelKey, type LabelSet } from '../src/history/types.js';
import type { PostableAlert } from '../src/client/types.js';
import type { ScenarioContext, SuiteDefinition } from '../src/run/suite.js';
import { formatGoDuration } from '../src/topology/timers.js';
import { countDuplicates, mark, phaseAlerts, phaseRoutesConfig, windows } from '../src/steps/index.js';

/**
 * The load steps (alerts fired in each, kept firing: the load accumulates); the first is the
 * control. Measured on 0.25.0: 100 alerts in 10 groups flushed at once already had 3 groups notified
 * twice (the last position found no entry 4 s later), so the control is one group.
 */
export const LOAD_STEPS = [10, 100, 1_000, 10_000] as const;
/** Alerts per group: 10,000 alerts are 1,000 groups. */
export const ALERTS_PER_GROUP = 10;
/** The resend interval of the bulk source (endsAt = 4 × it): posting 11,100 alerts to three nodes takes a while. */
export const LOAD_RESEND_MS = 5_000;
/** Posts carry this many alerts. */
const BATCH = 1_000;

/** The queue-related metrics read from every node after each step (those a version does not expose are absent). */
export const LOAD_METRICS = [
  'alertmanager_cluster_messages_queued',
  'alertmanager_cluster_messages_pruned_total',
  'alertmanager_cluster_messages_sent_total',
  'alertmanager_cluster_messages_received_total',
  'alertmanager_oversize_gossip_message_duration_seconds_count',
  'alertmanager_oversized_gossip_message_sent_total',
  'alertmanager_oversized_gossip_message_failure_total',
  'alertmanager_oversized_gossip_message_dropped_total',
  'alertmanager_nflog_gossip_messages_propagated_total',
] as const;

const DROP_LINE = 'dropping messages because too many are queued';

export function loadPhase(n: number): string {
  return `load-${n}`;
}

/** `n` alerts in groups of ALERTS_PER_GROUP, labelled for their phase. */
export function loadAlerts(n: number): LabelSet[] {
  const out: LabelSet[] = [];
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / ALERTS_PER_GROUP);
    out.push({ alertname: `Load${g % 50}`, group: `lg${g}`, instance: `i${i % ALERTS_PER_GROUP}`, severity: 'warning' });
  }
  return phaseAlerts(out, loadPhase(n));
}

/** Alerts of the phase never delivered firing (all of them were fired long enough: the suite holds them). */
function neverNotified(view: ScenarioView, phase: string): ClaimDecision {
  const keys = phaseKeys(view, phase);
  if (keys.size === 0) return decision('unknown', `phase "${phase}" fired no alerts`);
  const got = new Set<string>();
  for (const n of phaseNotifications(view, phase)) if (n.delivered) for (const a of n.alerts) if (a.status === 'firing') got.add(a.key);
  const missing = [...keys].filter((k) => !got.has(k));
  // A claim's own counts (not scenario figures).
  const counts = { alerts: keys.size, neverNotified: missing.length };
  if (missing.length === 0) return decision('not-reproduced', `every one of ${keys.size} alert(s) of phase "${phase}" was notified firing`, [], counts);
  const ev: Evidence[] = [{ kind: 'never-notified', message: `${missing.length} of ${keys.size} alert(s) of phase "${phase}" were never notified firing (first: ${missing[0]})`, events: [], data: { alerts: missing.slice(0, 50) } }];
  return decision('reproduced', `${missing.length} of ${keys.size} alert(s) never notified firing`, ev, counts);
}

/** When the first alert of the first step above the control was fired: the control is judged until then. */
export function heavyLoadFrom(view: ScenarioView): number | undefined {
  const phase = loadPhase(LOAD_STEPS[1]);
  return view.intents.find((e) => e.type === 'alert.fire' && e.labels[PHASE_LABEL] === phase)?.t;
}

/** Duplicates once the suite's heavy load started: the condition the suite injected (loss is never excused). */
export const underInjectedLoad: KnownBehaviour = {
  id: 'gossip-load',
  checks: ['exactly-once', 'validity'],
  expected: true,
  explain(view, e) {
    const from = heavyLoadFrom(view);
    const span = evidenceSpan(e);
    if (from === undefined || !span || span.first < from) return undefined;
    return `${GOSSIP_LOAD_UPSTREAM} — after the suite's load of ${LOAD_STEPS[1]}+ alerts started (t=${(from / 1000).toFixed(1)}s)`;
  },
};

export const GOSSIP_LOAD_UPSTREAM =
  'thousands of groups with a short repeat_interval: every notification and repeat is an nflog broadcast; the gossip queue backs up, entries reach later positions after their wait, and they notify too (upstream #1412, #2440, #4152)';

function gossipLoadClaim(): Claim {
  const dup = duplicates({ what: 'under load' });
  const controlDup = duplicates({ until: heavyLoadFrom });
  const part = (view: ScenarioView, n: number, d = dup) => {
    const phase = loadPhase(n);
    return { phase, d: combineDecisions([{ phase: `${phase} duplicates`, d: d(view, phase) }, { phase: `${phase} loss`, d: neverNotified(view, phase) }]) };
  };
  return {
    mode: FAILURE_MODES.gossipLoad,
    statement: `with thousands of alerts and groups and a short repeat_interval, the cluster stops notifying exactly once: a transition delivered twice within repeat_interval, or an alert never notified (steps ${LOAD_STEPS.slice(1).join(', ')} alerts)`,
    control: `a light load (${LOAD_STEPS[0]} alerts) on the same cluster: every transition once, every alert notified`,
    decide({ view }) {
      return { fault: combineDecisions(LOAD_STEPS.slice(1).map((n) => part(view, n))), control: part(view, LOAD_STEPS[0], controlDup).d };
    },
  };
}

/** The metrics of LOAD_METRICS one node exposes, summed over label sets. */
async function scrape(ctx: ScenarioContext, url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const res = await request(`${url.replace(/\/$/, '')}/metrics`, { headersTimeout: 5_000, bodyTimeout: 5_000, signal: ctx.signal });
    const text = await res.body.text();
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([^\s]+)/.exec(line);
      if (!m || !(LOAD_METRICS as readonly string[]).includes(m[1]!)) continue;
      out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[3]);
    }
  } catch {
    // A node too busy to answer within 5 s says so by its absent figures.
  }
  return out;
}

/**
 * A bulk alert source: fires the alerts (alert.fire intents, which the checkers read) and re-posts
 * every firing alert to every node each LOAD_RESEND_MS, unrecorded — recording 11,100 alerts per
 * post as operations would grow the history by megabytes a second. Post failures are counted.
 */
class BulkSource {
  private readonly firing: { labels: LabelSet; startsAt: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  posts = 0;
  failedPosts = 0;

  constructor(private readonly ctx: ScenarioContext) {}

  async fire(alerts: readonly LabelSet[]): Promise<void> {
    const startsAt = this.ctx.history.clock.wallAt(this.ctx.history.clock.now()).toISOString();
    const targets = this.ctx.nodes.map((n) => n.id);
    for (const labels of alerts) {
      this.ctx.history.append({ type: 'alert.fire', alert: labelKey(labels), labels, targets });
      this.firing.push({ labels, startsAt });
    }
    await this.postAll();
    this.timer ??= setInterval(() => void this.postAll(), LOAD_RESEND_MS);
  }

  private async postAll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const endsAt = new Date(this.ctx.history.clock.wallAt(this.ctx.history.clock.now()).getTime() + 4 * LOAD_RESEND_MS).toISOString();
      const all: PostableAlert[] = this.firing.map((a) => ({ labels: a.labels, startsAt: a.startsAt, endsAt }));
      await Promise.all(
        this.ctx.nodes.map(async (n) => {
          for (let i = 0; i < all.length; i += BATCH) {
            this.posts++;
            await n.client.postAlerts(all.slice(i, i + BATCH), { timeoutMs: 30_000 }).catch(() => this.failedPosts++);
          }
        }),
      );
    } finally {
      this.busy = false;
    }
  }

  /** Resolves every alert: alert.resolve intents, then endsAt = now posted to every node. */
  async resolveAll(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
    const now = this.ctx.history.clock.wallAt(this.ctx.history.clock.now()).toISOString();
    const targets = this.ctx.nodes.map((n) => n.id);
    for (const a of this.firing) this.ctx.history.append({ type: 'alert.resolve', alert: labelKey(a.labels), labels: a.labels, targets });
    const all: PostableAlert[] = this.firing.map((a) => ({ labels: a.labels, startsAt: a.startsAt, endsAt: now }));
    this.firing.length = 0;
    await Promise.all(
      this.ctx.nodes.map(async (n) => {
        for (let i = 0; i < all.length; i += BATCH) {
          this.posts++;
          await n.client.postAlerts(all.slice(i, i + BATCH), { timeoutMs: 30_000 }).catch(() => this.failedPosts++);
        }
      }),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * gossip-load (reference §3 row 12): thousands of alerts in thousands of groups with a short
 * repeat_interval: every notification is an nflog entry broadcast to every peer, every repeat
 * another. Steps of 10 (the control: one group), 100, 1,000 and 10,000 alerts (groups of 10; the
 * load accumulates: 11,110 alerts in 1,111 groups at the end), each watched through a repeat_interval
 * (2 × group_interval). After each step every node's queue metrics are read from /metrics
 * (`alertmanager_cluster_messages_queued`, pruned, oversized — what the version exposes) and the
 * logs are searched for "dropping messages because too many are queued". Memberlist prunes its
 * queue to 4096 messages only on a 15-minute tick, so that line cannot appear in a run this short:
 * the queue depth is the measurable part. Figures: per step, duplicates, alerts never notified,
 * the queues; and the largest load that stayed exactly-once.
 *
 * The claim: a transition delivered twice within repeat_interval, or an alert never notified, at a
 * load step above the control (the control's groups are judged until the first heavy step). The
 * duplicates once the heavy load started are the injected condition (expected); an alert never
 * notified stays a failure (no-loss). Runs alone in the catalogue (it loads the machine).
 */
export interface GossipLoadFigures {
  steps: { alerts: number; totalFiring: number; groups: number; duplicates: number; neverNotified: number; metrics: Record<string, Record<string, number>> }[];
  largestExactlyOnceLoad: number | null;
  droppingLogLines: number;
  posts: number;
  failedPosts: number;
}

export const gossipLoad: SuiteDefinition<GossipLoadFigures> = {
  name: 'gossip-load',
  summary: 'thousands of alerts and groups (10 → 100 → 1,000 → 10,000 alerts) with a short repeat_interval: queue metrics, duplicates and loss per step, the largest load that stays exactly-once',
  checks: ['no-loss', 'exactly-once', 'validity'],
  timers: { resendIntervalMs: LOAD_RESEND_MS },
  config: (t) => phaseRoutesConfig(t, LOAD_STEPS.map((n) => ({ phase: loadPhase(n), repeatIntervalMs: 2 * t.groupIntervalMs }))),
  catalogue: { exclusive: true },
  // Every duplicate must be looked at to call the failure expected (a truncated list never is).
  checkOptions: { 'exactly-once': { maxEvidence: 20_000 }, validity: { maxEvidence: 20_000 } },
  knownBehaviours: [underInjectedLoad],
  claim: gossipLoadClaim(),
  async drive(ctx) {
    const source = new BulkSource(ctx);
    try {
      const w = windows(ctx);
      const steps: GossipLoadFigures['steps'] = [];
      let total = 0;
      for (const n of LOAD_STEPS) {
        const alerts = loadAlerts(n);
        total += n;
        const firedAt = ctx.history.clock.now();
        await source.fire(alerts);
        mark(ctx, `${loadPhase(n)}: fired ${n} alerts in ${n / ALERTS_PER_GROUP} groups (${total} firing in all), repeat_interval ${formatGoDuration(2 * ctx.timers.groupIntervalMs)}`);
        // Through the first notification and one repeat of every group.
        await ctx.sleep(Math.max(0, firedAt + w.firstDelivery + 2 * ctx.timers.groupIntervalMs + w.duplicateWindow - ctx.history.clock.now()));
        const keys = new Set(alerts.map(labelKey));
        const ns = ctx.notifications().filter((x) => x.t >= firedAt && x.alerts.some((a) => keys.has(a.key)));
        const notified = new Set<string>();
        for (const x of ns) if (x.delivered) for (const a of x.alerts) if (a.status === 'firing' && keys.has(a.key)) notified.add(a.key);
        const dup = countDuplicates(ctx, keys, { from: firedAt });
        const metrics: Record<string, Record<string, number>> = {};
        for (const node of ctx.nodes) metrics[node.id] = await scrape(ctx, node.runtime.apiURL);
        steps.push({ alerts: n, totalFiring: total, groups: n / ALERTS_PER_GROUP, duplicates: dup.duplicates, neverNotified: keys.size - notified.size, metrics });
        mark(ctx, `${loadPhase(n)}: ${dup.duplicates} duplicate(s), ${keys.size - notified.size} alert(s) not notified; queued: ${ctx.nodes.map((x) => `${x.id} ${metrics[x.id]!['alertmanager_cluster_messages_queued'] ?? '—'}`).join(', ')}`);
      }
      ctx.figures['steps'] = steps;
      const clean = steps.filter((s) => s.duplicates === 0 && s.neverNotified === 0).map((s) => s.alerts);
      let largest: number | null = null;
      for (const s of steps) {
        if (s.duplicates === 0 && s.neverNotified === 0) largest = s.totalFiring;
        else break;
      }
      ctx.figures['largestExactlyOnceLoad'] = clean.length > 0 ? largest : null;
      let lines = 0;
      for (const node of ctx.nodes) lines += (await readFile(node.runtime.logFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes(DROP_LINE)).length;
      ctx.figures['droppingLogLines'] = lines;
      await source.resolveAll();
      mark(ctx, 'resolved every alert');
      await ctx.sleep(w.resolveDelivery + w.duplicateWindow);
      ctx.figures['posts'] = source.posts;
      ctx.figures['failedPosts'] = source.failedPosts;
    } finally {
      source.stop();
    }
  },
};
