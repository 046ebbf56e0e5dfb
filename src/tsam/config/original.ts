/**
 * `config.original` in /api/v2/status (and so `amtool config show`): the loaded config as Alertmanager
 * re-marshals it — Go struct order, the defaults filled in (global URLs, smtp_hello, http_config,
 * `continue: false`, the webhook's send_resolved/url_file/max_alerts/timeout), secrets as `<secret>`
 * (0.28+ treats webhook URLs as secrets too), matchers sorted and printed as Matcher.String(),
 * durations in Prometheus' format. Integrations tsam does not deliver to are written with their own
 * fields (secrets masked) after send_resolved, without the many template defaults Go adds to them.
 */
import type { Compat, CompatVersion } from '../compat/compat.js';
import { formatPromDuration, parsePromDuration } from '../duration/duration.js';
import { compareGo } from '../labels/gostring.js';
import { sortMatchers } from '../labels/matcher.js';
import { parseMatchers } from '../labels/parse.js';
import { marshalGoYaml, YMap, type YValue } from './goyaml.js';
import { integrationsOf } from './integrations.js';

type Raw = Record<string, unknown>;
type Kind = 'duration' | 'http' | 'string' | 'secret' | 'bool' | 'tls' | 'url';

const HTTP_DEFAULTS = (): YMap => new YMap().set('follow_redirects', true).set('enable_http2', true);

const URLS: Record<string, string> = {
  slack_app_url: 'https://slack.com/api/chat.postMessage',
  pagerduty_url: 'https://events.pagerduty.com/v2/enqueue',
  opsgenie_api_url: 'https://api.opsgenie.com/',
  wechat_api_url: 'https://qyapi.weixin.qq.com/cgi-bin/',
  victorops_api_url: 'https://alert.victorops.com/integrations/generic/20131114/alert/',
  telegram_api_url: 'https://api.telegram.org',
  webex_api_url: 'https://webexapis.com/v1/messages',
  rocketchat_api_url: 'https://open.rocket.chat/',
};

/** GlobalConfig's fields in struct order, per version ([key, kind]). */
function globalFields(v: CompatVersion): [string, Kind][] {
  const f: [string, Kind][] = [['resolve_timeout', 'duration'], ['http_config', 'http']];
  if (v !== '0.25.0') f.push(['jira_api_url', 'url']);
  f.push(['smtp_from', 'string'], ['smtp_hello', 'string'], ['smtp_smarthost', 'string'], ['smtp_auth_username', 'string'],
    ['smtp_auth_password', 'secret'], ['smtp_auth_password_file', 'string'], ['smtp_auth_secret', 'secret']);
  if (v === '0.33.1') f.push(['smtp_auth_secret_file', 'string']);
  f.push(['smtp_auth_identity', 'string'], ['smtp_require_tls', 'bool']);
  if (v !== '0.25.0') f.push(['smtp_tls_config', 'tls']);
  if (v === '0.33.1') f.push(['smtp_force_implicit_tls', 'bool']);
  f.push(['slack_api_url', 'secret'], ['slack_api_url_file', 'string']);
  if (v === '0.33.1') f.push(['slack_app_token', 'secret'], ['slack_app_token_file', 'string'], ['slack_app_url', 'url']);
  f.push(['pagerduty_url', 'url'], ['opsgenie_api_url', 'url'], ['opsgenie_api_key', 'secret'], ['opsgenie_api_key_file', 'string'],
    ['wechat_api_url', 'url'], ['wechat_api_secret', 'secret']);
  if (v === '0.33.1') f.push(['wechat_api_secret_file', 'string']);
  f.push(['wechat_api_corp_id', 'string'], ['victorops_api_url', 'url'], ['victorops_api_key', 'secret'],
    ['victorops_api_key_file', 'string'], ['telegram_api_url', 'url']);
  if (v === '0.33.1') f.push(['telegram_bot_token', 'secret'], ['telegram_bot_token_file', 'string']);
  f.push(['webex_api_url', 'url']);
  if (v !== '0.25.0') {
    f.push(['rocketchat_api_url', 'url'], ['rocketchat_token', 'secret'], ['rocketchat_token_file', 'string'],
      ['rocketchat_token_id', 'secret'], ['rocketchat_token_id_file', 'string']);
  }
  if (v === '0.33.1') f.push(['mattermost_webhook_url', 'secret'], ['mattermost_webhook_url_file', 'string']);
  return f;
}

