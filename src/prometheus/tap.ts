import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nextOpId } from '../client/recording.js';
import type { History } from '../history/history.js';
import type { NodeId } from '../history/types.js';
import type { PostedAlert } from './intents.js';

/**
 * A send tap: what one Prometheus replica sends to one Alertmanager node passes through it, on
 * loopback, unchanged. Each POST of alerts is recorded as an `alerts.post` op (invoke with the
 * alerts as sent and `from` = the replica; complete with how the node answered), so the history
 * holds exactly what every node received from every replica — what validity's expiry excuse and
 * the intents need. An upstream that cannot be reached makes the tap drop the connection (as the
 * network would), not answer an error of its own.
 */
export interface SendTapOptions {
  replica: string;
  node: NodeId;
  /** Where the node's API is, as the harness reaches it (http://host:port): directly, or a fabric link. */
  upstream: string;
  history: History;
  /** Called with every POST of alerts, before it is recorded and forwarded (the intents). */
  onAlerts?: (replica: string, alerts: PostedAlert[], nowMs: number) => void;
}

export class SendTap {
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });
  private readonly url: URL;
  private addr = '';
  readonly counts = { posts: 0, ok: 0, failed: 0, indeterminate: 0 };

  constructor(private readonly o: SendTapOptions) {
    this.url = new URL(o.upstream);
  }

  /** host:port the replica sends to. */
  get address(): string {
    return this.addr;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    this.addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.addr;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.forward(req, res, Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const { history } = this.o;
    let op: number | undefined;
    if (req.method === 'POST' && /\/alerts\/?$/.test(req.url ?? '')) {
      let alerts: PostedAlert[] | undefined;
      try {
        const parsed = JSON.parse(body.toString('utf8')) as unknown;
        if (Array.isArray(parsed)) alerts = parsed as PostedAlert[];
      } catch {
        /* not JSON: forwarded as it is, recorded without a value */
      }
      const nowMs = history.clock.wallAt(history.clock.now()).getTime();
      if (alerts) this.o.onAlerts?.(this.o.replica, alerts, nowMs);
      op = nextOpId(history);
      this.counts.posts++;
      history.append({ type: 'op.invoke', op, kind: 'alerts.post', node: this.o.node, from: this.o.replica, ...(alerts ? { value: alerts } : {}) });
    }
    let done = false;
    const complete = (ok: boolean | null, error?: string, status?: number): void => {
      if (done || op === undefined) return;
      done = true;
      if (ok === true) this.counts.ok++;
      else if (ok === false) this.counts.failed++;
      else this.counts.indeterminate++;
      history.append({
        type: 'op.complete',
        op,
        kind: 'alerts.post',
        node: this.o.node,
        ok,
        ...(error ? { error } : {}),
        ...(status !== undefined ? { value: { failure: 'http', status } } : {}),
      });
    };
    const headers = { ...req.headers, host: this.url.host };
    const up = httpRequest(
      { host: this.url.hostname, port: this.url.port, method: req.method, path: req.url, headers, agent: this.agent },
      (upRes) => {
        const status = upRes.statusCode ?? 0;
        res.writeHead(status, upRes.headers);
        upRes.pipe(res);
        upRes.on('end', () => {
          // Alertmanager stores the valid alerts of a batch and still answers 400: a failed answer may have had an effect.
          if (status >= 200 && status < 300) complete(true);
          else complete(null, `HTTP ${status}`, status);
        });
        upRes.on('error', (e) => {
          complete(null, e.message);
          res.destroy();
        });
      },
    );
    up.on('error', (e: NodeJS.ErrnoException) => {
      complete(e.code === 'ECONNREFUSED' ? false : null, e.message);
      // What the replica sees is what the network did: the connection is gone.
      res.destroy();
    });
    // The replica gave up (its timeout): the request may or may not have reached the node.
    res.on('close', () => {
      if (!res.writableFinished) {
        up.destroy();
        complete(null, 'the sender closed the connection before the node answered');
      }
    });
    up.end(body);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.agent.destroy();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
