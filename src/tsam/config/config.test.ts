import { describe, expect, it } from 'vitest';
import { parseCompat } from '../compat/compat.js';
import { ConfigError, parseConfig } from './config.js';

const c033 = parseCompat('0.33.1');
const c025 = parseCompat('0.25.0');

const VALID = `
global:
  resolve_timeout: 1m
templates: ['/etc/x/*.tmpl']
route:
  receiver: web
  group_by: [alertname, cluster]
  group_wait: 10s
  routes:
    - match: {team: db}
      match_re: {service: 'foo|bar'}
      matchers: ['severity!="info"', 'env=~"prod.*"']
      receiver: db
      continue: true
      group_by: ['...']
      repeat_interval: 1h
receivers:
  - name: web
    webhook_configs:
      - url: http://127.0.0.1:1/a
        send_resolved: false
        max_alerts: 5
      - url: https://example.invalid/b
  - name: db
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
  - source_match: {a: b}
    target_match_re: {c: 'd.*'}
`;

describe('config', () => {
  it('parses the supported subset', () => {
    const cfg = parseConfig(VALID, c033);
    expect(cfg.resolveTimeoutMs).toBe(60_000);
    expect(cfg.route.receiver).toBe('web');
    expect(cfg.route.groupBy).toEqual(['alertname', 'cluster']);
    expect(cfg.route.groupWaitMs).toBe(10_000);
    expect(cfg.route.groupIntervalMs).toBeUndefined();
    const child = cfg.route.routes[0]!;
    expect(child.continue).toBe(true);
    expect(child.groupBy).toEqual(['...']);
    // match, match_re (anchored source) and matchers, sorted by name/value/type
    expect(child.matchers.map((m) => m.toString())).toEqual([
      'env=~"prod.*"',
      'service=~"^(?:foo|bar)$"',
      'severity!="info"',
      'team="db"',
    ]);
    expect(cfg.receivers[0]!.webhookConfigs).toEqual([
      { url: 'http://127.0.0.1:1/a', sendResolved: false, maxAlerts: 5, timeoutMs: 0 },
      { url: 'https://example.invalid/b', sendResolved: true, maxAlerts: 0, timeoutMs: 0 },
    ]);
    expect(cfg.receivers[1]).toEqual({ name: 'db', labels: { name: 'db' }, webhookConfigs: [], others: [] });
    expect(cfg.inhibitRules[1]!.sourceMatchers.map(String)).toEqual(['a="b"']);
    expect(cfg.inhibitRules[1]!.targetMatchers.map(String)).toEqual(['c=~"^(?:d.*)$"']);
    expect(cfg.original).toContain('url: <secret>');
  });

  const base = (route: string, extra = ''): string =>
    `route:\n${route}\nreceivers:\n  - name: web\n    webhook_configs:\n      - url: http://x/\n${extra}`;

  it.each([
    ['unknown top-level key', 'route:\n  receiver: web\nreceivers:\n  - name: web\nfoo: 1\n', 'yaml: unmarshal errors:\n  line 5: field foo not found in type config.plain'],
    ['unknown route key', base('  receiver: web\n  recevier: x'), 'line 3: field recevier not found'],
    ['key tsam does not implement', 'route:\n  receiver: web\nreceivers:\n  - name: web\n    webhook_configs:\n      - url: http://x/\n        http_config: {}\n', 'tsam does not support "http_config"'],
    ['email without to', base('  receiver: web', '  - name: mail\n    email_configs: [{from: a@b, smarthost: "h:25"}]\n'), 'missing to address in email config'],
    ['email without smarthost', base('  receiver: web', '  - name: mail\n    email_configs: [{to: a@b, from: a@b}]\n'), 'no global SMTP smarthost set'],
    ['slack without URL', base('  receiver: web', '  - name: s\n    slack_configs: [{channel: x}]\n'), 'no Slack API URL nor App token set either inline or in a file'],
    ['pagerduty without key', base('  receiver: web', '  - name: p\n    pagerduty_configs: [{}]\n'), 'missing service or routing key in PagerDuty config'],
    ['receiver label name', base('  receiver: web', '  - name: r\n    labels: {name: other}\n'), 'receiver label "name" must match receiver name "r", got "other"'],
    ['time intervals', base('  receiver: web\n  mute_time_intervals: [x]'), 'tsam does not support "mute_time_intervals"'],
    ['undefined receiver', base('  receiver: nope'), 'undefined receiver "nope" used in route'],
    ['child undefined receiver', base('  receiver: web\n  routes:\n    - receiver: zz'), 'undefined receiver "zz" used in route'],
    ['no route', 'receivers:\n  - name: web\n', 'no routes provided'],
    ['root without receiver', base('  group_by: [a]'), 'root route must specify a default receiver'],
    ['root with matchers', base('  receiver: web\n  matchers: [a="b"]'), 'root route must not have any matchers'],
    ['root with continue', base('  receiver: web\n  continue: true'), 'cannot have continue in root route'],
    ['duplicated group_by', base('  receiver: web\n  group_by: [a, a]'), 'duplicated label "a" in group_by'],
    ['... with others', base('  receiver: web\n  group_by: [..., a]'), 'cannot have wildcard group_by (`...`) and other other labels at the same time'],
    ['zero group_interval', base('  receiver: web\n  group_interval: 0s'), 'group_interval cannot be zero'],
    ['zero repeat_interval', base('  receiver: web\n  repeat_interval: 0s'), 'repeat_interval cannot be zero'],
    ['bad duration', base('  receiver: web\n  group_wait: 5 minutes'), 'not a valid duration string: "5 minutes"'],
    ['bad matcher', base('  receiver: web\n  routes:\n    - matchers: [foo]'), 'bad matcher format: foo'],
    ['bad regex', base('  receiver: web\n  routes:\n    - match_re: {a: "["}'), 'error parsing regexp: missing closing ]'],
    ['receiver without name', 'route:\n  receiver: web\nreceivers:\n  - webhook_configs: []\n', 'missing name in receiver'],
    ['duplicate receiver', base('  receiver: web', '  - name: web\n'), 'notification config name "web" is not unique'],
    ['webhook without url', 'route:\n  receiver: web\nreceivers:\n  - name: web\n    webhook_configs:\n      - send_resolved: true\n', 'one of url or url_file must be configured'],
    ['webhook with bad scheme', 'route:\n  receiver: web\nreceivers:\n  - name: web\n    webhook_configs:\n      - url: ftp://x/\n', 'unsupported scheme "ftp" for URL'],
    ['not YAML', 'route: [\n', 'yaml:'],
  ])('rejects %s', (_name, text, msg) => {
    expect(() => parseConfig(text, c033)).toThrow(ConfigError);
    expect(() => parseConfig(text, c033)).toThrow(msg);
  });

  it('checks label names by version (UTF-8 names from 0.27)', () => {
    const text = base('  receiver: web\n  routes:\n    - match: {"a b": x}');
    expect(() => parseConfig(text, c025)).toThrow('invalid label name "a b"');
    expect(parseConfig(text, c033).route.routes[0]!.matchers[0]!.name).toBe('a b');
  });
});
