import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import { defaultResolveOptions } from '../versions/resolve.js';
import { resolvePrometheus, type ResolvedPrometheus } from '../versions/prometheus.js';
import { adjustUserRules, DEFAULT_SOURCE_TIMERS, longestFor, parseUserPrometheusConfig, relabelDrops, replicaConfig, rulesForAlertnames } from './config.js';
import { checkConfigWithPromtool, checkRulesWithPromtool, preparePrometheusSource } from './prepare.js';

const prometheus: ResolvedPrometheus | undefined = await resolvePrometheus('2.42.0', defaultResolveOptions()).catch(() => undefined);
const SKIP = 'Prometheus 2.42.0 does not resolve here (its promtool checks the files); run bash .ci/setup (Debian + apt) to enable';

const USER_CONFIG = `
global:
  scrape_interval: 1m
  external_labels: { cluster: prod, prometheus_replica: a }
alerting:
  alert_relabel_configs:
    - action: labeldrop
      regex: prometheus_replica
  alertmanagers:
    - kubernetes_sd_configs: [{ role: pod }]
      relabel_configs:
        - source_labels: [__meta_kubernetes_pod_label_app]
          regex: alertmanager
          action: keep
      scheme: https
      timeout: 5s
      api_version: v2
scrape_configs:
  - job_name: node
    static_configs: [{ targets: ['node:9100'] }]
`;

function config(o: Partial<Parameters<typeof replicaConfig>[0]> = {}) {
  return parse(
    replicaConfig({
      replica: 'p1',
      externalLabels: { replica: 'p1' },
      replicaLabel: 'replica',
      exporter: '127.0.0.1:9100',
      ruleFiles: ['rules.yml'],
      alertmanagers: ['127.0.0.1:1', '127.0.0.1:2'],
      dropReplicaLabel: true,
      timers: DEFAULT_SOURCE_TIMERS,
      ...o,
    }),
  ) as Record<string, any>;
}

