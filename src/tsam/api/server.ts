/**
 * The HTTP API on node:http: /api/v2 (alerts, alert groups, silences, status, receivers) with the
 * real binary's status codes, JSON shapes and key order, plus /-/healthy, /-/ready and /-/reload.
 * Everything is served under the route prefix (the path of --web.external-url), like Alertmanager.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Compat } from '../compat/compat.js';
import type { Config } from '../config/config.js';
import type { AlertStore, Alert } from '../alerts/alerts.js';
import type { AlertMarker } from '../alerts/marker.js';
import { newAlert, resolvedAt } from '../alerts/alerts.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Route } from '../dispatch/route.js';
import { goString, goStringMap, strfmtDateTime, timeBefore } from '../gojson/gojson.js';
import type { Inhibitor } from '../inhibit/inhibitor.js';
import { compareGo, goQuote } from '../labels/gostring.js';
import { isValidLabelName, type LabelSet } from '../labels/labelset.js';
import { compileGoRegexp, Matcher, MatcherError } from '../labels/matcher.js';
import { parseMatcher } from '../labels/parse.js';
import { isGoRequestURI } from './uri.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Silences, SilenceState } from '../silences/silences.js';
import { SilenceNotFoundError, SilenceValidationError } from '../silences/silences.js';
import { emptySilence, goTimeToMs, msToGoTime, type GoTime, type PbMatcher, type PbMatcherType, type PbSilence } from '../statepb/statepb.js';
import {
  convertBool,
  parseDateTime,
  timeDetail,
  timeMs,
  type ClientTime,
  parseJsonBody,
  PlainError,
  stringMap,
  SwaggerError,
  typeError,
  UUID_RE,
} from './decode.js';

export interface ClusterView {
  name?: string;
  status: 'ready' | 'settling' | 'disabled';
  peers: { name: string; address: string }[];
}

export interface ApiDeps {
  compat: Compat;
  logger: Logger;
  alerts: AlertStore;
  silences: Silences;
  inhibitor: () => Inhibitor;
  dispatcher: () => Dispatcher;
  route: () => Route;
  config: () => Config;
  cluster: () => ClusterView;
  startedAt: number;
  routePrefix: string;
  reload: () => Promise<void>;
  metrics: Metrics;
  /** Up to 0.28 an alert query records the status it computed (alertmanager_alerts reads it). */
  marker: AlertMarker;
  /** The /metrics text. */
  exposition: () => string;
}

interface Reply {
  status: number;
  body?: string;
  /** Large answers are produced piece by piece, so their garbage dies young (memory budget). */
  stream?: () => Iterable<string>;
  headers?: Record<string, string>;
}

type AlertStatus = { silencedBy: string[]; inhibitedBy: string[]; state: string };

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Vary: 'Origin' };

function json(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value), headers: JSON_HEADERS };
}

function jsonText(status: number, text: string): Reply {
  return { status, body: text, headers: JSON_HEADERS };
}

function empty(status: number): Reply {
  return { status, headers: { 'Cache-Control': 'no-store', Vary: 'Origin' } };
}

const NO_UI_PAGE =
  '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Alertmanager</title></head>\n' +
  '<body><h1>Alertmanager</h1><p>tsam (amchaos\' TypeScript Alertmanager) has no web UI; use the API v2 under /api/v2/.</p></body>\n</html>\n';

const API_METHODS: [RegExp, string[]][] = [
  [/^\/alerts$/, ['GET', 'POST']],
  [/^\/alerts\/groups$/, ['GET']],
  [/^\/silences$/, ['GET', 'POST']],
  [/^\/silence\/[^/]+$/, ['DELETE', 'GET']],
  [/^\/status$/, ['GET']],
  [/^\/receivers$/, ['GET']],
];

const PB_TYPE: Record<string, PbMatcherType> = { '=': 0, '=~': 1, '!=': 2, '!~': 3 };

export class ApiServer {
  private readonly server: http.Server;

