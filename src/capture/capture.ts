import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import { labelKey, type NodeId, type NotificationEvent, type NotifiedAlert } from '../history/types.js';
import { parseWebhook, type WebhookMessage } from './payload.js';

/**
 * How a faulted receiver answers. `status`: answer that HTTP status at once (5xx makes Alertmanager
 * retry, other 4xx make it give up). `slow`: hold the answer `delayMs`, then answer `status`
 * (default 200) — if the sender hangs up first it never saw an answer. `drop`: destroy the
 * connection without answering (Alertmanager sees a network error and retries).
 */
export type ReceiverFault =
  | { kind: 'status'; status: number }
  | { kind: 'slow'; delayMs: number; status?: number }
  | { kind: 'drop' };

export interface CaptureOptions {
  history: History;
  /** Default 127.0.0.1 (the harness binds nothing else unless a runtime gives it an address). */
  host?: string;
  /** Default 0 (any free port). down()/up() keep whichever port was bound first. */
  port?: number;
  /** Larger bodies are answered 413 and noted. Default 32 MiB. */
  maxBodyBytes?: number;
}

export interface CaptureAddress {
  host: string;
  port: number;
  /** `http://host:port`, the base of every hook URL. */
  url: string;
}

export interface CaptureStats {
  /** Every HTTP request, whatever it was. */
  requests: number;
  notifications: number;
  delivered: number;
  /** Requests answered 4xx by the capture itself (bad method, body too large, malformed payload). */
  rejected: number;
  /** Slow answers still held. */
  pending: number;
}

interface Pending {
  finish(outcome: 'dropped'): void;
}

interface Waiter {
  predicate: (ns: readonly NotificationEvent[]) => boolean;
  resolve: (ns: readonly NotificationEvent[]) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

const ANY_RECEIVER = Symbol('any receiver');

/** Strips trailing slashes and lower-cases scheme and host, so configured and sent URLs compare. */
export function normaliseExternalURL(u: string): string {
  const trimmed = u.trim();
  try {
    const p = new URL(trimmed);
    return `${p.protocol}//${p.host}${p.pathname.replace(/\/+$/, '')}${p.search}`;
  } catch {
    return trimmed.replace(/\/+$/, '');
  }
}

/**
 * The capturing webhook receiver. Every POST is recorded as a NotificationEvent (malformed ones as
 * a note and answered 400); faults can be switched at runtime for all receivers or one; down()/up()
 * stop and resume listening on the same port. See README.md for the lifecycle.
 */
export class CaptureReceiver {
  private readonly history: History;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly maxBodyBytes: number;
  private server: Server | undefined;
  private boundPort: number | undefined;
  private stopped = false;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<Pending>();
  private senders = new Map<string, NodeId>();
  private readonly faults = new Map<string | typeof ANY_RECEIVER, ReceiverFault>();
  private readonly received: NotificationEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly noted = new Set<string>();
  // Senders repeat the same few strings in every request; sharing one copy keeps 100k events small.
  private readonly interned = new Map<string, string>();
  private nextId = 1;
  private counters = { requests: 0, delivered: 0, rejected: 0 };