/** The global keys a version accepts. */
export function globalKeys(v: CompatVersion): string[] {
  return globalFields(v).map(([k]) => k);
}

const SECRET_NAMES = new Set([
  'password', 'credentials', 'client_secret', 'bearer_token', 'secret_key', 'auth_password', 'auth_secret',
  'routing_key', 'service_key', 'api_key', 'api_secret', 'user_key', 'token', 'token_id', 'bot_token', 'app_token',
  'alert_source_token',
]);
/** Fields that are secret URLs in one integration but plain URLs in others. */
const SECRET_URL_FIELDS: Record<string, readonly string[]> = {
  slack: ['api_url'],
  discord: ['webhook_url'],
  msteams: ['webhook_url'],
  msteamsv2: ['webhook_url'],
  mattermost: ['webhook_url'],
};

function isSet(x: unknown): boolean {
  return x !== undefined && x !== null && x !== '';
}

/** A user's YAML value with secrets masked; maps keep the user's order. */
function masked(x: unknown, secretKeys: readonly string[] = []): YValue {
  if (Array.isArray(x)) return x.map((i) => masked(i));
  if (x !== null && typeof x === 'object') {
    const m = new YMap();
    for (const [k, v] of Object.entries(x as Raw)) {
      if (v === null || v === undefined) continue;
      m.set(k, (SECRET_NAMES.has(k) || secretKeys.includes(k)) && isSet(v) && typeof v !== 'object' ? '<secret>' : masked(v));
    }
    return m;
  }
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  return null;
}

function httpConfig(raw: unknown): YMap {
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return HTTP_DEFAULTS();
  const m = masked(raw) as YMap;
  if (!m.entries.some(([k]) => k === 'follow_redirects')) m.set('follow_redirects', true);
  if (!m.entries.some(([k]) => k === 'enable_http2')) m.set('enable_http2', true);
  return m;
}

function sortedMap(x: unknown): YMap | undefined {
  if (x === null || x === undefined || typeof x !== 'object') return undefined;
  const m = new YMap();
  for (const k of Object.keys(x as Raw).sort(compareGo)) m.set(k, String((x as Raw)[k]));
  return m;
}

function duration(x: unknown): string | undefined {
  if (x === undefined || x === null) return undefined;
  return formatPromDuration(parsePromDuration(String(x)));
}

function matcherList(x: unknown, compat: Compat): string[] | undefined {
  if (!Array.isArray(x) || x.length === 0) return undefined;
  const ms = sortMatchers(x.flatMap((s) => parseMatchers(String(s), compat.utf8LabelNames)));
  return ms.map((m) => m.toString(compat.quoteReservedMatcherNames));
}

function strings(x: unknown): string[] | undefined {
  return Array.isArray(x) && x.length > 0 ? x.map(String) : undefined;
}

function global(g: Raw, v: CompatVersion): YMap {
  const m = new YMap();
  for (const [k, kind] of globalFields(v)) {
    const x = g[k];
    switch (kind) {
      case 'duration':
        m.set(k, duration(x ?? '5m'));
        break;
      case 'http':
        m.set(k, httpConfig(x));
        break;
      case 'bool':
        if (k === 'smtp_require_tls') m.set(k, x === undefined || x === null ? true : Boolean(x));
        else if (typeof x === 'boolean') m.set(k, x);
        break;
      case 'tls':
        m.set(k, x === undefined || x === null || typeof x !== 'object' ? new YMap().set('insecure_skip_verify', false) : masked(x));
        break;
      case 'secret':
        if (isSet(x)) m.set(k, '<secret>');
        break;
      case 'url':
        if (isSet(x)) m.set(k, String(x));
        else if (URLS[k] !== undefined) m.set(k, URLS[k]);
        break;
      default:
        if (k === 'smtp_hello') m.set(k, isSet(x) ? String(x) : 'localhost');
        else if (isSet(x)) m.set(k, String(x));
    }
  }
  return m;
}

