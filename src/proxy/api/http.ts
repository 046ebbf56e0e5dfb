import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AmchaosError } from '../../errors/index.js';
import { badRequest, httpStatusOf } from '../errors.js';
import type { ProxyCollection } from '../collection.js';
import { VERSION_BODY } from '../version.js';
import type { CreateProxyInput, CreateToxicInput, UpdateProxyInput, UpdateToxicInput } from '../types.js';
import { matchRoute, type RouteMatch } from './routes.js';

// Bodies here are a few hundred bytes; a megabyte is generous and bounds what a bad client can make us hold.
const MAX_BODY_BYTES = 1024 * 1024;

/** Starts the Toxiproxy-compatible HTTP API for `proxies` on host:port; resolves with the bound port. */
export function startApiServer(proxies: ProxyCollection, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = http.createServer((req, res) => {
    handle(proxies, req, res).catch((err: unknown) => {
      // handle() answers every error itself; this is only for a failure while answering.
      if (!res.headersSent) sendError(res, 500, String(err));
      else res.destroy();
    });
  });
  // Toxiproxy's server timeouts (ReadTimeout 15 s, IdleTimeout 60 s), so a stuck client cannot pin a socket.
  server.requestTimeout = 15_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new AmchaosError(
          err.code === 'EADDRINUSE' ? 'AMCHAOS_PORT_IN_USE' : 'AMCHAOS_INTERNAL',
          `proxy API cannot listen on ${host}:${port}: ${err.message}`,
          { hint: err.code === 'EADDRINUSE' ? 'another toxiproxy or amchaos proxy is running there; pick another port with --listen' : undefined, cause: err },
        ),
      ),
    );
    server.listen({ host, port, exclusive: true }, () => {
      const addr = server.address();
      server.on('error', () => {});
      resolve({ server, port: typeof addr === 'object' && addr !== null ? addr.port : port });
    });
  });
}

async function handle(proxies: ProxyCollection, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = matchRoute(url.pathname);
  if (match === null) {
    sendText(res, 404, '404 page not found\n', { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    return;
  }
  const method = req.method ?? 'GET';
  if (!match.methods.includes(method)) {
    res.writeHead(405, { 'Content-Length': '0' });
    res.end();
    return;
  }
  res.setHeader('X-Toxiproxy-Request-Id', randomBytes(10).toString('hex'));
  // Toxiproxy refuses browsers, so a web page cannot drive the API through DNS rebinding.
  if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
    sendText(res, 403, 'User agent not allowed\n', { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    return;
  }
  try {
    await dispatch(proxies, match, method, req, res);
  } catch (err) {
    const status = httpStatusOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const extra: Record<string, unknown> = {};
    if (match.route === 'populate' && err instanceof AmchaosError && 'proxies' in err.details) {
      extra['proxies'] = err.details['proxies'];
    }
    if (bodyAbandoned.has(req)) res.setHeader('Connection', 'close');
    sendError(res, status, message, extra);
  }
}

async function dispatch(
  proxies: ProxyCollection,
  m: RouteMatch,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const proxyName = m.proxy ?? '';
  const toxicName = m.toxic ?? '';
  switch (m.route) {
    case 'version':
      sendText(res, 200, VERSION_BODY, { 'Content-Type': 'application/json;charset=utf-8' });
      return;
    case 'proxies':
      if (method === 'GET') return sendJson(res, 200, proxies.listProxies());
      return sendJson(res, 201, await proxies.createProxy((await readJson(req)) as CreateProxyInput));
    case 'populate':
      return sendJson(res, 201, { proxies: await proxies.populate(populateBody(await readJson(req))) });
    case 'reset':
      await drain(req); // the body is ignored, as in Toxiproxy
      await proxies.reset();
      return sendEmpty(res);
    case 'proxy':
      if (method === 'GET') return sendJson(res, 200, proxies.getProxy(proxyName));
      if (method === 'DELETE') {
        await drain(req);
        await proxies.deleteProxy(proxyName);
        return sendEmpty(res);
      }
      {
        // POST and PATCH both update. Unknown proxy is a 404 before the body is looked at.
        proxies.getProxy(proxyName);
        const body = await readJson(req);
        return sendJson(res, 200, await proxies.updateProxy(proxyName, body as UpdateProxyInput));
      }
    case 'toxics':
      if (method === 'GET') return sendJson(res, 200, proxies.listToxics(proxyName));
      proxies.getProxy(proxyName);
      // 200, not 201: Toxiproxy's answer for a created toxic.
      return sendJson(res, 200, await proxies.addToxic(proxyName, (await readJson(req)) as CreateToxicInput));
    case 'toxic':
      if (method === 'GET') return sendJson(res, 200, proxies.getToxic(proxyName, toxicName));
      if (method === 'DELETE') {
        await drain(req);
        await proxies.removeToxic(proxyName, toxicName);
        return sendEmpty(res);
      }
      proxies.getToxic(proxyName, toxicName);
      return sendJson(res, 200, await proxies.updateToxic(proxyName, toxicName, (await readJson(req)) as UpdateToxicInput));
  }
}

function populateBody(raw: unknown): CreateProxyInput[] {
  // decodePopulate validates the shape; this only narrows the type for the call.
  return raw as CreateProxyInput[];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) {
      // The rest of the body stays unread, so this connection cannot carry another request: the
      // answer says `Connection: close` (Node then closes it), or the client would send its next
      // request into our leftover bytes.
      bodyAbandoned.add(req);
      throw badRequest(`bad request body: larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const bodyAbandoned = new WeakSet<IncomingMessage>();

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // discard
  }
}

/**
 * Any Content-Type is accepted, as in Toxiproxy (it decodes every body as JSON). An empty body is Go's
 * `EOF` error.
 */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') throw badRequest('bad request body: EOF');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(`bad request body: ${(e as Error).message}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A whole body with its length, as Go's net/http sends a small response (not chunked). */
function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendEmpty(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** Go's http.Error shape: JSON text, but served as text/plain with nosniff, plus a newline. */
function sendError(res: ServerResponse, status: number, message: string, extra: Record<string, unknown> = {}): void {
  const text = `${JSON.stringify({ error: message, status, ...extra })}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
