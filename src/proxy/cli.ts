import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { AmchaosError } from '../errors/index.js';
import { parseHostPort } from './address.js';
import { ProxyServer } from './server.js';
import { API_VERSION } from './version.js';
import type { CreateProxyInput } from './types.js';

export interface ProxyCommandOptions {
  /** host:port of the HTTP API; default 127.0.0.1:8474 (Toxiproxy's port, loopback only). */
  listen?: string;
  /** A JSON file with the /populate body, applied before the API listens (toxiproxy-server -config). */
  config?: string;
  udpIdleTimeoutMs?: number;
  /** Status lines (default: stderr). */
  log?: (line: string) => void;
  /** Stops the proxy when aborted, as SIGINT/SIGTERM do (for embedding and tests). */
  signal?: AbortSignal;
  /** Warm the relay up before the API answers (default true; see warmup.ts). */
  warmUp?: boolean;
}

/**
 * `amchaos proxy --listen host:port`: runs the link proxy until SIGINT/SIGTERM (or `signal`), then closes
 * every proxy, socket and the API, and resolves. Bad arguments reject with an AmchaosError before
 * anything binds.
 */
export async function runProxyCommand(options: ProxyCommandOptions = {}): Promise<void> {
  const log = options.log ?? logToStderr;
  let api: { host: string; port: number };
  try {
    api = parseHostPort(options.listen ?? '127.0.0.1:8474', 'listen');
  } catch (e) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--listen: ${(e as Error).message}`, {
      hint: 'give --listen as host:port, e.g. 127.0.0.1:8474',
    });
  }
  const config = options.config === undefined ? undefined : await readConfig(options.config);
  const server = new ProxyServer(options.udpIdleTimeoutMs === undefined ? {} : { udpIdleTimeoutMs: options.udpIdleTimeoutMs });

  // Install the handlers before binding anything, so a signal during start-up still cleans up.
  let stopRequested: (why: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  const onSigint = (): void => stopRequested('SIGINT');
  const onSigterm = (): void => stopRequested('SIGTERM');
  const onAbort = (): void => stopRequested('abort');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  try {
    if (config !== undefined) {
      try {
        const created = await server.populate(config);
        log(`amchaos proxy: created ${created.length} proxies from ${options.config}`);
      } catch (e) {
        throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `${options.config}: ${(e as Error).message}`, {
          hint: 'the file must hold a JSON array of {name, listen, upstream, enabled?, udp?}',
          cause: e,
        });
      }
    }
    // Before the API answers, so that no proxy created through it meets a cold relay.
    if (options.warmUp !== false) await server.warmUp();
    const addr = await server.start(api);
    log(`amchaos proxy: Toxiproxy API on ${addr.url} (version ${API_VERSION}); stop with Ctrl-C`);
    const why = await stopped;
    log(`amchaos proxy: stopping (${why})`);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    options.signal?.removeEventListener('abort', onAbort);
    await server.close();
  }
}

/**
 * Status lines go straight to fd 2, not through `process.stderr`: that stream is a socket of another
 * kind (a pipe or a TTY), and its first write would deoptimise the stream code the relay shares with it,
 * just after the warm-up compiled it (see warmup.ts).
 */
function logToStderr(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    process.stderr.write(`${line}\n`); // a full non-blocking pipe (EAGAIN): let the stream queue it
  }
}

async function readConfig(path: string): Promise<CreateProxyInput[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `cannot read proxy config ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `proxy config ${path} is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `proxy config ${path} must be a JSON array of proxies`);
  }
  return parsed as CreateProxyInput[];
}
