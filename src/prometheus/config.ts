import { isMap, parseDocument, stringify } from 'yaml';
import { AmchaosError } from '../errors/index.js';
import type { LabelSet } from '../history/types.js';
import { formatGoDuration, parseDuration } from '../topology/timers.js';

/**
 * Prometheus configuration of the alert source: the rule file (one alerting rule per alert of the
 * alert set, over the gauges the harness's exporter serves) and each replica's prometheus.yml —
 * generated, or the user's with its `alerting:` section and `alert_relabel_configs` kept and its
 * Alertmanager targets replaced by the cluster's nodes (their send taps). Pure: text in, text out.
 */

/** The gauge the exporter serves, one series per alert (labels = the alert's labels). */
export const ALERT_METRIC = 'amchaos_alert';
/** The scrape job of the exporter. */
export const EXPORTER_JOB = 'amchaos-exporter';
/** The replica label the generated config gives each replica (prometheus-operator calls it prometheus_replica). */
export const DEFAULT_REPLICA_LABEL = 'replica';

/**
 * Intervals the replicas run with: short, so suites take seconds. The evaluation interval is 2 s,
 * not 1 s: an alert group's flush ticks are phase-locked to the first POST that created it
 * (group_wait, then every group_interval — whole seconds), and so are Prometheus's sends (every
 * evaluation). With a 1 s evaluation every resolved POST lands within milliseconds of a flush
 * tick, some nodes see it before their tick and some after, and a later position sends a stale
 * firing after the resolved one (measured: docs/architecture.md). With 2 s, ticks fall half-way
 * between sends for every group_wait/group_interval that is an odd/even number of seconds.
 */
export interface SourceTimers {
  scrapeIntervalMs: number;
  evaluationIntervalMs: number;
  /** --rules.alert.resend-delay: below the evaluation interval, so every evaluation re-sends (endsAt = eval + 4 × max(eval, delay)). */
  resendDelayMs: number;
}

export const DEFAULT_SOURCE_TIMERS: SourceTimers = { scrapeIntervalMs: 1_000, evaluationIntervalMs: 2_000, resendDelayMs: 500 };

/** How one replica runs in a given setup (the healthy one, or one of a suite's mistakes). */
export interface ReplicaSetup {
  /** The Alertmanager nodes it sends to. */
  targets: string[];
  /** Every target directly, or one load-balanced address in front of them. */
  via: 'direct' | 'load-balancer';
  /** Whether the replica label is dropped by alert_relabel_configs (false: the mistake). */
  dropReplicaLabel: boolean;
  /** Evaluate the rules this much in the past (a mistake): PromQL `offset` in generated rules, `query_offset` in a user's. */
  evaluationOffsetMs?: number;
  /** Evaluate the rule group at this interval instead of the global one. */
  evaluationIntervalMs?: number;
  /** Every rule's `for:` (a mistake: replicas with different `for:`). */
  forMs?: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function bad(message: string, hint: string): AmchaosError {
  return new AmchaosError('AMCHAOS_BAD_ARGUMENT', message, { hint });
}

/**
 * The alert set must be expressible as Prometheus series and rules: label names Prometheus accepts
 * (not `__`-reserved), and an `alertname` that is a valid rule name. Checked before anything starts.
 */
export function checkAlertsForPrometheus(alerts: readonly LabelSet[]): void {
  for (const a of alerts) {
    const name = a['alertname'];
    if (name === undefined || !METRIC_NAME.test(name)) {
      throw bad(
        `alert ${JSON.stringify(a)}: with --source prometheus every alert needs an alertname Prometheus accepts as a rule name ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${JSON.stringify(name)}`,
        'Fix the alertname in the --alerts file, or run with --source workload.',
      );
    }
    for (const l of Object.keys(a)) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) {
        throw bad(`alert ${JSON.stringify(a)}: label name ${JSON.stringify(l)} is not one Prometheus accepts`, 'Label names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with __.');
      }
    }
  }
}

/** A PromQL string literal. */
function promString(v: string): string {
  return JSON.stringify(v);
}

/** The series selector of one alert's gauge: every label matched exactly. */
export function alertSelector(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  return `${ALERT_METRIC}{${names.map((n) => `${n}=${promString(labels[n]!)}`).join(',')}}`;
}

/** How a replica's rules differ from the rules as written (a suite's mistake). */
export interface RuleVariant {
  forMs?: number | undefined;
  offsetMs?: number | undefined;
  /** The group's evaluation interval. */
  intervalMs?: number | undefined;
}

export interface RuleSpec {
  labels: LabelSet;
  annotations?: LabelSet | undefined;
}

