import { Pool } from 'undici';
import { AmchaosError } from '../errors/index.js';
import type { NodeId } from '../history/types.js';
import type {
  AlertFilter,
  AlertGroup,
  AlertmanagerStatus,
  GettableAlert,
  GettableSilence,
  PostableAlert,
  PostableSilence,
  Receiver,
  SilenceFilter,
} from './types.js';

export interface AlertmanagerClientOptions {
  /** The node's id in the scenario ("n1"); every error names it. */
  node: NodeId;
  /**
   * Base URL of the node's API, including the route prefix when the node runs with a path in
   * --web.external-url (the API then lives under that path): `http://127.0.0.1:9093/n1`.
   */
  url: string;
  /** Default whole-request timeout (connect + headers + body). Default 10 000 ms. */
  timeoutMs?: number;
  /** Keep-alive connections to this node. Default 4. */
  connections?: number;
  /** How long an idle keep-alive connection is kept. Default 30 000 ms. */
  keepAliveTimeoutMs?: number;
}

export interface RequestOptions {
  /** Overrides the client's default timeout for this request. */
  timeoutMs?: number;
  /** Aborts the request (for stop()); an aborted request fails with failure "aborted". */
  signal?: AbortSignal;
}

/**
 * How a request failed. `http`: the node answered with a non-2xx status. `refused`: nothing
 * listened (the request certainly had no effect). `unreachable`: no connection could be made
 * (no route, connect timeout), so nothing was sent either. `timeout`: no full answer within the timeout.
 * `aborted`: the caller's signal fired. `network`: the connection broke some other way (reset,
 * closed mid-answer), so the request may or may not have reached the node. `bad-response`: a 2xx
 * answer whose body was not what the API promises.
 */
export type FailureKind = 'http' | 'refused' | 'unreachable' | 'timeout' | 'aborted' | 'network' | 'bad-response';

export interface NodeApiErrorDetails extends Record<string, unknown> {
  node: NodeId;
  url: string;
  operation: string;
  method: string;
  path: string;
  failure: FailureKind;
  /** HTTP status, when the node answered. */
  status?: number;
  /** The first BODY_EXCERPT characters of the answer, when there was one. */
  body?: string;
  /** The system error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, …) when there was one. */
  errno?: string;
}

const BODY_EXCERPT = 500;

/** Errors that happen before a connection exists: the request was certainly not sent. */
const CONNECT_FAILURES: ReadonlySet<string> = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** The details of an AMCHAOS_NODE_API error, or undefined for any other error. */
export function nodeApiErrorDetails(e: unknown): NodeApiErrorDetails | undefined {
  if (e instanceof AmchaosError && e.code === 'AMCHAOS_NODE_API') return e.details as NodeApiErrorDetails;
  return undefined;
}

interface Call {
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  opts: RequestOptions | undefined;
}

interface Answer {
  status: number;
  text: string;
}

/**
 * A typed client for one Alertmanager node's API v2 (and the /-/ lifecycle endpoints), on an
 * undici keep-alive pool. Every failure is an AmchaosError AMCHAOS_NODE_API whose message names
 * the node, its URL and the operation, and whose details carry the HTTP status and a body excerpt.
 * It does not record anything: wrap it in a RecordingClient (recording.ts) for op events.
 */
export class AlertmanagerClient {
  readonly node: NodeId;
  /** The base URL without a trailing slash. */
  readonly url: string;
  readonly timeoutMs: number;
  private readonly basePath: string;
  private readonly pool: Pool;
  private closed = false;

