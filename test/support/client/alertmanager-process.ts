/**
 * Test support only (client/, workload/ and capture/ tests): starts one real Alertmanager binary on
 * free loopback ports with a given config, clustering off unless asked, in its own temp dir, and
 * removes everything on stop(). The harness's real node management lives in src/runtime/; this is
 * the smallest thing that lets unit tests talk to a real node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRealAlertmanager, realBinaryEnvVar } from '../versions/real-binary.js';


/** The env variable that points tests at a binary of `version`, e.g. AMCHAOS_AM_0_33_1. */
export const binaryEnvVar = realBinaryEnvVar;

/** The binary for `version` (see src/versions/testing.ts); undefined makes tests skip. */
export const findAlertmanagerBinary = findRealAlertmanager;

/** A free TCP port on 127.0.0.1 (closed again before returning; the usual small race applies). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface TestAlertmanagerOptions {
  binary: string;
  /** alertmanager.yml content. */
  config: string;
  /** Path part of --web.external-url (the API then lives under it), e.g. "/n1". Default none. */
  routePrefix?: string;
  /** Cluster listen port on 127.0.0.1 and peers to join; omitted = clustering disabled. */
  cluster?: { port: number; peers: string[]; extraArgs?: string[] };
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

export interface TestAlertmanager {
  readonly port: number;
  /** API base URL including the route prefix. */
  readonly apiURL: string;
  readonly externalURL: string;
  readonly pid: number | undefined;
  readonly dir: string;
  readonly configFile: string;
  logTail(n?: number): Promise<string>;
  /** Kills the process (SIGTERM, SIGKILL after 3 s), waits for it to exit, removes the temp dir. */
  stop(): Promise<void>;
}

// Safety net: if a test process dies without running afterAll, do not leave binaries running.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startTestAlertmanager(opts: TestAlertmanagerOptions): Promise<TestAlertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'amchaos-test-am-'));
  const configFile = join(dir, 'alertmanager.yml');
  const logFile = join(dir, 'alertmanager.log');
  await writeFile(configFile, opts.config);
  const port = await freePort();
  const prefix = opts.routePrefix ?? '';
  const externalURL = `http://127.0.0.1:${port}${prefix}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${externalURL}`,
    '--log.level=debug',
  ];
  if (opts.cluster) {
    args.push(`--cluster.listen-address=127.0.0.1:${opts.cluster.port}`);
    for (const p of opts.cluster.peers) args.push(`--cluster.peer=${p}`);
    args.push(...(opts.cluster.extraArgs ?? []));
  } else {
    args.push('--cluster.listen-address=');
  }
  args.push(...(opts.extraArgs ?? []));

  const fd = openSync(logFile, 'a');
  const child = spawn(opts.binary, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.add(child);
  let exited: { code: number | null; signal: string | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      resolve();
    });
    child.once('error', () => {
      exited = { code: null, signal: null };
      live.delete(child);
      resolve();
    });
  });

  const logTail = async (n = 20): Promise<string> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-n).join('\n');
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (exited) {
      const tail = await logTail();
      await stop();
      throw new Error(`test alertmanager ${opts.binary} exited during start-up (${JSON.stringify(exited)}):\n${tail}`);
    }
    try {
      const res = await fetch(`${externalURL}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const tail = await logTail();
      await stop();
      throw new Error(`test alertmanager ${opts.binary} not ready on ${externalURL} in time:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return { port, apiURL: externalURL, externalURL, pid: child.pid, dir, configFile, logTail, stop };
}

/** A config whose single receiver posts every notification to `webhookURL`. */
export function webhookConfig(webhookURL: string, opts: { groupWait?: string; groupInterval?: string; repeatInterval?: string; groupBy?: string[] } = {}): string {
  return [
    'route:',
    '  receiver: hook',
    `  group_by: [${(opts.groupBy ?? ['alertname']).join(', ')}]`,
    `  group_wait: ${opts.groupWait ?? '1s'}`,
    `  group_interval: ${opts.groupInterval ?? '2s'}`,
    `  repeat_interval: ${opts.repeatInterval ?? '1h'}`,
    'receivers:',
    '- name: hook',
    '  webhook_configs:',
    `  - url: ${JSON.stringify(webhookURL)}`,
    '    send_resolved: true',
    '',
  ].join('\n');
}