/** The harness's rule file: one alerting rule per alert, firing while its gauge is 1. */
export function generateRules(alerts: readonly RuleSpec[], o: RuleVariant = {}): string {
  const offset = o.offsetMs ? ` offset ${formatGoDuration(o.offsetMs)}` : '';
  const rules = alerts.map((a) => ({
    alert: a.labels['alertname']!,
    expr: `${alertSelector(a.labels)}${offset} == 1`,
    ...(o.forMs ? { for: formatGoDuration(o.forMs) } : {}),
    ...(a.annotations && Object.keys(a.annotations).length > 0 ? { annotations: a.annotations } : {}),
  }));
  return stringify({ groups: [{ name: 'amchaos', ...(o.intervalMs ? { interval: formatGoDuration(o.intervalMs) } : {}), rules }] });
}

/**
 * The harness's rules for an alert set: one alerting rule per alert name, selecting that name's
 * series of the gauge — each alert of the set is one series, so each becomes exactly one
 * Prometheus alert with exactly its labels (and alerts of a name added later need no new rule).
 */
export function rulesForAlertnames(names: Iterable<string>, o: RuleVariant = {}): string {
  return generateRules([...new Set(names)].sort().map((n) => ({ labels: { alertname: n } })), o);
}

/**
 * A user's rule file with a mistake applied: every rule's `for:` replaced, or every group
 * evaluated `offsetMs` in the past (`query_offset`, Prometheus ≥ 2.53). The text stays the user's otherwise.
 */
export function adjustUserRules(text: string, o: RuleVariant): string {
  const doc = parseDocument(text);
  const root = doc.toJS() as { groups?: { rules?: Record<string, unknown>[]; query_offset?: string; interval?: string }[] } | null;
  for (const g of root?.groups ?? []) {
    if (o.offsetMs) g.query_offset = formatGoDuration(o.offsetMs);
    if (o.intervalMs) g.interval = formatGoDuration(o.intervalMs);
    for (const r of g.rules ?? []) if (o.forMs && typeof r['alert'] === 'string') r['for'] = formatGoDuration(o.forMs);
  }
  return stringify(root);
}

/** What the user's prometheus.yml contributes (checked before anything starts). */
export interface UserPrometheusConfig {
  file: string;
  /** Its `alerting:` section as written. */
  alerting: Record<string, unknown>;
  externalLabels: LabelSet;
  /** The external label that tells the replicas apart (one whose name contains "replica"), or the harness's. */
  replicaLabel: string;
}

/** Parses a user's prometheus.yml; refuses one without an `alerting:` section. */
export function parseUserPrometheusConfig(text: string, file: string): UserPrometheusConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `--prometheus-config ${file}: ${doc.errors[0]!.message}`, { hint: 'Fix the YAML syntax.' });
  }
  if (!isMap(doc.contents)) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `--prometheus-config ${file}: not a YAML map`, { hint: 'Give a prometheus.yml.' });
  }
  const js = doc.toJS() as Record<string, unknown>;
  const alerting = js['alerting'];
  if (alerting === undefined || alerting === null || typeof alerting !== 'object' || Array.isArray(alerting)) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `--prometheus-config ${file} has no alerting: section, so its Prometheus would send alerts nowhere`, {
      hint: 'Add an alerting: section with alertmanagers: (amchaos replaces their targets with the cluster\'s nodes and keeps your alert_relabel_configs), or leave --prometheus-config out to use the generated config.',
    });
  }
  const global = (js['global'] ?? {}) as Record<string, unknown>;
  const ext = (global['external_labels'] ?? {}) as Record<string, unknown>;
  const externalLabels: LabelSet = {};
  for (const [k, v] of Object.entries(ext)) externalLabels[k] = String(v);
  const replicaLabel = Object.keys(externalLabels).find((k) => /replica/i.test(k)) ?? DEFAULT_REPLICA_LABEL;
  return { file, alerting: alerting as Record<string, unknown>, externalLabels, replicaLabel };
}

/** Does this list of relabel configs drop `label` (a labeldrop whose regex matches it fully)? */
export function relabelDrops(configs: unknown, label: string): boolean {
  if (!Array.isArray(configs)) return false;
  return configs.some((c) => isLabelDropOf(c, label));
}

function isLabelDropOf(c: unknown, label: string): boolean {
  if (typeof c !== 'object' || c === null) return false;
  const r = c as Record<string, unknown>;
  if (r['action'] !== 'labeldrop' || typeof r['regex'] !== 'string') return false;
  try {
    return new RegExp(`^(?:${r['regex']})$`).test(label);
  } catch {
    return false;
  }
}

