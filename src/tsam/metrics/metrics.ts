/**
 * `/metrics` in Prometheus' text format, with the alertmanager_* names, labels, help texts and meaning
 * that dashboards and the harness read from the real binary: alerts and silences by state, received
 * and invalid alerts, notifications (attempts, failures by reason, requests, latency) for every
 * integration label the imitated version pre-declares, config hash and reload status, receivers,
 * integrations, inhibition rules, aggregation groups, nflog and silence maintenance/query/gossip
 * counters, HTTP request latency per handler, and the cluster gauges. Go's runtime metrics have no
 * Node equivalent; the process_* ones are given in Node's terms, as prom-client names them
 * (process_cpu_seconds_total, process_resident_memory_bytes, ...), plus nodejs_* heap figures.
 * Counters are plain numbers bumped on hot paths; the text is built only when scraped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PING_BUCKETS, type ClusterMetrics } from '../cluster/peer-api.js';
import type { Compat, CompatVersion } from '../compat/compat.js';

/** Why a notification failed (0.28+ label `reason`). */
export type FailureReason = 'clientError' | 'serverError' | 'contextCanceled' | 'contextDeadlineExceeded' | 'other';
const REASONS: readonly FailureReason[] = ['clientError', 'contextCanceled', 'contextDeadlineExceeded', 'other', 'serverError'];

/** The integration labels each version declares up front (so they read 0 before the first use). */
function integrationLabels(v: CompatVersion): readonly string[] {
  if (v === '0.25.0') return ['email', 'opsgenie', 'pagerduty', 'pushover', 'slack', 'sns', 'telegram', 'victorops', 'webhook', 'wechat'];
  const l = ['discord', 'email', 'msteams', 'msteamsv2', 'opsgenie', 'pagerduty', 'pushover', 'rocketchat', 'slack', 'sns', 'telegram', 'victorops', 'webex', 'webhook', 'wechat'];
  if (v === '0.33.1') l.push('incidentio', 'jira', 'mattermost');
  return l.sort();
}

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
  }
}

const LATENCY_BUCKETS = [1, 5, 10, 15, 20];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface IntegrationCounters {
  notifications: number;
  failed: Record<FailureReason, number>;
  requests: number;
  requestsFailed: number;
  latency: Histogram;
}

export class Metrics {
  alertsReceivedFiring = 0;
  alertsReceivedResolved = 0;
  alertsInvalid = 0;
  configHash = 0;
  configLastReloadSuccessful = 0;
  configLastReloadSuccessSeconds = 0;
  nflogQueries = 0;
  nflogQueryErrors = 0;
  nflogGossipPropagated = 0;
  nflogSnapshotBytes = 0;
  nflogMaintenance = 0;
  nflogMaintenanceErrors = 0;
  silencesQueries = 0;
  silencesQueryErrors = 0;
  silencesGossipPropagated = 0;
  silencesSnapshotBytes = 0;
  silencesMaintenance = 0;
  silencesMaintenanceErrors = 0;
  httpInFlight = 0;
  readonly integrations = new Map<string, IntegrationCounters>();
  readonly http = new Map<string, Histogram>();
  readonly startSeconds = Date.now() / 1000 - process.uptime();

  constructor(readonly version: CompatVersion = '0.33.1') {
    for (const name of integrationLabels(version)) this.integration(name);
  }

  /** The counters of one integration label (created on first use for labels the version lacks). */
  integration(name: string): IntegrationCounters {
    let c = this.integrations.get(name);
    if (!c) {
      c = { notifications: 0, failed: { clientError: 0, serverError: 0, contextCanceled: 0, contextDeadlineExceeded: 0, other: 0 }, requests: 0, requestsFailed: 0, latency: new Histogram(LATENCY_BUCKETS) };
      this.integrations.set(name, c);
    }
    return c;
  }

  /** One HTTP request served: handler is the route pattern (`/api/v2/silence/{silenceID}`). */
  observeHttp(handler: string, method: string, code: number, seconds: number): void {
    const key = `${handler}\u0000${method.toLowerCase()}\u0000${this.version === '0.33.1' ? code : ''}`;
    let h = this.http.get(key);
    if (!h) {
      h = new Histogram(HTTP_BUCKETS);
      this.http.set(key, h);
    }
    h.observe(seconds);
  }
}