  constructor(opts: CaptureOptions) {
    this.history = opts.history;
    this.host = opts.host ?? '127.0.0.1';
    this.requestedPort = opts.port ?? 0;
    this.maxBodyBytes = opts.maxBodyBytes ?? 32 * 1024 * 1024;
    if (!Number.isInteger(this.requestedPort) || this.requestedPort < 0 || this.requestedPort > 65535) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `capture: port ${String(opts.port)} is not a TCP port`, {
        hint: 'give 0 (any free port) or 1..65535',
      });
    }
  }

  /** Binds and listens; resolves with the bound address. Throws AMCHAOS_PORT_IN_USE if taken. */
  async start(): Promise<CaptureAddress> {
    if (this.stopped) throw new AmchaosError('AMCHAOS_INTERNAL', 'capture: start() after stop()');
    if (this.server) return this.address;
    await this.listen(this.requestedPort);
    return this.address;
  }

  get address(): CaptureAddress {
    if (this.boundPort === undefined) throw new AmchaosError('AMCHAOS_INTERNAL', 'capture: address asked for before start()');
    return { host: this.host, port: this.boundPort, url: `http://${this.host}:${this.boundPort}` };
  }

  /** Whether the receiver is listening now. */
  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** The URL to put in a receiver's webhook_config: `<base>/hook/<receiver>`. */
  hookURL(receiver: string): string {
    return `${this.address.url}/hook/${encodeURIComponent(receiver)}`;
  }

  /** Maps each node's externalURL (as given to --web.external-url) to its id; replaces the old map. */
  setSenders(map: ReadonlyMap<string, NodeId> | Record<string, NodeId>): void {
    const entries = map instanceof Map ? [...map.entries()] : Object.entries(map);
    const next = new Map<string, NodeId>();
    for (const [url, node] of entries) next.set(normaliseExternalURL(url), node);
    this.senders = next;
  }

  /** Faults every request (no `receiver`) or only those whose payload names `receiver`. */
  setFault(fault: ReceiverFault, opts: { receiver?: string } = {}): void {
    validateFault(fault);
    this.faults.set(opts.receiver ?? ANY_RECEIVER, fault);
  }

  /** Clears the fault for `receiver`, or the all-receivers fault when none is given. */
  clearFault(opts: { receiver?: string } = {}): void {
    this.faults.delete(opts.receiver ?? ANY_RECEIVER);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Goes "down": stops listening and destroys every connection, so senders get connection
   * refused. Held slow answers are recorded as 'dropped'. No-op when already down.
   */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const p of [...this.pending]) p.finish('dropped');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Comes back up on the same port. Throws AMCHAOS_PORT_IN_USE if something took it meanwhile. */
  async up(): Promise<void> {
    if (this.stopped) throw new AmchaosError('AMCHAOS_INTERNAL', 'capture: up() after stop()');
    if (this.server) return;
    if (this.boundPort === undefined) throw new AmchaosError('AMCHAOS_INTERNAL', 'capture: up() before start()');
    await this.listen(this.boundPort);
  }

  /** Stops for good: like down(), and pending waitFor calls are rejected. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.down();
    for (const w of [...this.waiters]) {
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.reject(new AmchaosError('AMCHAOS_INTERRUPTED', 'capture stopped while waiting'));
    }
  }

  /** Every notification recorded so far, in arrival-of-answer order (the same objects as in the history). */
  notifications(): readonly NotificationEvent[] {
    return this.received;
  }

  stats(): CaptureStats {
    return {
      requests: this.counters.requests,
      notifications: this.received.length,
      delivered: this.counters.delivered,
      rejected: this.counters.rejected,
      pending: this.pending.size,
    };
  }

  /**
   * Resolves with the notifications so far once `predicate` holds for them (checked now and after
   * every new notification); rejects with AMCHAOS_TIMEOUT after `timeoutMs`.
   */
  waitFor(predicate: (ns: readonly NotificationEvent[]) => boolean, timeoutMs: number): Promise<readonly NotificationEvent[]> {
    try {
      if (predicate(this.received)) return Promise.resolve(this.received);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          const last = this.received.slice(-5).map((n) => `#${n.id} ${n.sender ?? '?'} ${n.receiver} ${n.status} ${n.groupKey} answered=${n.answered}`);
          reject(
            new AmchaosError('AMCHAOS_TIMEOUT', `capture: condition not met within ${timeoutMs} ms (${this.received.length} notifications so far)`, {
              details: { last },
              hint: 'check the nodes are running and route to the capture, and that the timers allow a notification in that time',
            }),
          );
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  // --- serving --------------------------------------------------------------------------------

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.onRequest(req, res));
    // Alertmanager's Go client keeps idle connections 90 s. If the server closed them first, a
    // request racing the close would fail and count as a receiver fault we never injected.
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 60_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.off('listening', onListening);
        if (e.code === 'EADDRINUSE') {
          reject(
            new AmchaosError('AMCHAOS_PORT_IN_USE', `capture: ${this.host}:${port} is already in use`, {
              hint: `choose another capture port (0 picks a free one), or find the holder with: ss -ltnp 'sport = :${port}'`,
              details: { host: this.host, port },
              cause: e,
            }),
          );
        } else {
          reject(
            new AmchaosError('AMCHAOS_BAD_ARGUMENT', `capture: cannot listen on ${this.host}:${port}: ${e.message}`, {
              hint: 'the capture binds 127.0.0.1 unless a runtime gives it an address that exists on this host',
              cause: e,
            }),
          );
        }
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ host: this.host, port, exclusive: true });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
    this.server = server;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests++;
    const receivedT = this.history.clock.now();
    if (req.method !== 'POST') {
      this.reject(res, 405, `capture accepts only POST (got ${req.method ?? '?'} ${req.url ?? ''})`, 'warn');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > this.maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        res.setHeader('connection', 'close');
        this.reject(res, 413, `capture: body of POST ${req.url ?? ''} exceeds ${this.maxBodyBytes} bytes`, 'error');
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => {
      // Handled by 'close' below; without a listener a reset would be an uncaught error.
    });
    req.once('close', () => {
      // The sender (or down()) cut the request before its body was complete: nothing to record
      // as a notification, but worth a line next to the evidence.
      if (!req.complete && !tooLarge) {
        this.history.append({ type: 'note', level: 'warn', message: `capture: POST ${req.url ?? ''} was cut off after ${size} body bytes` });
      }
    });
    req.on('end', () => {
      if (tooLarge) return;
      const body = Buffer.concat(chunks, size).toString('utf8');
      this.onBody(req, res, body, receivedT);
    });
  }

  private onBody(req: IncomingMessage, res: ServerResponse, body: string, receivedT: number): void {
    const parsed = parseWebhook(body);
    if (!parsed.ok) {
      const excerpt = body.length > 200 ? `${body.slice(0, 200)}…` : body;
      this.reject(
        res,
        400,
        `capture: malformed webhook POST ${req.url ?? ''} (User-Agent ${req.headers['user-agent'] ?? '-'}): ${parsed.error}; body: ${excerpt}`,
        'error',
      );
      return;
    }
    const msg = parsed.message;
    this.checkPath(req.url ?? '', msg.receiver);
    const fault = this.faults.get(msg.receiver) ?? this.faults.get(ANY_RECEIVER);
    const userAgent = this.intern(String(req.headers['user-agent'] ?? ''));

    if (!fault) {
      answer(res, 200);
      this.record(msg, userAgent, 200, receivedT);
      return;
    }
    switch (fault.kind) {
      case 'status':
        answer(res, fault.status);
        this.record(msg, userAgent, fault.status, receivedT);
        return;
      case 'drop':
        req.socket.destroy();
        this.record(msg, userAgent, 'dropped', receivedT);
        return;
      case 'slow': {
        const status = fault.status ?? 200;
        let settled = false;
        const p: Pending = {
          finish: (outcome) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            this.pending.delete(p);
            if (outcome === 'dropped') req.socket.destroy();
            this.record(msg, userAgent, outcome, receivedT);
          },
        };
        const timer = setTimeout(() => {
          if (settled) return;
          settled = true;
          this.pending.delete(p);
          if (req.socket.destroyed) {
            this.record(msg, userAgent, 'slow', receivedT);
            return;
          }
          answer(res, status);
          this.record(msg, userAgent, status, receivedT);
        }, fault.delayMs);
        // The sender giving up while we hold the answer is the outcome "slow": it never saw one.
        res.once('close', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.pending.delete(p);
          this.record(msg, userAgent, 'slow', receivedT);
        });
        this.pending.add(p);
        return;
      }
    }
  }

  private record(msg: WebhookMessage, userAgent: string, answered: NotificationEvent['answered'], receivedT: number): void {
    const externalURL = this.intern(msg.externalURL);
    const sender = this.senders.get(normaliseExternalURL(externalURL));
    if (sender === undefined) this.noteOnce(`sender:${externalURL}`, 'warn', `capture: notification from unknown externalURL ${externalURL} (no node has it); recorded without a sender`);
    const alerts: NotifiedAlert[] = msg.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      key: labelKey(a.labels),
      fingerprint: a.fingerprint,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
    }));
    const delivered = typeof answered === 'number' && answered >= 200 && answered <= 299;
    const event = this.history.append({
      type: 'notification',
      id: this.nextId++,
      receiver: this.intern(msg.receiver),
      groupKey: msg.groupKey,
      status: msg.status,
      ...(sender === undefined ? {} : { sender }),
      externalURL,
      userAgent,
      alerts,
      groupLabels: msg.groupLabels,
      truncatedAlerts: msg.truncatedAlerts,
      answered,
      delivered,
      receivedT,
    }) as NotificationEvent;
    if (delivered) this.counters.delivered++;
    this.received.push(event);
    if (this.waiters.size > 0) this.checkWaiters();
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) {
      let done: boolean;
      try {
        done = w.predicate(this.received);
      } catch (e) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.reject(e);
        continue;
      }
      if (done) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(this.received);
      }
    }
  }

  /** `/hook/<receiver>` is a convention, not an identity: the payload's receiver is what counts. */
  private checkPath(url: string, receiver: string): void {
    const m = /^\/hook\/([^/?#]+)/.exec(url);
    if (!m || m[1] === undefined) return;
    let fromPath: string;
    try {
      fromPath = decodeURIComponent(m[1]);
    } catch {
      fromPath = m[1];
    }
    if (fromPath !== receiver) {
      this.noteOnce(`path:${url}:${receiver}`, 'warn', `capture: POST ${url} carries receiver "${receiver}" in its payload; the path names "${fromPath}" (config mix-up?)`);
    }
  }

  private reject(res: ServerResponse, status: number, message: string, level: 'warn' | 'error'): void {
    this.counters.rejected++;
    this.history.append({ type: 'note', level, message });
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${message}\n`);
  }

  private noteOnce(key: string, level: 'warn' | 'error', message: string): void {
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.history.append({ type: 'note', level, message });
  }

  private intern(s: string): string {
    const hit = this.interned.get(s);
    if (hit !== undefined) return hit;
    // Bounded so a sender inventing strings cannot grow this without limit.
    if (this.interned.size < 10_000) this.interned.set(s, s);
    return s;
  }
}

function answer(res: ServerResponse, status: number): void {
  if (status >= 200 && status <= 299) {
    res.writeHead(status, { 'content-length': '0' });
    res.end();
    return;
  }
  const body = `amchaos capture: injected fault, status ${status}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function validateFault(f: ReceiverFault): void {
  const bad = (what: string): never => {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `capture fault ${JSON.stringify(f)}: ${what}`, {
      hint: "use { kind: 'status', status: 500..599 }, { kind: 'slow', delayMs, status? } or { kind: 'drop' }",
    });
  };
  switch (f.kind) {
    case 'status':
      if (!Number.isInteger(f.status) || f.status < 200 || f.status > 599) bad('status must be an HTTP status 200..599');
      return;
    case 'slow':
      if (!Number.isFinite(f.delayMs) || f.delayMs < 0) bad('delayMs must be a non-negative number');
      if (f.status !== undefined && (!Number.isInteger(f.status) || f.status < 200 || f.status > 599)) bad('status must be an HTTP status 200..599');
      return;
    case 'drop':
      return;
    default:
      bad('unknown kind');
  }
}
