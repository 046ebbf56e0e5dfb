import type { FailureMode } from './types.js';

/**
 * The field failure modes of Alertmanager HA that the catalogue knows, with their triggers and
 * upstream issues as reported (shared/reference/alertmanager-ha.md §3; "#N" is
 * prometheus/alertmanager#N). A scenario's claim names its mode; the catalogue's matrix has one
 * row per mode a scenario covers, and docs/failure-modes.md lists the ones without a scenario.
 */
const am = (n: number) => `prometheus/alertmanager#${n}`;

export const FAILURE_MODES = {
  receiverOutage: {
    id: 'receiver-outage',
    rows: [1],
    title: 'Duplicates during a receiver outage',
    trigger: 'the receiver fails longer than peer_timeout; the nflog is written only after a successful send, so every position retries and delivers on recovery',
    upstream: [am(4108), am(3865)],
  },
  slowReceiver: {
    id: 'slow-receiver',
    rows: [2],
    title: 'Duplicates when a notification is slow',
    trigger: 'a send takes longer than peer_timeout, so the next position finds no nflog entry and sends too',
    upstream: [am(3999), am(3678)],
  },
  flapping: {
    id: 'flapping',
    rows: [3],
    title: 'Flapping: conflicting firing/resolved notifications',
    trigger: "peers' flush timers are offset (group_interval ≤ (N−1) × peer_timeout); an alert resolved between flushes is notified firing again by a later position",
    upstream: [am(3551), am(4008), am(2447), `${am(3283)} (PR)`],
  },
  repeatInterval: {
    id: 'repeat-interval',
    rows: [4],
    title: 'repeat_interval shorter than the last position’s wait',
    trigger: 'position k waits k × peer_timeout; when that exceeds repeat_interval, later positions re-send',
    upstream: [am(1005), `${am(1979)} (PR)`, 'grafana/alerting#417 (PR)'],
  },
  udpCut: {
    id: 'udp-cut',
    rows: [5],
    title: 'UDP blocked, TCP open',
    trigger: 'members stay alive over TCP pings and status says ready, but UDP gossip (the nflog) is lost until push/pull',
    upstream: [am(1564), am(1550)],
  },
  splitBrain: {
    id: 'split-brain',
    rows: [6],
    title: 'Split brain (by design)',
    trigger: 'a partition: each side elects its own position 0 and notifies (fail open)',
    upstream: ['docs/high_availability.md', am(1340)],
  },
  latency: {
    id: 'gossip-latency',
    rows: [2, 5],
    title: 'Gossip slower than peer_timeout',
    trigger: 'gossip latency at or above peer_timeout: the next position checks the nflog before the entry arrives',
    upstream: [am(1564), am(3678)],
  },
  dnsIslands: {
    id: 'dns-islands',
    rows: [7],
    title: 'Cluster never forms: peers unresolvable at start',
    trigger: 'peer names that do not resolve at start (a StatefulSet restart) were never retried: each node stays an island',
    upstream: [am(1449), am(1661), 'prometheus-operator/prometheus-operator#2103'],
  },
  clusterLabel: {
    id: 'cluster-label',
    rows: [8, 9],
    title: 'Cluster label mismatch splits the cluster; clusters told about each other merge',
    trigger: 'members with different --cluster.label drop each other’s packets (gossip never settles); without labels, clusters that know each other’s addresses merge',
    upstream: ['prometheus-operator/prometheus-operator#6158', am(2250), 'prometheus-operator/prometheus-operator#5945 (PR)'],
  },
  silenceRestart: {
    id: 'silence-restart',
    rows: [10, 15],
    title: 'Silences lost on a cluster restart',
    trigger: 'only a graceful stop writes the silence snapshot; SIGKILL or lost storage loses silences made since the last maintenance, and the silenced alert notifies',
    upstream: [am(2158), am(1643), am(1673), am(2339)],
  },
  ghostSilences: {
    id: 'ghost-silences',
    rows: [11],
    title: 'Ghost silences',
    trigger: 'an expired silence reappears after its tombstone was garbage-collected and a stale peer re-gossiped it',
    upstream: [am(3457)],
  },
  gossipLoad: {
    id: 'gossip-load',
    rows: [12],
    title: 'Gossip queue overflow under load',
    trigger: 'many alerts and groups with a short repeat_interval fill the broadcast queue ("dropping messages because too many are queued", limit 4096)',
    upstream: [am(1412), am(2440), am(2881), am(4152)],
  },
  retention: {
    id: 'retention',
    rows: [13],
    title: 'Re-notification after data.retention',
    trigger: 'the nflog entry expires (min(data.retention, 2 × repeat_interval)) and is collected, so a still-firing group is "new" again',
    upstream: [am(3473), am(2934), `${am(3147)} (PR)`],
  },
  resolvedDropped: {
    id: 'resolved-dropped',
    rows: [14],
    title: 'Resolved notification silently dropped',
    trigger: 'group_interval > 2 × repeat_interval: the firing entry expires and is collected before the resolve flush, which then finds no entry and sends nothing',
    upstream: ['grafana/prometheus-alertmanager#164 (PR)'],
  },
  restart: {
    id: 'restart',
    rows: [15],
    title: 'Notifications lost or repeated on a node restart',
    trigger: 'SIGKILL or wiped storage loses the node’s nflog; a paused node resolves alerts itself',
    upstream: [am(1673), am(2339), am(889)],
  },
  staleFailedPeers: {
    id: 'stale-failed-peers',
    rows: [16],
    title: 'Stale failed peers after a pod respawn',
    trigger: 'the old address stays in the reconnect list for 6 h; alertmanager_cluster_failed_peers stays 1',
    upstream: [am(1820), am(1722)],
  },
  rollingUpgrade: {
    id: 'rolling-upgrade',
    rows: [17],
    title: 'Duplicates during and after an upgrade',
    trigger: 'nodes of two versions in one cluster while it is upgraded node by node; group keys built differently across versions do not dedup',
    upstream: [am(1550), am(1341), am(1340)],
  },
  clockSkew: {
    id: 'clock-skew',
    rows: [18],
    title: 'Clock skew',
    trigger: 'nflog and silence timestamps are the sender’s wall clock; Log() refuses to overwrite a future-dated entry; expiry and silence activity use the local clock',
    upstream: ['docs (troubleshooting: clock skew)', 'nflog.go Log() comment'],
  },
  groupKeyCollision: {
    id: 'group-key-collision',
    rows: [19],
    title: 'Group-key collisions between routes',
    trigger: 'routes with identical matchers, group_by and receiver share a group key, hence one nflog entry: one route’s notification suppresses the other’s',
    upstream: [am(4727), am(3808), am(3564)],
  },
  silenceFormats: {
    id: 'silence-formats',
    rows: [20],
    title: 'Mixed-version silence formats',
    trigger: 'silences with regex, negative and several matchers made on one version and read by another; 0.32.0–0.33.0 synced full state without the legacy matchers',
    upstream: [`${am(5330)} (fix)`],
  },
} as const satisfies Record<string, FailureMode>;

/** Every mode, in the reference's row order. */
export const ALL_FAILURE_MODES: readonly FailureMode[] = Object.values(FAILURE_MODES).sort((a, b) => a.rows[0]! - b.rows[0]! || a.id.localeCompare(b.id));