/** Alertmanager's config hash: the first 6 bytes of the file's MD5, little-endian, as a float. */
export function configHashValue(md5: Buffer): number {
  let v = 0;
  for (let i = 5; i >= 0; i--) v = v * 256 + md5[i]!;
  return v;
}

export interface MetricsView {
  compat: Compat;
  metrics: Metrics;
  clusterEnabled: boolean;
  clusterMembers: number;
  position: number;
  alerts: { active: number; suppressed: number; unprocessed: number };
  silences: { active: number; pending: number; expired: number };
  /** The cluster peer's figures (absent with clustering off). */
  cluster?: ClusterMetrics;
  peerName?: string;
  aggregationGroups: number;
  receivers: number;
  integrations: number;
  inhibitionRules: number;
}

type Sample = [labels: string, value: number];

class Out {
  private readonly families = new Map<string, string[]>();

  family(name: string, help: string, type: string, samples: Sample[]): void {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${fmt(v)}`);
    this.families.set(name, lines);
  }

  histogram(name: string, help: string, series: [labels: string[], h: Histogram][]): void {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    for (const [labels, h] of series) {
      const join = (extra: string[]): string => `{${[...labels, ...extra].join(',')}}`;
      h.buckets.forEach((b, i) => lines.push(`${name}_bucket${join([`le="${b}"`])} ${h.counts[i]}`));
      lines.push(`${name}_bucket${join(['le="+Inf"'])} ${h.count}`);
      lines.push(`${name}_sum${labels.length ? `{${labels.join(',')}}` : ''} ${fmt(h.sum)}`);
      lines.push(`${name}_count${labels.length ? `{${labels.join(',')}}` : ''} ${h.count}`);
    }
    this.families.set(name, lines);
  }

  text(): string {
    const names = [...this.families.keys()].sort();
    return names.map((n) => this.families.get(n)!.join('\n')).join('\n') + '\n';
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)));
}

function processSamples(out: Out, m: Metrics): void {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  out.family('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', 'counter', [['', cpu.user / 1e6]]);
  out.family('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', 'counter', [['', cpu.system / 1e6]]);
  out.family('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', [['', (cpu.user + cpu.system) / 1e6]]);
  out.family('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', [['', Math.round(m.startSeconds)]]);
  out.family('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', [['', mem.rss]]);
  out.family('process_heap_bytes', 'Process heap size in bytes.', 'gauge', [['', mem.heapTotal]]);
  out.family('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', 'gauge', [['', mem.heapTotal]]);
  out.family('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', 'gauge', [['', mem.heapUsed]]);
  out.family('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', 'gauge', [['', mem.external]]);
  out.family('nodejs_version_info', 'Node.js version info.', 'gauge', [[`{version="${process.version}"}`, 1]]);
  // Linux only, as in prom-client; skipped where /proc is missing.
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.family('process_virtual_memory_bytes', 'Virtual memory size in bytes.', 'gauge', [['', Number(fields[20])]]);
    out.family('process_open_fds', 'Number of open file descriptors.', 'gauge', [['', readdirSync('/proc/self/fd').length]]);
    const limit = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (limit) out.family('process_max_fds', 'Maximum number of open file descriptors.', 'gauge', [['', Number(limit[1])]]);
  } catch {
    // no /proc
  }
}

export function exposition(v: MetricsView): string {
  const m = v.metrics;
  const out = new Out();
  const hasReason = v.compat.version !== '0.25.0';
  out.family('alertmanager_alerts', 'How many alerts by state.', 'gauge', [
    ['{state="active"}', v.alerts.active],
    ['{state="suppressed"}', v.alerts.suppressed],
    ['{state="unprocessed"}', v.alerts.unprocessed],
  ]);
  out.family('alertmanager_alerts_invalid_total', 'The total number of received alerts that were invalid.', 'counter', [['{version="v2"}', m.alertsInvalid]]);
  out.family('alertmanager_alerts_received_total', 'The total number of received alerts.', 'counter', [
    ['{status="firing",version="v2"}', m.alertsReceivedFiring],
    ['{status="resolved",version="v2"}', m.alertsReceivedResolved],
  ]);
  out.family('alertmanager_build_info', "A metric with a constant '1' value labeled by version, revision, branch, and goversion from which alertmanager was built.", 'gauge', [
    [`{branch="tsam",goversion="${process.version}",revision="tsam",version="${v.compat.version}"}`, 1],
  ]);
  out.family('alertmanager_cluster_enabled', 'Indicates whether the clustering is enabled or not.', 'gauge', [['', v.clusterEnabled ? 1 : 0]]);
  if (v.clusterEnabled) {
    out.family('alertmanager_cluster_members', 'Number indicating current number of members in cluster.', 'gauge', [['', v.clusterMembers]]);
    out.family('alertmanager_peer_position', "Position the Alertmanager instance believes it is in. The position determines a peer's behavior in the cluster.", 'gauge', [['', v.position]]);
  }
  const c = v.cluster;
  if (v.clusterEnabled && c) {
    if (v.peerName !== undefined) out.family('alertmanager_cluster_peer_info', "A metric with a constant '1' value labeled by peer name.", 'gauge', [[`{peer="${v.peerName}"}`, 1]]);
    out.family('alertmanager_cluster_health_score', "Health score of the cluster. Lower values are better and zero means 'totally healthy'.", 'gauge', [['', c.healthScore]]);
    out.family('alertmanager_cluster_failed_peers', 'Number indicating the current number of failed peers in the cluster.', 'gauge', [['', c.failedPeers]]);
    out.family('alertmanager_cluster_peers_joined_total', 'A counter of the number of peers that have joined.', 'counter', [['', c.peersJoined]]);
    out.family('alertmanager_cluster_peers_left_total', 'A counter of the number of peers that have left.', 'counter', [['', c.peersLeft]]);
    out.family('alertmanager_cluster_peers_update_total', 'A counter of the number of peers that have updated metadata.', 'counter', [['', c.peersUpdated]]);
    out.family('alertmanager_cluster_reconnections_total', 'A counter of the number of cluster peer reconnections.', 'counter', [['', c.reconnections]]);
    out.family('alertmanager_cluster_reconnections_failed_total', 'A counter of the number of failed cluster peer reconnection attempts.', 'counter', [['', c.failedReconnections]]);
    out.histogram(
      'alertmanager_cluster_pings_seconds',
      'Histogram of latencies for ping messages.',
      [...c.pings].sort((a, b) => (a.peer < b.peer ? -1 : 1)).map((p) => {
        const h = new Histogram(PING_BUCKETS);
        p.bucketCounts.forEach((n, i) => (h.counts[i] = n));
        h.sum = p.sum;
        h.count = p.count;
        return [[`peer="${p.peer}"`], h];
      }),
    );
  }
  out.family('alertmanager_config_hash', 'Hash of the currently loaded alertmanager configuration. Note that this is not a cryptographically strong hash.', 'gauge', [['', m.configHash]]);
  out.family('alertmanager_config_last_reload_success_timestamp_seconds', 'Timestamp of the last successful configuration reload.', 'gauge', [['', m.configLastReloadSuccessSeconds]]);
  out.family('alertmanager_config_last_reload_successful', 'Whether the last configuration reload attempt was successful.', 'gauge', [['', m.configLastReloadSuccessful]]);
  out.family('alertmanager_dispatcher_aggregation_groups', 'Number of active aggregation groups', 'gauge', [['', v.aggregationGroups]]);
  out.family('alertmanager_receivers', 'Number of configured receivers.', 'gauge', [['', v.receivers]]);
  out.family('alertmanager_integrations', 'Number of configured integrations.', 'gauge', [['', v.integrations]]);
  // 0.25 has neither the inhibition-rule gauge nor the maintenance counters.
  const since028 = v.compat.version !== '0.25.0';
  if (since028) out.family('alertmanager_inhibition_rules', 'Number of configured inhibition rules.', 'gauge', [['', v.inhibitionRules]]);

  const integrations = [...m.integrations.keys()].sort();
  const per = (f: (c: IntegrationCounters) => number): Sample[] => integrations.map((n) => [`{integration="${n}"}`, f(m.integration(n))]);
  out.family('alertmanager_notifications_total', 'The total number of attempted notifications.', 'counter', per((c) => c.notifications));
  out.family(
    'alertmanager_notifications_failed_total',
    'The total number of failed notifications.',
    'counter',
    hasReason
      ? integrations.flatMap((n) => REASONS.map((r): Sample => [`{integration="${n}",reason="${r}"}`, m.integration(n).failed[r]]))
      : per((c) => REASONS.reduce((s, r) => s + c.failed[r], 0)),
  );
  out.family('alertmanager_notification_requests_total', 'The total number of attempted notification requests.', 'counter', per((c) => c.requests));
  out.family('alertmanager_notification_requests_failed_total', 'The total number of failed notification requests.', 'counter', per((c) => c.requestsFailed));
  out.histogram('alertmanager_notification_latency_seconds', 'The latency of notifications in seconds.', integrations.map((n) => [[`integration="${n}"`], m.integration(n).latency]));

  out.family('alertmanager_nflog_queries_total', 'Number of notification log queries were received.', 'counter', [['', m.nflogQueries]]);
  out.family('alertmanager_nflog_query_errors_total', 'Number notification log received queries that failed.', 'counter', [['', m.nflogQueryErrors]]);
  out.family('alertmanager_nflog_gossip_messages_propagated_total', 'Number of received gossip messages that have been further gossiped.', 'counter', [['', m.nflogGossipPropagated]]);
  out.family('alertmanager_nflog_snapshot_size_bytes', 'Size of the last notification log snapshot in bytes.', 'gauge', [['', m.nflogSnapshotBytes]]);
  if (since028) {
    out.family('alertmanager_nflog_maintenance_total', 'How many maintenances were executed for the notification log.', 'counter', [['', m.nflogMaintenance]]);
    out.family('alertmanager_nflog_maintenance_errors_total', 'How many maintenances were executed for the notification log that failed.', 'counter', [['', m.nflogMaintenanceErrors]]);
  }
  out.family('alertmanager_silences', 'How many silences by state.', 'gauge', [
    ['{state="active"}', v.silences.active],
    ['{state="expired"}', v.silences.expired],
    ['{state="pending"}', v.silences.pending],
  ]);
  out.family('alertmanager_silences_queries_total', 'How many silence queries were received.', 'counter', [['', m.silencesQueries]]);
  out.family('alertmanager_silences_query_errors_total', 'How many silence received queries did not succeed.', 'counter', [['', m.silencesQueryErrors]]);
  out.family('alertmanager_silences_gossip_messages_propagated_total', 'Number of received gossip messages that have been further gossiped.', 'counter', [['', m.silencesGossipPropagated]]);
  out.family('alertmanager_silences_snapshot_size_bytes', 'Size of the last silence snapshot in bytes.', 'gauge', [['', m.silencesSnapshotBytes]]);
  if (since028) {
    out.family('alertmanager_silences_maintenance_total', 'How many maintenances were executed for silences.', 'counter', [['', m.silencesMaintenance]]);
    out.family('alertmanager_silences_maintenance_errors_total', 'How many maintenances were executed for silences that failed.', 'counter', [['', m.silencesMaintenanceErrors]]);
  }

  out.family('alertmanager_http_requests_in_flight', 'Current number of HTTP requests being processed.', 'gauge', [['', m.httpInFlight]]);
  const http = [...m.http.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  out.histogram(
    'alertmanager_http_request_duration_seconds',
    'Histogram of latencies for HTTP requests.',
    http.map(([key, h]) => {
      const [handler, method, code] = key.split('\u0000');
      return [[...(code ? [`code="${code}"`] : []), `handler="${handler}"`, `method="${method}"`], h];
    }),
  );
  processSamples(out, m);
  return out.text();
}