  constructor(private readonly deps: ApiDeps) {
    this.server = http.createServer({ keepAlive: true }, (req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 60_000;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const m = this.deps.metrics;
    m.httpInFlight++;
    res.once('close', () => {
      m.httpInFlight--;
      const handler = this.handlerLabel(req.url ?? '/');
      if (handler !== undefined) m.observeHttp(handler, req.method ?? 'GET', res.statusCode, (performance.now() - started) / 1000);
    });
    let reply: Reply;
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      reply = await this.route(req, Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      this.deps.logger.error('API request failed', { method: req.method, url: req.url, err: e });
      reply = { status: 500, body: 'internal error\n', headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
    }
    const headers: Record<string, string | number> = { ...(reply.headers ?? {}) };
    if (reply.stream && req.method !== 'HEAD') {
      res.writeHead(reply.status, headers);
      let buf = '';
      for (const piece of reply.stream()) {
        buf += piece;
        if (buf.length < 16_384) continue;
        const ok = res.write(buf);
        buf = '';
        if (!ok) await new Promise((r) => res.once('drain', r));
      }
      res.end(buf);
      return;
    }
    headers['Content-Length'] = reply.body === undefined ? 0 : Buffer.byteLength(reply.body);
    res.writeHead(reply.status, headers);
    res.end(req.method === 'HEAD' ? undefined : reply.body);
  }

  /** The `handler` label Alertmanager's instrumentation gives a path (route patterns for the API). */
  private handlerLabel(rawUrl: string): string | undefined {
    const prefix = this.deps.routePrefix;
    const q = rawUrl.indexOf('?');
    let p = q < 0 ? rawUrl : rawUrl.slice(0, q);
    if (prefix !== '') {
      if (!p.startsWith(prefix)) return undefined;
      p = p.slice(prefix.length) || '/';
    }
    if (p.startsWith('/api/v2/')) {
      const sub = p.slice('/api/v2'.length);
      if (/^\/silence\/[^/]+$/.test(sub)) return '/api/v2/silence/{silenceID}';
      return p;
    }
    if (p.startsWith('/api/v1/')) return p.slice('/api/v1'.length);
    if (['/', '/-/healthy', '/-/ready', '/-/reload', '/metrics'].includes(p)) return p;
    return undefined;
  }

  private async route(req: http.IncomingMessage, body: string): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://tsam');
    const method = req.method ?? 'GET';
    const prefix = this.deps.routePrefix;
    if (prefix !== '' && !(url.pathname === prefix || url.pathname.startsWith(prefix + '/'))) {
      return { status: 404, body: '404 page not found\n', headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
    }
    const path = url.pathname.slice(prefix.length) || '/';

    if (path === '/-/healthy' || path === '/-/ready') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowedText('GET, HEAD, OPTIONS');
      return { status: 200, body: 'OK', headers: method === 'HEAD' ? {} : { 'Content-Type': 'text/plain; charset=utf-8' } };
    }
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      // The Debian builds amchaos runs serve a page saying they carry no web UI; so does tsam.
      return { status: 200, body: NO_UI_PAGE, headers: { 'Content-Type': 'text/html; charset=utf-8' } };
    }
    if (path === '/api/v2') return json(404, { code: 404, message: 'path /api/v2/ was not found' });
    if (path === '/metrics') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowedText('GET, HEAD, OPTIONS');
      return { status: 200, body: this.deps.exposition(), headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' } };
    }
    if (path === '/-/reload') {
      if (method !== 'POST') return methodNotAllowedText('OPTIONS, POST');
      try {
        await this.deps.reload();
        return { status: 200 };
      } catch (e) {
        return {
          status: 500,
          body: `failed to reload config: ${(e as Error).message}\n`,
          headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
        };
      }
    }
    if (path.startsWith('/api/v1/')) {
      if (!this.deps.compat.apiV1Gone) return { status: 404, body: '404 page not found\n' };
      return json(410, {
        status: 'deprecated',
        error:
          'The Alertmanager v1 API was deprecated in version 0.16.0 and is removed as of version 0.27.0 - please use the equivalent route in the v2 API',
      });
    }
    if (!path.startsWith('/api/v2/')) {
      return { status: 404, body: '404 page not found\n', headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
    }
    const sub = path.slice('/api/v2'.length);
    const entry = API_METHODS.find(([re]) => re.test(sub));
    if (!entry) return json(404, { code: 404, message: `path ${url.pathname} was not found` });
    if (!entry[1].includes(method)) {
      const r = json(405, { code: 405, message: `method ${method} is not allowed, but [${entry[1].join(',')}] are` });
      r.headers = { ...r.headers, Allow: entry[1].join(',') };
      return r;
    }
    try {
      if (method === 'POST') {
        const ct = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
        if (ct !== 'application/json') {
          return json(415, { code: 415, message: `unsupported media type ${JSON.stringify(ct)}, only [application/json] are allowed` });
        }
      }
      const q = url.searchParams;
      if (sub === '/alerts') return method === 'POST' ? this.postAlerts(body) : this.getAlerts(q);
      if (sub === '/alerts/groups') return this.getAlertGroups(q);
      if (sub === '/silences') return method === 'POST' ? this.postSilence(body) : this.getSilences(q);
      if (sub.startsWith('/silence/')) {
        const id = decodeURIComponent(sub.slice('/silence/'.length));
        return method === 'GET' ? this.getSilence(id) : this.deleteSilence(id);
      }
      if (sub === '/status') return this.getStatus();
      return this.getReceivers(q);
    } catch (e) {
      if (e instanceof SwaggerError) return jsonText(e.status, e.body());
      if (e instanceof PlainError) return jsonText(e.status, JSON.stringify(e.message));
      throw e;
    }
  }

  // ------------------------------------------------------------------ alerts

  private postAlerts(body: string): Reply {
    const what = 'alerts';
    // The decoder's io.EOF (an empty or all-whitespace body) is "required", as go-swagger reports it.
    if (/^[ \t\n\r]*$/.test(body)) throw new SwaggerError(422, 602, 'alerts in body is required');
    // A JSON null decodes into an empty list: nothing to do, 200.
    const parsed = parseJsonBody(body, what) ?? [];
    if (!Array.isArray(parsed)) throw typeError(what, parsed, 'models.PostableAlerts');
    interface Raw { labels?: LabelSet; annotations?: LabelSet; startsAt: ClientTime; endsAt: ClientTime; generatorURL: string }
    const newer = this.deps.compat.newerTimeParsing;
    const unset: ClientTime = 0;
    const raws: Raw[] = [];
    for (const item of parsed) {
      if (item === null) { raws.push({ startsAt: unset, endsAt: unset, generatorURL: '' }); continue; }
      if (typeof item !== 'object' || Array.isArray(item)) throw typeError(what, item, 'models.PostableAlert');
      const o = item as Record<string, unknown>;
      const gen = o['generatorURL'];
      if (gen !== undefined && gen !== null && typeof gen !== 'string') throw typeError(what, gen, 'strfmt.URI', 'PostableAlert.generatorURL');
      raws.push({
        labels: stringMap(o['labels'], what, 'Alert.labels'),
        annotations: stringMap(o['annotations'], what, 'PostableAlert.annotations'),
        startsAt: o['startsAt'] === undefined || o['startsAt'] === null ? unset : parseDateTime(o['startsAt'], what, 'PostableAlert.startsAt', newer),
        endsAt: o['endsAt'] === undefined || o['endsAt'] === null ? unset : parseDateTime(o['endsAt'], what, 'PostableAlert.endsAt', newer),
        generatorURL: typeof gen === 'string' ? gen : '',
      });
    }
    // Swagger validation, item by item; the first failing item's first error is the answer
    // (Alert.Validate checks generatorURL, then labels).
    raws.forEach((r, i) => {
      if (r.generatorURL !== '' && !isGoRequestURI(r.generatorURL)) {
        throw new SwaggerError(422, 601, `${i}.generatorURL in body must be of type uri: ${goQuote(r.generatorURL)}`);
      }
      if (r.labels === undefined) throw new SwaggerError(422, 602, `${i}.labels in body is required`);
    });

    const now = Date.now();
    const resolveTimeout = this.deps.config().resolveTimeoutMs;
    const utf8 = this.deps.compat.utf8LabelNames;
    const errs: string[] = [];
    const valid: Alert[] = [];
    for (const r of raws) {
      let startsAt = r.startsAt;
      let endsAt = r.endsAt;
      let timeout = false;
      if (timeMs(startsAt) === 0) startsAt = timeMs(endsAt) === 0 ? now : endsAt;
      if (timeMs(endsAt) === 0) {
        timeout = true;
        endsAt = now + resolveTimeout;
      }
      if (timeMs(endsAt) > Date.now()) this.deps.metrics.alertsReceivedFiring++;
      else this.deps.metrics.alertsReceivedResolved++;
      const labels: LabelSet = {};
      for (const [k, v] of Object.entries(r.labels!)) if (v !== '') labels[k] = v;
      const annotations = r.annotations ?? {};
      const err = validateAlert(labels, annotations, startsAt, endsAt, utf8);
      if (err) {
        errs.push(err);
        this.deps.metrics.alertsInvalid++;
        continue;
      }
      const alert = newAlert({ labels, annotations, startsAt: timeMs(startsAt), endsAt: timeMs(endsAt), updatedAt: now, generatorURL: r.generatorURL, timeout });
      if (typeof startsAt !== 'number') alert.startsAtDetail = startsAt.detail;
      if (typeof endsAt !== 'number') alert.endsAtDetail = endsAt.detail;
      valid.push(alert);
    }
    this.deps.alerts.put(valid);
    if (errs.length > 0) return jsonText(400, JSON.stringify(errs.join(this.deps.compat.alertErrorSeparator)));
    return empty(200);
  }

  private parseFilter(q: URLSearchParams): Matcher[] {
    const out: Matcher[] = [];
    for (const f of q.getAll('filter')) {
      try {
        out.push(parseMatcher(f, this.deps.compat.utf8LabelNames));
      } catch (e) {
        throw new PlainError(400, (e as Error).message);
      }
    }
    return out;
  }

  /** The alert's current status, recomputed from silences and inhibitions like setAlertStatus. */
  private status(a: Alert): AlertStatus {
    const inhibitedBy = this.deps.inhibitor().mutedBy(a.labels);
    const silencedBy = this.deps.silences.mutedBy(a.labels);
    if (this.deps.compat.apiQueriesMarkAlerts) this.deps.marker.set(a.fingerprint, silencedBy.length > 0 || inhibitedBy.length > 0);
    return { silencedBy, inhibitedBy, state: silencedBy.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active' };
  }

  /** The API's alert filter: the alert's status when it passes, undefined when it does not. */
  private alertFilter(q: URLSearchParams): (a: Alert, now: number) => AlertStatus | undefined {
    const matchers = this.parseFilter(q);
    const active = convertBool(q.get('active'), true);
    const silenced = convertBool(q.get('silenced'), true);
    const inhibited = convertBool(q.get('inhibited'), true);
    return (a, now) => {
      if (resolvedAt(a, now)) return undefined;
      const st = this.status(a);
      if (!active && st.state === 'active') return undefined;
      if (!silenced && st.silencedBy.length > 0) return undefined;
      if (!inhibited && st.inhibitedBy.length > 0) return undefined;
      for (const m of matchers) if (!m.matchesSet(a.labels)) return undefined;
      return st;
    };
  }

  private receiverFilter(q: URLSearchParams): ((names: string[]) => boolean) | undefined {
    const r = q.get('receiver');
    if (r === null || r === '') return undefined;
    let re;
    try {
      re = compileGoRegexp(`^(?:${r})$`);
    } catch (e) {
      throw new PlainError(400, `failed to parse receiver param: ${(e as Error).message}`);
    }
    return (names) => names.some((n) => re.matches(n));
  }

  private gettableAlert(a: Alert, receivers: string[], st: AlertStatus): string {
    const status = this.deps.compat.alertStatusMutedBy
      ? { inhibitedBy: st.inhibitedBy, mutedBy: [], silencedBy: st.silencedBy, state: st.state }
      : { inhibitedBy: st.inhibitedBy, silencedBy: st.silencedBy, state: st.state };
    // Hand-built so label maps come out with Go's sorted keys.
    return (
      `{"annotations":${goStringMap(a.annotations)},"endsAt":"${strfmtDateTime(a.endsAt, a.endsAtDetail)}",` +
      `"fingerprint":"${a.fingerprint}","receivers":${JSON.stringify(receivers.map((name) => ({ name })))},` +
      `"startsAt":"${strfmtDateTime(a.startsAt, a.startsAtDetail)}","status":${JSON.stringify(status)},` +
      `"updatedAt":"${strfmtDateTime(a.updatedAt)}",` +
      (a.generatorURL !== '' ? `"generatorURL":${goString(a.generatorURL)},` : '') +
      `"labels":${goStringMap(a.labels)}}`
    );
  }

  private getAlerts(q: URLSearchParams): Reply {
    const filter = this.alertFilter(q);
    const recvFilter = this.receiverFilter(q);
    const recvMatchers = this.receiverMatchers(q);
    const route = this.deps.route();
    const now = Date.now();
    const out: { a: Alert; receivers: string[]; st: AlertStatus }[] = [];
    for (const a of this.deps.alerts.list()) {
      const receivers = route.match(a.labels).map((r) => r.opts.receiver);
      if (recvFilter && !recvFilter(receivers)) continue;
      if (recvMatchers && !receivers.some(recvMatchers)) continue;
      const st = filter(a, now);
      if (!st) continue;
      out.push({ a, receivers, st });
    }
    out.sort((x, y) => (x.a.fingerprint < y.a.fingerprint ? -1 : x.a.fingerprint > y.a.fingerprint ? 1 : 0));
    const self = this;
    return {
      status: 200,
      headers: JSON_HEADERS,
      *stream() {
        yield '[';
        for (let i = 0; i < out.length; i++) yield (i > 0 ? ',' : '') + self.gettableAlert(out[i]!.a, out[i]!.receivers, out[i]!.st);
        yield ']';
      },
    };
  }

  private getAlertGroups(q: URLSearchParams): Reply {
    const filter = this.alertFilter(q);
    const recvFilter = this.receiverFilter(q);
    const recvMatchers = this.receiverMatchers(q);
    const now = Date.now();
    const statuses = new Map<string, AlertStatus>();
    const { groups: shown, receivers } = this.deps.dispatcher().listGroups(
      (a) => {
        const st = statuses.get(a.fingerprint) ?? filter(a, now);
        if (st) statuses.set(a.fingerprint, st);
        return st !== undefined;
      },
      recvFilter || recvMatchers ? (receiver) => (!recvFilter || recvFilter([receiver])) && (!recvMatchers || recvMatchers(receiver)) : undefined,
    );
    const self = this;
    return {
      status: 200,
      headers: JSON_HEADERS,
      *stream() {
        yield '[';
        for (let i = 0; i < shown.length; i++) {
          const g = shown[i]!;
          yield `${i > 0 ? ',' : ''}{"alerts":[`;
          for (let j = 0; j < g.alerts.length; j++) {
            const a = g.alerts[j]!;
            yield (j > 0 ? ',' : '') + self.gettableAlert(a, receivers.get(a.fingerprint) ?? [], statuses.get(a.fingerprint)!);
          }
          yield `],"labels":${goStringMap(g.labels)},"receiver":${JSON.stringify({ name: g.receiver })}}`;
        }
        yield ']';
      },
    };
  }

  // ------------------------------------------------------------------ silences

  private silenceJson(s: PbSilence): Record<string, unknown> {
    const sets = this.deps.silences.matcherSets(s);
    return {
      id: s.id,
      status: { state: this.deps.silences.state(s) },
      updatedAt: strfmtDateTime(s.updatedAt === undefined ? 0 : goTimeToMs(s.updatedAt)),
      comment: s.comment,
      createdBy: s.createdBy,
      endsAt: strfmtDateTime(s.endsAt === undefined ? 0 : goTimeToMs(s.endsAt)),
      matchers: (sets[0] ?? []).map((m) => ({
        isEqual: m.type === 0 || m.type === 1,
        isRegex: m.type === 1 || m.type === 3,
        name: m.name,
        value: m.pattern,
      })),
      startsAt: strfmtDateTime(s.startsAt === undefined ? 0 : goTimeToMs(s.startsAt)),
    };
  }

  private getSilences(q: URLSearchParams): Reply {
    const matchers = this.parseFilter(q);
    this.deps.metrics.silencesQueries++;
    const order: Record<SilenceState, number> = { active: 0, pending: 1, expired: 2 };
    const sils = this.deps.silences
      .list()
      .filter((s) => silenceHasFilterMatchers(this.deps.silences.matcherSets(s), matchers))
      .map((s) => ({ s, state: this.deps.silences.state(s) }));
    sils.sort((a, b) => {
      if (a.state !== b.state) return order[a.state] - order[b.state];
      const key = (x: PbSilence): bigint => (a.state === 'pending' ? x.startsAt ?? 0n : x.endsAt ?? 0n);
      const ka = key(a.s);
      const kb = key(b.s);
      const c = ka < kb ? -1 : ka > kb ? 1 : 0;
      return a.state === 'expired' ? -c : c;
    });
    return json(200, sils.map(({ s }) => this.silenceJson(s)));
  }

  private getSilence(id: string): Reply {
    if (!UUID_RE.test(id)) return json(422, { code: 601, message: `silenceID in path must be of type uuid: ${JSON.stringify(id)}` });
    const s = this.deps.silences.get(id);
    if (!s) return empty(404);
    return json(200, this.silenceJson(s));
  }

  private deleteSilence(id: string): Reply {
    if (!UUID_RE.test(id)) return json(422, { code: 601, message: `silenceID in path must be of type uuid: ${JSON.stringify(id)}` });
    try {
      this.deps.silences.expire(id);
    } catch (e) {
      if (e instanceof SilenceNotFoundError) {
        return this.deps.compat.deleteUnknownSilenceIs500 ? jsonText(500, JSON.stringify(e.message)) : empty(404);
      }
      return jsonText(500, JSON.stringify((e as Error).message));
    }
    return empty(200);
  }

  private postSilence(body: string): Reply {
    const what = 'silence';
    if (/^[ \t\n\r]*$/.test(body)) throw new SwaggerError(422, 602, 'silence in body is required');
    // A JSON null leaves the model empty: the first required field is the answer.
    const parsed = parseJsonBody(body, what) ?? {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw typeError(what, parsed, 'models.PostableSilence');
    }
    const o = parsed as Record<string, unknown>;
    const str = (k: string): string | undefined => {
      const v = o[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw typeError(what, v, 'string', `PostableSilence.${k}`);
      return v;
    };
    const id = str('id');
    const comment = str('comment');
    const createdBy = str('createdBy');
    const newer = this.deps.compat.newerTimeParsing;
    const endsAt = o['endsAt'] === undefined || o['endsAt'] === null ? undefined : goTime(parseDateTime(o['endsAt'], what, 'Silence.endsAt', newer));
    const startsAt = o['startsAt'] === undefined || o['startsAt'] === null ? undefined : goTime(parseDateTime(o['startsAt'], what, 'Silence.startsAt', newer));
    const rawMatchers = o['matchers'];
    if (rawMatchers !== undefined && rawMatchers !== null && !Array.isArray(rawMatchers)) {
      throw typeError(what, rawMatchers, 'models.Matchers', 'Silence.matchers');
    }
    const ms = (rawMatchers ?? undefined) as unknown[] | undefined;
    const decoded = (ms ?? []).map((m) => {
      if (m === null) return {};
      if (typeof m !== 'object' || Array.isArray(m)) throw typeError(what, m, 'models.Matcher', 'Silence.matchers');
      const mo = m as Record<string, unknown>;
      for (const k of ['isEqual', 'isRegex']) {
        if (mo[k] !== undefined && mo[k] !== null && typeof mo[k] !== 'boolean') throw typeError(what, mo[k], 'bool', `Matcher.${k}`);
      }
      for (const k of ['name', 'value']) {
        if (mo[k] !== undefined && mo[k] !== null && typeof mo[k] !== 'string') throw typeError(what, mo[k], 'string', `Matcher.${k}`);
      }
      return mo as { isEqual?: boolean; isRegex?: boolean; name?: string; value?: string };
    });

    // Swagger validation, fields in alphabetical order; the first error is the answer. "Required" means
    // present: an empty comment, author or matcher value is valid (`env=""` silences "env is absent").
    if (comment === undefined) throw new SwaggerError(422, 602, 'comment in body is required');
    if (createdBy === undefined) throw new SwaggerError(422, 602, 'createdBy in body is required');
    if (endsAt === undefined) throw new SwaggerError(422, 602, 'endsAt in body is required');
    if (ms === undefined) throw new SwaggerError(422, 602, 'matchers in body is required');
    if (ms.length < 1) throw new SwaggerError(422, 612, 'matchers in body should have at least 1 items');
    decoded.forEach((m, i) => {
      if (m.isRegex === undefined || m.isRegex === null) throw new SwaggerError(422, 602, `matchers.${i}.isRegex in body is required`);
      if (m.name === undefined || m.name === null) throw new SwaggerError(422, 602, `matchers.${i}.name in body is required`);
      if (m.value === undefined || m.value === null) throw new SwaggerError(422, 602, `matchers.${i}.value in body is required`);
    });
    if (startsAt === undefined) throw new SwaggerError(422, 602, 'startsAt in body is required');

    if (startsAt >= endsAt) return jsonText(400, JSON.stringify('Failed to create silence: start time must be before end time'));
    if (endsAt < msToGoTime(Date.now())) return jsonText(400, JSON.stringify("Failed to create silence: end time can't be in the past"));

    const pbMatchers: PbMatcher[] = decoded.map((m) => {
      const isEqual = m.isEqual ?? true;
      const op = m.isRegex ? (isEqual ? '=~' : '!~') : isEqual ? '=' : '!=';
      return { type: PB_TYPE[op]!, name: m.name!, pattern: m.value! };
    });
    const sil = emptySilence();
    sil.id = id ?? '';
    sil.matchers = pbMatchers;
    sil.startsAt = startsAt;
    sil.endsAt = endsAt;
    sil.createdBy = createdBy;
    sil.comment = comment;
    try {
      const newId = this.deps.silences.set(sil);
      return json(200, { silenceID: newId });
    } catch (e) {
      if (e instanceof SilenceNotFoundError) return jsonText(404, JSON.stringify(e.message));
      if (e instanceof SilenceValidationError || e instanceof MatcherError) return jsonText(400, JSON.stringify(e.message));
      throw e;
    }
  }

  // ------------------------------------------------------------------ status, receivers

  private getStatus(): Reply {
    const c = this.deps.cluster();
    const cluster: Record<string, unknown> = {};
    if (c.name !== undefined) cluster['name'] = c.name;
    cluster['peers'] = [...c.peers]
      .sort((a, b) => compareGo(a.name, b.name))
      .map((p) => ({ address: p.address, name: p.name }));
    cluster['status'] = c.status;
    return json(200, {
      cluster,
      config: { original: this.deps.config().original },
      uptime: strfmtDateTime(this.deps.startedAt),
      versionInfo: this.deps.compat.versionInfo,
    });
  }

  /** A receiver's labels (0.33: `labels:` in the config, always with its name). */
  private receiverLabels(name: string): LabelSet {
    return this.deps.config().receivers.find((r) => r.name === name)?.labels ?? { name };
  }

  /** 0.33's `receiver_matchers=`: receivers whose labels match every matcher; undefined when not given (or pre-0.33). */
  private receiverMatchers(q: URLSearchParams): ((receiver: string) => boolean) | undefined {
    if (!this.deps.compat.receiverLabels) return undefined;
    const raw = q.getAll('receiver_matchers');
    if (raw.length === 0) return undefined;
    let ms: Matcher[];
    try {
      ms = raw.map((f) => parseMatcher(f, true));
    } catch (e) {
      throw new PlainError(400, `failed to parse receiver_matchers param: ${(e as Error).message}`);
    }
    return (receiver) => matchFilterLabels(ms, this.receiverLabels(receiver));
  }

  private getReceivers(q: URLSearchParams): Reply {
    const keep = this.receiverMatchers(q);
    const names = this.deps.config().receivers.map((r) => r.name).filter((n) => !keep || keep(n));
    return json(
      200,
      names.map((name) => (this.deps.compat.receiverLabels ? { labels: this.receiverLabels(name), name } : { name })),
    );
  }
}

/**
 * CheckSilenceMatchesFilterLabels: a silence passes `filter=` when, in one of its matcher sets, every
 * filter matcher has a twin with the same name, operator and value (the filter is not applied to the
 * silence's values: `alertname=~"Disk.*"` finds only silences that have exactly that matcher).
 */
function silenceHasFilterMatchers(sets: PbMatcher[][], filter: readonly Matcher[]): boolean {
  return sets.some((set) =>
    filter.every((f) => set.some((m) => m.name === f.name && m.type === PB_TYPE[f.type] && m.pattern === f.value)),
  );
}

/** matchFilterLabels: an empty value matches a present label for != / !~ and an absent one for = / =~. */
function matchFilterLabels(ms: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of ms) {
    const present = Object.hasOwn(labels, m.name);
    const negative = m.type === '!=' || m.type === '!~';
    if (m.value === '' && present === negative) continue;
    if (!m.matches(labels[m.name] ?? '')) return false;
  }
  return true;
}

/** A client time as a protobuf timestamp: UTC nanoseconds (the offset is not kept, as in Go). */
function goTime(t: ClientTime): GoTime {
  return msToGoTime(timeMs(t)) + BigInt(timeDetail(t)?.subMsNanos ?? 0);
}

function methodNotAllowedText(allow: string): Reply {
  return {
    status: 405,
    body: 'Method Not Allowed\n',
    headers: { Allow: allow, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
  };
}

/** types.Alert.Validate with removeEmptyLabels already applied; undefined when valid. */
export function validateAlert(labels: LabelSet, annotations: LabelSet, startsAt: ClientTime, endsAt: ClientTime, utf8: boolean): string | undefined {
  if (timeMs(startsAt) === 0) return 'start time missing';
  if (timeMs(endsAt) !== 0 && timeBefore(timeMs(endsAt), timeDetail(endsAt), timeMs(startsAt), timeDetail(startsAt))) return 'start time must be before end time';
  for (const n of Object.keys(labels)) {
    if (!isValidLabelName(n, utf8)) return `invalid label set: invalid name ${goQuoteLite(n)}`;
  }
  if (Object.keys(labels).length === 0) return 'at least one label pair required';
  for (const n of Object.keys(annotations)) {
    if (!isValidLabelName(n, utf8)) return `invalid annotations: invalid name ${goQuoteLite(n)}`;
  }
  return undefined;
}

function goQuoteLite(s: string): string {
  return goQuote(s);
}
