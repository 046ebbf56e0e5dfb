/**
 * Differential test: the same requests (valid and invalid) go to a real Alertmanager 0.33.1 and to
 * tsam (--tsam.compat=0.33.1), both with clustering off and the same config. Status codes, content
 * types and bodies must agree once ids, timestamps and the build-specific bits (version info, Go's JSON
 * decoder's exact wording) are normalised away. config.original (the re-marshalled config, secrets
 * masked) is compared as it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRealAlertmanager, howToGetReal, startReal, startTsam, tempDir, type RealNode, type TsamNode } from '../../../test/support/tsam/nodes.js';

// 0.33.1 is the reference; the older versions tsam imitates are checked the same way.
const VERSIONS = ['0.33.1', '0.28.1', '0.25.0'] as const;
const found = Object.fromEntries(await Promise.all(VERSIONS.map(async (v) => [v, await findRealAlertmanager(v)] as const)));
for (const v of VERSIONS) if (!found[v]) console.warn(`SKIP differential API test ${v}: ${howToGetReal(v)}`);

const CONFIG = `
global:
  resolve_timeout: 5m
route:
  receiver: web
  group_by: [alertname]
  group_wait: 1h
  group_interval: 1h
  repeat_interval: 4h
  routes:
    - matchers: ['team="x y"']
      receiver: web2
      continue: true
    - matchers: ['team=~"x.*"']
      receiver: web
receivers:
  - name: web
    webhook_configs:
      - url: http://127.0.0.1:9/hook
  - name: web2
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
`;

interface Req {
  name: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

interface Res {
  status: number;
  contentType: string | null;
  body: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function normalise(v: unknown, key = ''): unknown {
  if (typeof v === 'string') {
    if (UUID.test(v)) return '<uuid>';
    if (TIME.test(v)) return '<time>';
    // Go's JSON decoder words its errors its own way; the part before "because" is what we promise.
    const i = v.indexOf(' failed, because ');
    if (v.startsWith('parsing ') && i > 0) return v.slice(0, i) + ' failed, because <decoder error>';
    // Go lists allowed methods in map order (random): compare them as a set.
    return v.replace(/but \[([A-Z,]+)\] are/, (_m, list: string) => `but [${list.split(',').sort().join(',')}] are`);
  }
  if (Array.isArray(v)) return v.map((x) => normalise(x, key));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = key === 'versionInfo' ? '<s>' : normalise(x, k);
    return out;
  }
  return v;
}

async function send(base: string, r: Req): Promise<Res> {
  const headers: Record<string, string> = {};
  if (r.body !== undefined) headers['Content-Type'] = r.contentType ?? 'application/json';
  const res = await fetch(`${base}${r.path}`, { method: r.method, headers, body: r.body });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? '' : JSON.parse(text);
  } catch {
    // plain text bodies are compared as text
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body: normalise(body) };
}

function iso(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

function silence(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    matchers: [{ name: 'alertname', value: 'A', isRegex: false, isEqual: true }],
    startsAt: iso(0),
    endsAt: iso(3_600_000),
    createdBy: 'me',
    comment: 'c',
    ...extra,
  });
}

for (const VERSION of VERSIONS) {
const real = found[VERSION];
describe.skipIf(!real)(`API v2 matches real Alertmanager ${VERSION}`, () => {
  let am: RealNode;
  let ts: TsamNode;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const d1 = await tempDir('diff-real');
    cleanups.push(d1.cleanup);
    const d2 = await tempDir('diff-tsam');
    cleanups.push(d2.cleanup);
    am = await startReal(real!, CONFIG, d1.dir);
    cleanups.push(am.stop);
    ts = await startTsam(CONFIG, d2.dir, [`--tsam.compat=${VERSION}`]);
    cleanups.push(ts.stop);
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function both(r: Req): Promise<[Res, Res]> {
    return Promise.all([send(am.url, r), send(ts.url, r)]);
  }

  async function same(r: Req): Promise<[Res, Res]> {
    const [a, b] = await both(r);
    expect({ case: r.name, ...b }).toEqual({ case: r.name, ...a });
    // Key order too: clients that diff raw bodies must see the same JSON.
    expect(`${r.name}: ${JSON.stringify(b.body)}`).toBe(`${r.name}: ${JSON.stringify(a.body)}`);
    return [a, b];
  }

  const post = (name: string, path: string, body: string, contentType?: string): Req => ({
    name,
    method: 'POST',
    path,
    body,
    ...(contentType ? { contentType } : {}),
  });
  const get = (name: string, path: string): Req => ({ name, method: 'GET', path });

  it('status, receivers, health, method and path errors', async () => {
    await same(get('status', '/api/v2/status'));
    await same(get('receivers', '/api/v2/receivers'));
    await same(get('healthy', '/-/healthy'));
    await same(get('ready', '/-/ready'));
    await same(get('reload with GET', '/-/reload'));
    await same(get('unknown v2 path', '/api/v2/nonexistent'));
    await same({ name: 'PUT alerts', method: 'PUT', path: '/api/v2/alerts' });
    // 0.25 still serves API v1; tsam implements v2 only (amchaos uses v2 against every version).
    if (VERSION !== '0.25.0') await same(get('v1 is gone', '/api/v1/alerts'));
  });

  it('POST /api/v2/alerts, valid and invalid', async () => {
    const A = '/api/v2/alerts';
    await same(post('valid pair', A, JSON.stringify([
      { labels: { alertname: 'A', severity: 'critical' }, annotations: { x: 'y' } },
      { labels: { alertname: 'A', severity: 'warning' }, generatorURL: 'http://g' },
      { labels: { alertname: 'W', team: 'x y', a: '1', a1: '2' } },
      { labels: { 'a b': 'utf8 name' } },
    ])));
    await same(post('empty list', A, '[]'));
    await same(post('bad JSON', A, 'not json'));
    await same(post('object instead of list', A, '{}'));
    await same(post('missing labels', A, '[{"annotations":{}}]'));
    await same(post('empty labels', A, '[{"labels":{}}]'));
    await same(post('only empty label values', A, '[{"labels":{"alertname":""}}]'));
    await same(post('endsAt before startsAt', A, '[{"labels":{"alertname":"B"},"startsAt":"2020-01-01T00:00:00Z","endsAt":"2019-01-01T00:00:00Z"}]'));
    await same(post('empty label name', A, '[{"labels":{"":"B"}}]'));
    await same(post('valid and invalid mixed', A, '[{"labels":{"alertname":"X"}},{"labels":{}},{"labels":{"alertname":"Y"},"startsAt":"2020-01-01T00:00:00Z","endsAt":"2019-01-01T00:00:00Z"}]'));
    await same(post('bad time', A, '[{"labels":{"alertname":"C"},"startsAt":"bogus"}]'));
    await same(post('number label value', A, '[{"labels":{"alertname":5}}]'));
    await same(post('wrong content type', A, '[{"labels":{"alertname":"A"}}]', 'text/plain'));
  });

  it('GET /api/v2/alerts and groups with filters', async () => {
    await same(get('all alerts', '/api/v2/alerts'));
    await same(get('filter + inhibited=false', '/api/v2/alerts?filter=severity%3D%22warning%22&inhibited=false'));
    await same(get('filter empty value', '/api/v2/alerts?filter=severity%3D'));
    await same(get('regex filter', '/api/v2/alerts?filter=alertname%3D~%22A%7CW%22'));
    await same(get('bad filter', '/api/v2/alerts?filter=foo'));
    await same(get('non-bool active', '/api/v2/alerts?active=maybe'));
    await same(get('receiver filter', '/api/v2/alerts?receiver=web2'));
    await same(get('bad receiver regex', '/api/v2/alerts?receiver=%5B'));
    await same(get('groups', '/api/v2/alerts/groups'));
    await same(get('groups filtered', '/api/v2/alerts/groups?filter=alertname%3D%22A%22'));
  });

  // Issue 14: each case below failed on tsam before its row was fixed.
  it('row 1+2: empty matcher values, empty createdBy and comment are valid silences', async () => {
    const S = '/api/v2/silences';
    const m = (name: string, value: string, isEqual = true, isRegex = false) => ({ name, value, isEqual, isRegex });
    await same(post('env!="" (label present)', S, silence({ matchers: [m('alertname', 'E1'), m('env', '', false)], endsAt: iso(3_700_000) })));
    await same(post('env="" alone matches everything: 400', S, silence({ matchers: [m('env', '')] })));
    await same(post('env!="" alone', S, silence({ matchers: [m('env', '', false)], endsAt: iso(3_800_000) })));
    await same(post('env=~"" with alertname', S, silence({ matchers: [m('alertname', 'E2'), m('env', '', true, true)], endsAt: iso(3_900_000) })));
    await same(post('empty createdBy and comment', S, silence({ createdBy: '', comment: '', matchers: [m('alertname', 'E3')], endsAt: iso(4_000_000) })));
    await same(post('empty matcher name: 400', S, silence({ matchers: [m('', 'x')] })));
    await same(post('null value: 422', S, silence({ matchers: [{ name: 'a', value: null, isRegex: false }] })));
    await same(post('null comment: 422', S, silence({ comment: null })));
    await same(get('listed', `${S}?filter=alertname%3D~%22E.%22`));
    await same(get('listed by the empty-value matcher', `${S}?filter=env!%3D%22%22`));
    // Applied: an alert without env is not muted by env!="", one with env is.
    await same(post('alerts for the empty-value silences', '/api/v2/alerts', JSON.stringify([
      { labels: { alertname: 'E1' } },
      { labels: { alertname: 'E1', env: 'prod' } },
      { labels: { alertname: 'E2' } },
      { labels: { alertname: 'E2', env: 'prod' } },
    ])));
    await same(get('E1 muted only with env', '/api/v2/alerts?filter=alertname%3DE1'));
    await same(get('E2 muted only without env', '/api/v2/alerts?filter=alertname%3DE2'));
  });

  it('row 3: silences filter= means "has this exact matcher"', async () => {
    const S = '/api/v2/silences';
    const m = (name: string, value: string, isEqual = true, isRegex = false) => ({ name, value, isEqual, isRegex });
    await same(post('DiskFull', S, silence({ matchers: [m('alertname', 'DiskFull'), m('team', 'ops')], endsAt: iso(5_000_000) })));
    await same(post('Disk.*', S, silence({ matchers: [m('alertname', 'Disk.*', true, true)], endsAt: iso(5_100_000) })));
    await same(post('not x', S, silence({ matchers: [m('alertname', 'x', false)], endsAt: iso(5_200_000) })));
    for (const f of ['alertname=~"Disk.*"', 'alertname!="x"', 'alertname="DiskFull"', 'alertname=~"DiskFull"', 'alertname=~Disk.*',
      'alertname="DiskFull",team="ops"', 'team="ops"', 'alertname!~"x"', 'alertname="Disk.*"']) {
      await same(get(`filter ${f}`, `${S}?filter=${encodeURIComponent(f)}`));
    }
    await same(get('two filters', `${S}?filter=${encodeURIComponent('alertname="DiskFull"')}&filter=${encodeURIComponent('team="ops"')}`));
    await same(get('two filters, one absent', `${S}?filter=${encodeURIComponent('alertname="DiskFull"')}&filter=${encodeURIComponent('team="dev"')}`));
  });

  it('row 5: unquoted label names outside the classic set in filter=', async () => {
    // One odd name per alert: 0.25 rejects each, and Go reports one invalid name per alert in map order.
    await same(post('alerts with such names', '/api/v2/alerts', JSON.stringify([
      { labels: { alertname: 'U1', 'a-b': 'x' } },
      { labels: { alertname: 'U2', '1abc': 'y' } },
      { labels: { alertname: 'U3', 'ünï': 'z' } },
    ])));
    for (const f of ['a-b="x"', '1abc="y"', 'ünï="z"', '"a b"="x"', 'a-b=x', 'a.b="c"', 'a b="x"', '{a="b"}', 'a="b",c="d"', 'a:b="c"', 'foo', '"a\\qb"="x"']) {
      await same(get(`alerts filter ${f}`, `/api/v2/alerts?filter=${encodeURIComponent(f)}`));
      await same(get(`silences filter ${f}`, `/api/v2/silences?filter=${encodeURIComponent(f)}`));
      await same(get(`groups filter ${f}`, `/api/v2/alerts/groups?filter=${encodeURIComponent(f)}`));
    }
  });

  it('row 4: config.original is the re-marshalled config with defaults and secrets masked', async () => {
    const [a, b] = await same(get('status', '/api/v2/status'));
    const original = (r: Res): string => ((r.body as { config: { original: string } }).config.original);
    expect(original(b)).toBe(original(a));
    expect(original(b)).toContain('smtp_hello: localhost');
    // 0.28+ masks webhook URLs; 0.25 shows them.
    expect(original(b).includes('http://127.0.0.1:9/hook')).toBe(VERSION === '0.25.0');
  });

  it('row 6: /metrics has the alertmanager_* series a dashboard reads, with the same labels and values', async () => {
    const scrape = async (url: string): Promise<Map<string, number>> => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        const m = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (m) out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
      }
      return out;
    };
    const [r, t] = await Promise.all([scrape(am.url), scrape(ts.url)]);
    const families = (m: Map<string, number>): Set<string> => new Set([...m.keys()].map((k) => k.replace(/\{.*/, '').replace(/_(bucket|sum|count)$/, '')));
    const tf = families(t);
    for (const name of [
      'alertmanager_alerts', 'alertmanager_alerts_received_total', 'alertmanager_alerts_invalid_total', 'alertmanager_silences',
      'alertmanager_notifications_total', 'alertmanager_notifications_failed_total', 'alertmanager_notification_requests_total',
      'alertmanager_notification_requests_failed_total', 'alertmanager_notification_latency_seconds', 'alertmanager_config_hash',
      'alertmanager_config_last_reload_successful', 'alertmanager_config_last_reload_success_timestamp_seconds',
      'alertmanager_dispatcher_aggregation_groups', 'alertmanager_receivers', 'alertmanager_integrations',
      'alertmanager_inhibition_rules', 'alertmanager_http_request_duration_seconds', 'alertmanager_http_requests_in_flight',
      'alertmanager_nflog_queries_total', 'alertmanager_nflog_snapshot_size_bytes', 'alertmanager_nflog_maintenance_total',
      'alertmanager_silences_queries_total', 'alertmanager_silences_snapshot_size_bytes', 'alertmanager_silences_maintenance_total',
      'alertmanager_cluster_enabled', 'alertmanager_build_info', 'process_cpu_seconds_total', 'process_resident_memory_bytes',
      'process_start_time_seconds', 'process_open_fds', 'process_max_fds', 'process_virtual_memory_bytes',
    ]) {
      const since028 = ['alertmanager_inhibition_rules', 'alertmanager_nflog_maintenance_total', 'alertmanager_silences_maintenance_total'];
      if (VERSION === '0.25.0' && since028.includes(name)) continue;
      expect(tf.has(name), name).toBe(true);
      if (name.startsWith('alertmanager_')) expect(families(r).has(name), `${name} on the real ${VERSION}`).toBe(true);
    }
    // Every alertmanager_* series tsam exports (bar HTTP and build info) exists on the real one with the same labels.
    for (const k of t.keys()) {
      if (!k.startsWith('alertmanager_') || k.startsWith('alertmanager_http_') || k.startsWith('alertmanager_build_info')) continue;
      expect(r.has(k), `${k} on the real ${VERSION}`).toBe(true);
    }
    // Same requests so far, same counts.
    for (const k of [
      'alertmanager_alerts_received_total{status="firing",version="v2"}', 'alertmanager_alerts_invalid_total{version="v2"}',
      'alertmanager_alerts{state="active"}', 'alertmanager_alerts{state="suppressed"}', 'alertmanager_silences{state="active"}',
      'alertmanager_config_hash', 'alertmanager_config_last_reload_successful', 'alertmanager_receivers', 'alertmanager_integrations',
      'alertmanager_inhibition_rules', 'alertmanager_dispatcher_aggregation_groups', 'alertmanager_notifications_total{integration="webhook"}',
    ]) {
      if (!r.has(k)) continue;
      expect({ k, v: t.get(k) }).toEqual({ k, v: r.get(k) });
    }
  });

  it('row 7: generatorURL must be a URI', async () => {
    const A = '/api/v2/alerts';
    for (const g of ['not a uri', 'http://x y', '::', '%zz', '/relative', 'mailto:a@b', '', 'http://prom:9090/graph?g0.expr=up%7Bjob%3D%22x%22%7D', 'http://[::1]:90/x', 'http://h:port/', 'http://a b@h/', '/a b', 'x:/a%2']) {
      await same(post(`generatorURL ${JSON.stringify(g)}`, A, JSON.stringify([{ labels: { alertname: 'G' }, generatorURL: g }])));
    }
    await same(post('bad URI in the second item, no labels in the first', A, JSON.stringify([{ annotations: {} }, { labels: { alertname: 'G' }, generatorURL: 'no uri' }])));
    await same(post('bad URI and no labels in one item', A, JSON.stringify([{ generatorURL: 'no uri' }])));
  });

  it('row 8: timestamps keep the client offset (and nanoseconds inside)', async () => {
    const A = '/api/v2/alerts';
    const t = (ms: number, zone: string, frac = '') => new Date(Math.floor((Date.now() + ms) / 1000) * 1000).toISOString().slice(0, 19) + frac + zone;
    await same(post('offsets and nanoseconds', A, JSON.stringify([
      { labels: { alertname: 'T1' }, startsAt: t(-60_000, '+02:00', '.123456789'), endsAt: t(3_600_000, '-05:30', '.5') },
      { labels: { alertname: 'T2' }, startsAt: t(-60_000, '+00:00', '.1') },
      { labels: { alertname: 'T3' }, startsAt: t(-60_000, '+0100', '.123'), endsAt: t(3_600_000, '+0530', '.123456') },
      { labels: { alertname: 'T4' }, startsAt: t(-60_000, '').replace('T', ' ') },
      { labels: { alertname: 'T5' }, startsAt: t(-60_000, 'Z').slice(0, 16) + 'Z' },
      { labels: { alertname: 'T6' }, startsAt: t(-60_000, ',25Z') },
    ])));
    await same(get('as the API shows them', `${A}?filter=${encodeURIComponent('alertname=~"T."')}`));
    await same(get('in groups', `${A}/groups?filter=${encodeURIComponent('alertname=~"T."')}`));
    for (const bad of ['2026-12-04T20:00:00+0100', '2026-12-04T20:00:00.12+0100', '2026-12-04t20:00:00Z', '2026-12-04T20:00:00z', '2026-13-04T20:00:00Z', '2026-02-30T20:00:00Z', '2026-12-04T24:00:00Z', '2026-12-04']) {
      await same(post(`time ${bad}`, A, JSON.stringify([{ labels: { alertname: 'TB' }, startsAt: bad }])));
    }
    // Sub-millisecond order decides validity, as in Go.
    const base = t(-60_000, '');
    await same(post('end before start by 1 µs', A, JSON.stringify([{ labels: { alertname: 'TN' }, startsAt: `${base}.000002Z`, endsAt: `${base}.000001Z` }])));
  });

  it('row 9: /alerts/groups?receiver= lists only that receiver on each alert', async () => {
    await same(post('an alert for two receivers', '/api/v2/alerts', JSON.stringify([{ labels: { alertname: 'R', team: 'x y' } }])));
    for (const q of ['receiver=web2', 'receiver=web', 'receiver=web.*', 'receiver=nomatch', '']) {
      await same(get(`groups ${q}`, `/api/v2/alerts/groups?filter=alertname%3DR&${q}`));
      await same(get(`alerts ${q}`, `/api/v2/alerts?filter=alertname%3DR&${q}`));
    }
  });

  it('row 10: status codes (and texts a client shows) for malformed and empty bodies, paths, params', async () => {
    const A = '/api/v2/alerts';
    const S = '/api/v2/silences';
    await same(post('empty alerts body: 422 required', A, ''));
    await same(post('null alerts body: 200', A, 'null'));
    await same(post('trailing text after the alerts: 200', A, '[{"labels":{"alertname":"TT"}}] x'));
    await same(post('truncated alerts JSON: 400', A, '[{"labels":{"a":"b"}}'));
    await same(post('whitespace body: 400', A, '  '));
    await same(post('number item: 400', A, '[1]'));
    await same(post('empty silence body: 422 required', S, ''));
    await same(post('null silence body: 422 comment required', S, 'null'));
    await same(post('trailing text after the silence', S, silence({ matchers: [{ name: 'alertname', value: 'TT', isRegex: false }], endsAt: iso(5_300_000) }) + ' x'));
    await same(get('/api/v2 without slash', '/api/v2'));
    await same(get('/api/v2/', '/api/v2/'));
    await same({ name: 'HEAD ready', method: 'HEAD', path: '/-/ready' });
    await same({ name: 'HEAD healthy', method: 'HEAD', path: '/-/healthy' });
    await same({ name: 'POST healthy', method: 'POST', path: '/-/healthy' });
    await same({ name: 'PUT reload', method: 'PUT', path: '/-/reload' });
    await same({ name: 'POST metrics', method: 'POST', path: '/metrics' });
    await same({ name: 'DELETE silences', method: 'DELETE', path: S });
    await same(get('receiver_matchers (0.33) bad', '/api/v2/receivers?receiver_matchers=%5B'));
    await same(get('receiver_matchers (0.33)', '/api/v2/receivers?receiver_matchers=name%3Dweb2'));
    await same(get('alerts by receiver_matchers (0.33)', `${A}?receiver_matchers=name%3Dweb2`));
    await same(get('groups by receiver_matchers (0.33)', `${A}/groups?receiver_matchers=name%3Dweb2`));
    await same(get('groups muted=false', `${A}/groups?muted=false`));
    await same(get('bad silence filter regex', `${S}?filter=a%3D~%22%5B%22`));
    await same(get('empty filter', `${A}?filter=`));
    // The root page: the Debian builds say they have no UI (200, HTML); so does tsam. Compared by status and type.
    const [a, b] = await Promise.all([fetch(am.url + '/'), fetch(ts.url + '/')]);
    expect([b.status, b.headers.get('content-type')]).toEqual([a.status, a.headers.get('content-type')]);
    await Promise.all([a.text(), b.text()]);
  });

  it('silences: create, validate, get, expire', async () => {
    const S = '/api/v2/silences';
    const [a, b] = await same(post('create', S, silence()));
    const idA = (await (await fetch(`${am.url}/api/v2/silences`)).json()) as { id: string }[];
    const idB = (await (await fetch(`${ts.url}/api/v2/silences`)).json()) as { id: string }[];
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const realId = idA[0]!.id;
    const tsamId = idB[0]!.id;

    await same(post('start after end', S, silence({ startsAt: iso(3_600_000), endsAt: iso(0) })));
    await same(post('no matchers', S, silence({ matchers: [] })));
    await same(post('missing createdBy', S, silence({ createdBy: undefined })));
    await same(post('missing comment', S, silence({ comment: undefined })));
    await same(post('missing startsAt', S, silence({ startsAt: undefined })));
    await same(post('matcher without isRegex', S, silence({ matchers: [{ name: 'alertname', value: 'A' }] })));
    await same(post('bad regex', S, silence({ matchers: [{ name: 'alertname', value: '[', isRegex: true }] })));
    await same(post('matches the empty string', S, silence({ matchers: [{ name: 'alertname', value: '.*', isRegex: true }] })));
    await same(post('ends in the past', S, silence({ startsAt: iso(-7_200_000), endsAt: iso(-3_600_000) })));
    await same(post('unknown id', S, silence({ id: '00000000-0000-4000-8000-000000000000' })));
    await same(post('bad JSON', S, 'bad'));
    await same(post('empty object', S, '{}'));
    await same(post('list instead of object', S, '[]'));

    await same(get('list', S));
    await same(get('list filtered', `${S}?filter=alertname%3DA`));
    await same(get('bad filter', `${S}?filter=bad`));
    await same(get('alerts with silence', '/api/v2/alerts?silenced=false'));
    await same(get('unknown silence', '/api/v2/silence/00000000-0000-0000-0000-000000000000'));
    await same(get('malformed silence id', '/api/v2/silence/nope'));
    await same({ name: 'delete unknown', method: 'DELETE', path: '/api/v2/silence/00000000-0000-0000-0000-000000000000' });
    await same({ name: 'delete malformed', method: 'DELETE', path: '/api/v2/silence/nope' });

    // Per-node ids from here on: the same request shape, each node's own silence.
    const pair = async (name: string, method: string, pathOf: (id: string) => string, bodyOf?: (id: string) => string) => {
      const [x, y] = await Promise.all([
        send(am.url, { name, method, path: pathOf(realId), ...(bodyOf ? { body: bodyOf(realId) } : {}) }),
        send(ts.url, { name, method, path: pathOf(tsamId), ...(bodyOf ? { body: bodyOf(tsamId) } : {}) }),
      ]);
      expect({ case: name, ...y }).toEqual({ case: name, ...x });
      expect(`${name}: ${JSON.stringify(y.body)}`).toBe(`${name}: ${JSON.stringify(x.body)}`);
    };
    await pair('get by id', 'GET', (id) => `/api/v2/silence/${id}`);
    await pair('update with new end (new id: startsAt moved)', 'POST', () => S, (id) => silence({ id, endsAt: iso(7_200_000) }));
    await pair('expire', 'DELETE', (id) => `/api/v2/silence/${id}`);
    await pair('expire again', 'DELETE', (id) => `/api/v2/silence/${id}`);
    await pair('get expired', 'GET', (id) => `/api/v2/silence/${id}`);
    await same(get('list after expiry', S));
  });
});
}