export interface ReplicaConfigInput {
  replica: string;
  /** The replica's external labels, its replica label included. */
  externalLabels: LabelSet;
  replicaLabel: string;
  /** host:port of the exporter. */
  exporter: string;
  ruleFiles: string[];
  /** host:port addresses the replica sends alerts to (send taps, or a load balancer). */
  alertmanagers: string[];
  dropReplicaLabel: boolean;
  timers: SourceTimers;
  /** The user's config, when given. */
  user?: UserPrometheusConfig | undefined;
}

/**
 * One replica's prometheus.yml. Generated: the exporter as the only scrape target (honoring its
 * labels; job/instance filled in by the scrape are blanked so an alert's labels are exactly its
 * gauge's), the rule files, one alertmanagers entry with the targets, and — when the replica label
 * is to be dropped — `alert_relabel_configs: [{action: labeldrop, regex: <label>}]`, as
 * prometheus-operator configures it. With a user's config: its `alerting:` section (timeouts,
 * api_version, alert_relabel_configs) with every alertmanagers entry's discovery replaced by the
 * static targets (target relabel_configs, scheme, path prefix, auth and TLS go: the send taps are
 * plain HTTP), and its external labels.
 */
export function replicaConfig(i: ReplicaConfigInput): string {
  const global = {
    scrape_interval: formatGoDuration(i.timers.scrapeIntervalMs),
    evaluation_interval: formatGoDuration(i.timers.evaluationIntervalMs),
    external_labels: i.externalLabels,
  };
  const scrape = {
    job_name: EXPORTER_JOB,
    honor_labels: true,
    static_configs: [{ targets: [i.exporter] }],
    metric_relabel_configs: [
      { source_labels: ['instance'], regex: escapeRegex(i.exporter), target_label: 'instance', replacement: '' },
      { source_labels: ['job'], regex: escapeRegex(EXPORTER_JOB), target_label: 'job', replacement: '' },
    ],
  };
  let alerting: Record<string, unknown>;
  if (i.user) {
    const u = structuredClone(i.user.alerting);
    const entries = Array.isArray(u['alertmanagers']) && u['alertmanagers'].length > 0 ? (u['alertmanagers'] as Record<string, unknown>[]) : [{}];
    u['alertmanagers'] = entries.map((e) => staticEntry(e, i.alertmanagers));
    if (!i.dropReplicaLabel) {
      // The mistake: nothing drops the replica label (the user's own drop is taken out).
      if (Array.isArray(u['alert_relabel_configs'])) u['alert_relabel_configs'] = (u['alert_relabel_configs'] as unknown[]).filter((c) => !isLabelDropOf(c, i.replicaLabel));
      for (const e of u['alertmanagers'] as Record<string, unknown>[]) {
        if (Array.isArray(e['alert_relabel_configs'])) e['alert_relabel_configs'] = (e['alert_relabel_configs'] as unknown[]).filter((c) => !isLabelDropOf(c, i.replicaLabel));
      }
    }
    alerting = u;
  } else {
    alerting = {
      ...(i.dropReplicaLabel ? { alert_relabel_configs: [{ action: 'labeldrop', regex: escapeRegex(i.replicaLabel) }] } : {}),
      alertmanagers: [{ static_configs: [{ targets: i.alertmanagers }] }],
    };
  }
  return stringify({ global, rule_files: i.ruleFiles, alerting, scrape_configs: [scrape] });
}

const DROPPED_AM_KEYS = ['scheme', 'path_prefix', 'basic_auth', 'authorization', 'oauth2', 'tls_config', 'proxy_url', 'sigv4', 'relabel_configs', 'follow_redirects', 'enable_http2'];

function staticEntry(e: Record<string, unknown>, targets: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k.endsWith('_sd_configs') || k === 'static_configs' || DROPPED_AM_KEYS.includes(k)) continue;
    out[k] = v;
  }
  out['static_configs'] = [{ targets }];
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The longest `for:` of a rule file (ms): how long a flip can take to become a firing alert. */
export function longestFor(text: string): number {
  let max = 0;
  try {
    const root = parseDocument(text).toJS() as { groups?: { rules?: Record<string, unknown>[] }[] } | null;
    for (const g of root?.groups ?? []) {
      for (const r of g.rules ?? []) {
        const f = r['for'];
        if (typeof f === 'string') max = Math.max(max, parseDuration(f, 'for'));
      }
    }
  } catch {
    /* promtool checked the file; a duration we cannot read counts as none */
  }
  return max;
}