function route(r: Raw, compat: Compat): YMap {
  const m = new YMap()
    .set('receiver', isSet(r['receiver']) ? String(r['receiver']) : undefined)
    .set('group_by', strings(r['group_by']))
    .set('match', sortedMap(r['match']))
    .set('match_re', sortedMap(r['match_re']))
    .set('matchers', matcherList(r['matchers'], compat))
    .set('continue', r['continue'] === true);
  const routes = Array.isArray(r['routes']) ? (r['routes'] as Raw[]) : [];
  if (routes.length > 0) m.set('routes', routes.map((c) => route(c ?? {}, compat)));
  return m
    .set('group_wait', duration(r['group_wait']))
    .set('group_interval', duration(r['group_interval']))
    .set('repeat_interval', duration(r['repeat_interval']));
}

function inhibitRule(r: Raw, compat: Compat): YMap {
  const m = new YMap();
  if (compat.version === '0.33.1' && isSet(r['name'])) m.set('name', String(r['name']));
  for (const side of ['source', 'target']) {
    m.set(`${side}_match`, sortedMap(r[`${side}_match`]))
      .set(`${side}_match_re`, sortedMap(r[`${side}_match_re`]))
      .set(`${side}_matchers`, matcherList(r[`${side}_matchers`], compat));
  }
  return m.set('equal', strings(r['equal']));
}

function webhook(w: Raw, v: CompatVersion): YMap {
  const m = new YMap()
    .set('send_resolved', w['send_resolved'] === undefined || w['send_resolved'] === null ? true : Boolean(w['send_resolved']))
    .set('http_config', httpConfig(w['http_config']));
  if (v === '0.25.0') return m.set('url', isSet(w['url']) ? String(w['url']) : undefined).set('max_alerts', Number(w['max_alerts'] ?? 0));
  return m
    .set('url', isSet(w['url']) ? '<secret>' : undefined)
    .set('url_file', isSet(w['url_file']) ? String(w['url_file']) : '')
    .set('max_alerts', Number(w['max_alerts'] ?? 0))
    .set('timeout', duration(w['timeout'] ?? '0s'));
}

/** Integrations whose Go default has send_resolved: false. */
const SEND_RESOLVED_OFF = new Set(['email', 'slack', 'rocketchat', 'wechat']);

function otherIntegration(name: string, f: Raw): YMap {
  const m = new YMap().set('send_resolved', typeof f['send_resolved'] === 'boolean' ? f['send_resolved'] : !SEND_RESOLVED_OFF.has(name));
  const rest = masked(f, SECRET_URL_FIELDS[name] ?? []) as YMap;
  for (const [k, x] of rest.entries) if (k !== 'send_resolved') m.set(k, x);
  return m;
}

function receiver(r: Raw, compat: Compat): YMap {
  const name = String(r['name'] ?? '');
  const m = new YMap().set('name', name);
  if (compat.receiverLabels) {
    const labels: Record<string, unknown> = { ...((r['labels'] as Raw | undefined) ?? {}), name };
    m.set('labels', sortedMap(labels));
  }
  for (const n of integrationsOf(compat.version)) {
    const list = r[`${n}_configs`];
    if (!Array.isArray(list) || list.length === 0) continue;
    m.set(`${n}_configs`, list.map((x) => (n === 'webhook' ? webhook((x ?? {}) as Raw, compat.version) : otherIntegration(n, (x ?? {}) as Raw))));
  }
  return m;
}

/** The text /api/v2/status shows for a config already validated by parseConfig. */
export function originalConfig(raw: Raw, compat: Compat): string {
  const doc = new YMap()
    .set('global', global((raw['global'] as Raw | null) ?? {}, compat.version))
    .set('route', raw['route'] ? route(raw['route'] as Raw, compat) : undefined);
  const inhibit = Array.isArray(raw['inhibit_rules']) ? (raw['inhibit_rules'] as Raw[]) : [];
  if (inhibit.length > 0) doc.set('inhibit_rules', inhibit.map((r) => inhibitRule(r ?? {}, compat)));
  const receivers = Array.isArray(raw['receivers']) ? (raw['receivers'] as Raw[]) : [];
  if (receivers.length > 0) doc.set('receivers', receivers.map((r) => receiver(r ?? {}, compat)));
  doc.set('templates', Array.isArray(raw['templates']) ? (raw['templates'] as unknown[]).map(String) : []);
  return marshalGoYaml(doc);
}
