/**
 * A small Prometheus text exposition with the metrics a harness reads from Alertmanager to see what a
 * node did (notifications, failures, position, cluster size, alerts, silences). Names and labels are
 * Alertmanager's; only the handful tsam has are served.
 */
import type { Compat } from '../compat/compat.js';

export class Metrics {
  notificationsTotal = 0;
  notificationsFailedTotal = 0;
  notificationRequestsTotal = 0;
  notificationRequestsFailedTotal = 0;
  alertsReceivedFiring = 0;
  alertsReceivedResolved = 0;
  alertsInvalid = 0;
}

export interface MetricsView {
  compat: Compat;
  metrics: Metrics;
  clusterEnabled: boolean;
  clusterMembers: number;
  position: number;
  alerts: { active: number; suppressed: number; unprocessed: number };
  silences: { active: number; pending: number; expired: number };
}

function line(out: string[], name: string, help: string, type: string, samples: [string, number][]): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, v] of samples) out.push(`${name}${labels} ${v}`);
}

export function exposition(v: MetricsView): string {
  const m = v.metrics;
  const out: string[] = [];
  const reason = v.compat.version === '0.25.0' ? '' : ',reason="other"';
  line(out, 'alertmanager_alerts', 'How many alerts by state.', 'gauge', [
    ['{state="active"}', v.alerts.active],
    ['{state="suppressed"}', v.alerts.suppressed],
    ['{state="unprocessed"}', v.alerts.unprocessed],
  ]);
  line(out, 'alertmanager_alerts_invalid_total', 'The total number of received alerts that were invalid.', 'counter', [['{version="v2"}', m.alertsInvalid]]);
  line(out, 'alertmanager_alerts_received_total', 'The total number of received alerts.', 'counter', [
    ['{status="firing",version="v2"}', m.alertsReceivedFiring],
    ['{status="resolved",version="v2"}', m.alertsReceivedResolved],
  ]);
  line(out, 'alertmanager_build_info', 'A metric with a constant \'1\' value labeled by version, revision, branch, and goversion from which alertmanager was built.', 'gauge', [
    [`{branch="tsam",goversion="${process.version}",revision="tsam",version="${v.compat.version}"}`, 1],
  ]);
  line(out, 'alertmanager_cluster_enabled', 'Indicates whether the clustering is enabled or not.', 'gauge', [['', v.clusterEnabled ? 1 : 0]]);
  if (v.clusterEnabled) {
    line(out, 'alertmanager_cluster_members', 'Number indicating current number of members in cluster.', 'gauge', [['', v.clusterMembers]]);
    line(out, 'alertmanager_peer_position', 'Position the Alertmanager instance believes it is in. The position determines a peer\'s behavior in the cluster.', 'gauge', [['', v.position]]);
  }
  line(out, 'alertmanager_notification_requests_failed_total', 'The total number of failed notification requests.', 'counter', [['{integration="webhook"}', m.notificationRequestsFailedTotal]]);
  line(out, 'alertmanager_notification_requests_total', 'The total number of attempted notification requests.', 'counter', [['{integration="webhook"}', m.notificationRequestsTotal]]);
  line(out, 'alertmanager_notifications_failed_total', 'The total number of failed notifications.', 'counter', [[`{integration="webhook"${reason}}`, m.notificationsFailedTotal]]);
  line(out, 'alertmanager_notifications_total', 'The total number of attempted notifications.', 'counter', [['{integration="webhook"}', m.notificationsTotal]]);
  line(out, 'alertmanager_silences', 'How many silences by state.', 'gauge', [
    ['{state="active"}', v.silences.active],
    ['{state="expired"}', v.silences.expired],
    ['{state="pending"}', v.silences.pending],
  ]);
  return out.join('\n') + '\n';
}