describe('Prometheus config of the source', () => {
  it('one rule per alert name over the exporter\'s gauge; a mistake changes for:, the offset and the interval', () => {
    const rules = parse(rulesForAlertnames(['HighCPU', 'DiskFull', 'HighCPU'])) as { groups: { name: string; interval?: string; rules: { alert: string; expr: string; for?: string }[] }[] };
    expect(rules.groups[0]!.rules.map((r) => [r.alert, r.expr])).toEqual([
      ['DiskFull', 'amchaos_alert{alertname="DiskFull"} == 1'],
      ['HighCPU', 'amchaos_alert{alertname="HighCPU"} == 1'],
    ]);
    const lagging = parse(rulesForAlertnames(['A'], { offsetMs: 22_000, intervalMs: 1_000, forMs: 3_000 })) as typeof rules;
    expect(lagging.groups[0]!.interval).toBe('1s');
    expect(lagging.groups[0]!.rules[0]).toMatchObject({ expr: 'amchaos_alert{alertname="A"} offset 22s == 1', for: '3s' });
    const user = parse(adjustUserRules('groups: [{ name: x, rules: [{ alert: A, expr: up == 0, for: 5m }, { record: r, expr: up }] }]', { offsetMs: 10_000, forMs: 2_000 })) as {
      groups: { query_offset: string; rules: { for?: string }[] }[];
    };
    expect(user.groups[0]!.query_offset).toBe('10s');
    expect(user.groups[0]!.rules.map((r) => r.for)).toEqual(['2s', undefined]);
    expect(longestFor('groups: [{ name: x, rules: [{ alert: A, expr: up, for: 90s }, { alert: B, expr: up, for: 2m }] }]')).toBe(120_000);
  });

  it('the generated prometheus.yml: the exporter with its labels honoured, the targets, labeldrop unless the mistake says otherwise', () => {
    const c = config();
    expect(c['global']).toMatchObject({ scrape_interval: '1s', evaluation_interval: '2s', external_labels: { replica: 'p1' } });
    expect(c['scrape_configs'][0]).toMatchObject({ honor_labels: true, static_configs: [{ targets: ['127.0.0.1:9100'] }] });
    expect(c['alerting']).toEqual({ alert_relabel_configs: [{ action: 'labeldrop', regex: 'replica' }], alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:1', '127.0.0.1:2'] }] }] });
    expect(config({ dropReplicaLabel: false })['alerting']['alert_relabel_configs']).toBeUndefined();
  });

  it("a user's prometheus.yml: alerting kept, discovery replaced by the cluster's nodes, its replica label found; one without alerting: is refused", () => {
    const user = parseUserPrometheusConfig(USER_CONFIG, 'prom.yml');
    expect(user.replicaLabel).toBe('prometheus_replica');
    expect(relabelDrops(user.alerting['alert_relabel_configs'], 'prometheus_replica')).toBe(true);
    const c = config({ user, replicaLabel: user.replicaLabel, externalLabels: { cluster: 'prod', prometheus_replica: 'p1' } });
    expect(c['alerting']['alert_relabel_configs']).toEqual([{ action: 'labeldrop', regex: 'prometheus_replica' }]);
    expect(c['alerting']['alertmanagers']).toEqual([{ timeout: '5s', api_version: 'v2', static_configs: [{ targets: ['127.0.0.1:1', '127.0.0.1:2'] }] }]);
    expect(c['global']['external_labels']).toEqual({ cluster: 'prod', prometheus_replica: 'p1' });
    // The mistake takes the user's own labeldrop out.
    expect(config({ user, replicaLabel: user.replicaLabel, dropReplicaLabel: false })['alerting']['alert_relabel_configs']).toEqual([]);

    let err: unknown;
    try {
      parseUserPrometheusConfig('global: { scrape_interval: 15s }\nscrape_configs: []\n', 'no-alerting.yml');
    } catch (e) {
      err = e;
    }
    expect(isAmchaosError(err, 'AMCHAOS_INVALID_CONFIG')).toBe(true);
    expect((err as Error).message).toContain('no alerting: section');
    expect((err as { hint: string }).hint).toContain('alertmanagers');
  });

  describe.skipIf(!prometheus)(`checked with the build's own promtool${prometheus ? '' : ` — skipped: ${SKIP}`}`, () => {
    it('the generated rules and config pass promtool; rules promtool refuses stop with its words', { timeout: 30_000 }, async () => {
      const rules = rulesForAlertnames(['A', 'B'], { offsetMs: 22_000, intervalMs: 1_000 });
      await checkRulesWithPromtool(prometheus!.promtool, rules, 'generated');
      const user = parseUserPrometheusConfig(USER_CONFIG, 'prom.yml');
      const yaml = replicaConfig({ replica: 'p1', externalLabels: { cluster: 'prod', prometheus_replica: 'p1' }, replicaLabel: 'prometheus_replica', exporter: '127.0.0.1:9100', ruleFiles: ['rules.yml'], alertmanagers: ['127.0.0.1:1'], dropReplicaLabel: true, timers: DEFAULT_SOURCE_TIMERS, user });
      await checkConfigWithPromtool(prometheus!.promtool, yaml, rules, 'prom.yml');

      const bad = 'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: sum(up\n';
      const e = await checkRulesWithPromtool(prometheus!.promtool, bad, 'my-rules.yml').catch((x: unknown) => x);
      expect(isAmchaosError(e, 'AMCHAOS_INVALID_CONFIG')).toBe(true);
      expect((e as Error).message).toContain('my-rules.yml');
      expect((e as Error).message).toMatch(/promtool check rules refused it/);
    });

    it('bad input stops before anything starts: an unknown version, an alert Prometheus cannot name', { timeout: 30_000 }, async () => {
      await expect(preparePrometheusSource({ version: '2.99.9', replicas: 2 })).rejects.toMatchObject({ code: 'AMCHAOS_UNKNOWN_VERSION' });
      await expect(preparePrometheusSource({ version: '2.42.0', replicas: 2, alerts: [{ alertname: 'has space' }] })).rejects.toMatchObject({ code: 'AMCHAOS_BAD_ARGUMENT' });
      await expect(preparePrometheusSource({ version: '2.42.0', replicas: 0 })).rejects.toMatchObject({ code: 'AMCHAOS_BAD_ARGUMENT' });
    });
  });
});