  constructor(opts: AlertmanagerClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `node ${opts.node}: API URL ${JSON.stringify(opts.url)} is not a URL`, {
        hint: 'give the node API base URL, e.g. http://127.0.0.1:9093 (plus the route prefix, if any)',
      });
    }
    if (parsed.protocol !== 'http:') {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `node ${opts.node}: API URL ${opts.url} is not http://`, {
        hint: 'amchaos talks plain HTTP to the nodes it starts',
      });
    }
    this.node = opts.node;
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    this.url = parsed.origin + this.basePath;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pool = new Pool(parsed.origin, {
      connections: opts.connections ?? 4,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
      // The whole-request timeout comes from an AbortSignal (per request, so callers can shorten or
      // lengthen it); undici's own phase timers are off so they never fire first with a vaguer error.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: 10_000 },
    });
  }

  // --- alerts -------------------------------------------------------------------------------

  /** POST /api/v2/alerts. The node answers 400 if any alert is invalid (but stores the valid ones). */
  async postAlerts(alerts: PostableAlert[], opts?: RequestOptions): Promise<void> {
    await this.call({ operation: 'postAlerts', method: 'POST', path: '/api/v2/alerts', body: alerts, opts });
  }

  /** GET /api/v2/alerts. */
  async getAlerts(filter?: AlertFilter, opts?: RequestOptions): Promise<GettableAlert[]> {
    const query = alertQuery(filter, true);
    const a = await this.call({ operation: 'getAlerts', method: 'GET', path: '/api/v2/alerts', query, opts });
    return this.json<GettableAlert[]>('getAlerts', a, Array.isArray);
  }

  /** GET /api/v2/alerts/groups. */
  async getAlertGroups(filter?: AlertFilter, opts?: RequestOptions): Promise<AlertGroup[]> {
    const query = alertQuery(filter, false);
    const a = await this.call({ operation: 'getAlertGroups', method: 'GET', path: '/api/v2/alerts/groups', query, opts });
    return this.json<AlertGroup[]>('getAlertGroups', a, Array.isArray);
  }

  // --- silences -----------------------------------------------------------------------------

  /** POST /api/v2/silences; returns the new silence's id. */
  async createSilence(silence: PostableSilence, opts?: RequestOptions): Promise<string> {
    const a = await this.call({ operation: 'createSilence', method: 'POST', path: '/api/v2/silences', body: silence, opts });
    const v = this.json<{ silenceID: string }>('createSilence', a, (x) => isObject(x) && typeof x['silenceID'] === 'string');
    return v.silenceID;
  }

  /** GET /api/v2/silence/{id}. An unknown id fails with HTTP 404. */
  async getSilence(id: string, opts?: RequestOptions): Promise<GettableSilence> {
    const path = `/api/v2/silence/${encodeURIComponent(id)}`;
    const a = await this.call({ operation: 'getSilence', method: 'GET', path, opts });
    return this.json<GettableSilence>('getSilence', a, (x) => isObject(x) && typeof x['id'] === 'string');
  }

  /** GET /api/v2/silences (every state: active, pending and expired until they are GC'd). */
  async getSilences(filter?: SilenceFilter, opts?: RequestOptions): Promise<GettableSilence[]> {
    const query = new URLSearchParams();
    for (const f of filter?.filter ?? []) query.append('filter', f);
    const a = await this.call({ operation: 'getSilences', method: 'GET', path: '/api/v2/silences', query, opts });
    return this.json<GettableSilence[]>('getSilences', a, Array.isArray);
  }

  /**
   * DELETE /api/v2/silence/{id}: expires the silence. An unknown id fails (0.25.0 answers 500
   * "silence not found", newer versions 404).
   */
  async expireSilence(id: string, opts?: RequestOptions): Promise<void> {
    const path = `/api/v2/silence/${encodeURIComponent(id)}`;
    await this.call({ operation: 'expireSilence', method: 'DELETE', path, opts });
  }

  // --- node ---------------------------------------------------------------------------------

  /** GET /api/v2/status: cluster state and peers, version, config. */
  async status(opts?: RequestOptions): Promise<AlertmanagerStatus> {
    const a = await this.call({ operation: 'status', method: 'GET', path: '/api/v2/status', opts });
    return this.json<AlertmanagerStatus>('status', a, (x) => isObject(x) && isObject(x['cluster']));
  }

  /** GET /api/v2/receivers. */
  async receivers(opts?: RequestOptions): Promise<Receiver[]> {
    const a = await this.call({ operation: 'receivers', method: 'GET', path: '/api/v2/receivers', opts });
    return this.json<Receiver[]>('receivers', a, Array.isArray);
  }

  /** GET /-/healthy; resolves when the node answers 200. */
  async healthy(opts?: RequestOptions): Promise<void> {
    await this.call({ operation: 'healthy', method: 'GET', path: '/-/healthy', opts });
  }

  /** GET /-/ready; resolves when the node answers 200. Says nothing about the cluster (use status()). */
  async ready(opts?: RequestOptions): Promise<void> {
    await this.call({ operation: 'ready', method: 'GET', path: '/-/ready', opts });
  }

  /** POST /-/reload: re-reads the config file. A bad config fails with HTTP 500 and the reason. */
  async reload(opts?: RequestOptions): Promise<void> {
    await this.call({ operation: 'reload', method: 'POST', path: '/-/reload', opts });
  }

  /** Closes the keep-alive pool. In-flight requests are allowed to finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  // --- plumbing -----------------------------------------------------------------------------

  private async call(c: Call): Promise<Answer> {
    const timeoutMs = c.opts?.timeoutMs ?? this.timeoutMs;
    const qs = c.query && [...c.query.keys()].length > 0 ? `?${c.query.toString()}` : '';
    const path = this.basePath + c.path + qs;
    if (this.closed) {
      throw this.error(c, path, 'aborted', 'the client was closed', {});
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = c.opts?.signal ? AbortSignal.any([timeout, c.opts.signal]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (c.body !== undefined) {
      body = JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    let answer: Answer;
    try {
      const res = await this.pool.request({ method: c.method, path, headers, body, signal });
      answer = { status: res.statusCode, text: await res.body.text() };
    } catch (e) {
      // Which signal fired decides the kind: undici rejects with the signal's reason (or its own
      // abort error), which does not say whether it was our timeout or the caller.
      if (timeout.aborted) {
        throw this.error(c, path, 'timeout', `no answer within ${timeoutMs} ms`, {}, e, {
          hint: `check node ${this.node}'s log (is it paused, partitioned, overloaded?) or raise the timeout`,
        });
      }
      if (c.opts?.signal?.aborted) throw this.error(c, path, 'aborted', 'aborted by the caller', {}, e);
      const errno = systemCode(e);
      if (errno === 'ECONNREFUSED') {
        throw this.error(c, path, 'refused', 'connection refused', { errno }, e, {
          hint: `nothing listens at ${this.url}: is node ${this.node} running?`,
        });
      }
      if (errno !== undefined && CONNECT_FAILURES.has(errno)) {
        throw this.error(c, path, 'unreachable', `cannot connect (${errno})`, { errno }, e, {
          hint: `${this.url} cannot be reached: is node ${this.node} partitioned from the harness, or its address wrong?`,
        });
      }
      throw this.error(c, path, 'network', `connection failed (${errno ?? (e as Error).message})`, errno ? { errno } : {}, e);
    }
    if (answer.status < 200 || answer.status > 299) {
      const excerpt = answer.text.slice(0, BODY_EXCERPT);
      throw this.error(c, path, 'http', `HTTP ${answer.status}: ${excerpt.trim() || '(empty body)'}`, {
        status: answer.status,
        body: excerpt,
      });
    }
    return answer;
  }

  private json<T>(operation: string, a: Answer, check: (v: unknown) => boolean): T {
    let v: unknown;
    try {
      v = JSON.parse(a.text);
    } catch {
      v = undefined;
    }
    if (v === undefined || !check(v)) {
      const excerpt = a.text.slice(0, BODY_EXCERPT);
      throw new AmchaosError(
        'AMCHAOS_NODE_API',
        `node ${this.node} (${this.url}) ${operation}: HTTP ${a.status} but the body is not what API v2 promises: ${excerpt || '(empty)'}`,
        {
          details: { node: this.node, url: this.url, operation, failure: 'bad-response', status: a.status, body: excerpt },
          hint: 'is this an Alertmanager API v2 (check the URL and route prefix)?',
        },
      );
    }
    return v as T;
  }

  private error(
    c: Call,
    path: string,
    failure: FailureKind,
    what: string,
    extra: Partial<NodeApiErrorDetails>,
    cause?: unknown,
    more: { hint?: string } = {},
  ): AmchaosError {
    const details: NodeApiErrorDetails = {
      node: this.node,
      url: this.url,
      operation: c.operation,
      method: c.method,
      path,
      failure,
      ...extra,
    };
    const opts: { details: Record<string, unknown>; cause?: unknown; hint?: string } = { details };
    if (cause !== undefined) opts.cause = cause;
    if (more.hint !== undefined) opts.hint = more.hint;
    return new AmchaosError('AMCHAOS_NODE_API', `node ${this.node} (${this.url}) ${c.operation} ${c.method} ${path}: ${what}`, opts);
  }
}

function alertQuery(filter: AlertFilter | undefined, withUnprocessed: boolean): URLSearchParams {
  const q = new URLSearchParams();
  if (!filter) return q;
  if (filter.active !== undefined) q.set('active', String(filter.active));
  if (filter.silenced !== undefined) q.set('silenced', String(filter.silenced));
  if (filter.inhibited !== undefined) q.set('inhibited', String(filter.inhibited));
  if (withUnprocessed && filter.unprocessed !== undefined) q.set('unprocessed', String(filter.unprocessed));
  if (filter.receiver !== undefined) q.set('receiver', filter.receiver);
  for (const f of filter.filter ?? []) q.append('filter', f);
  return q;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The errno-style code of a socket error, looking through undici's wrappers and causes. */
function systemCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') {
      if (code.startsWith('E')) return code;
      // undici's own codes (UND_ERR_SOCKET …) say less than the cause's; keep looking but remember.
      const inner = systemCode((cur as { cause?: unknown }).cause);
      return inner ?? code;
    }
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      // AggregateError from happy-eyeballs: every attempt failed the same way here (one address).
      cur = errors[0];
      continue;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
