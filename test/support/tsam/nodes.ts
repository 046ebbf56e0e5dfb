/**
 * Helpers for tsam's own tests (imported only by *.test.ts under src/tsam): finding a real
 * Alertmanager build through src/versions (offline), starting it on loopback and stopping it, a
 * capturing webhook receiver, and temp dirs. Everything started here is stopped by the caller's
 * afterEach/afterAll through the returned handles.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findRealAlertmanager as findReal, realBinarySkipReason } from '../versions/real-binary.js';
import { App } from '../../../src/tsam/app/app.js';
import { parseFlags } from '../../../src/tsam/flags/flags.js';
import { freePort as freePortOnLoopback } from '../../../src/runtime/common/ports.js';
import { launchAlertmanager } from '../alertmanager/real.js';

/** The real binary for a version (see src/versions/testing.ts); undefined makes tests skip. */
export function findRealAlertmanager(version: string): Promise<string | undefined> {
  return findReal(version);
}

export function howToGetReal(version: string): string {
  return realBinarySkipReason(version);
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `tsam-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A loopback port (TCP and UDP) not handed out before in this process: concurrent tests never share one. */
export function freePort(): Promise<number> {
  return freePortOnLoopback('127.0.0.1', { udp: true });
}

export interface Captured {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

/** A webhook receiver on 127.0.0.1 that records every request; `respond` picks the status per request. */
export async function captureServer(respond: (n: number) => number = () => 200): Promise<{
  url: string;
  received: Captured[];
  attempts: () => number;
  waitFor: (n: number, timeoutMs: number) => Promise<Captured[]>;
  close: () => Promise<void>;
}> {
  const received: Captured[] = [];
  let attempts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = respond(attempts++);
      const raw = Buffer.concat(chunks).toString('utf8');
      if (status >= 200 && status < 300) {
        received.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    attempts: () => attempts,
    waitFor: async (n, timeoutMs) => {
      const end = Date.now() + timeoutMs;
      while (received.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      return received;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export interface RealNode {
  url: string;
  /** The node's log so far. */
  log: () => string;
  /** SIGTERM and wait for exit (graceful: writes snapshots). */
  stop: () => Promise<void>;
}

/**
 * Starts a real binary on 127.0.0.1 with clustering disabled (unless `extraArgs` sets a cluster
 * listener) and waits for its API; its storage is `storageDir` itself, so tsam can start on the same
 * snapshots afterwards. test/support/alertmanager/real.ts does the work.
 */
export async function startReal(binary: string, configText: string, storageDir: string, extraArgs: string[] = []): Promise<RealNode> {
  const external = extraArgs.find((a) => a.startsWith('--web.external-url='));
  const am = await launchAlertmanager({
    version: binary,
    config: configText,
    dir: storageDir,
    storagePath: storageDir,
    extraArgs: extraArgs.filter((a) => a !== external),
    ...(external ? { externalURL: external.slice('--web.external-url='.length) } : {}),
  });
  return {
    url: am.apiURL,
    log: () => am.logLines().join('\n'),
    stop: () => am.stop(10_000),
  };
}

export interface TsamNode {
  url: string;
  app: App;
  logs: string[];
  stop: () => Promise<void>;
}

/** Starts tsam in-process on 127.0.0.1 with clustering disabled. */
export async function startTsam(configText: string, storageDir: string, extraArgs: string[] = []): Promise<TsamNode> {
  const cfg = path.join(storageDir, 'alertmanager.yml');
  await writeFile(cfg, configText);
  const flags = parseFlags([
    `--config.file=${cfg}`,
    `--storage.path=${storageDir}`,
    '--web.listen-address=127.0.0.1:0',
    '--cluster.listen-address=',
    ...extraArgs,
  ]);
  // (tsam's own flag parser lets a later --cluster.listen-address override the default above.)
  const logs: string[] = [];
  const app = await App.start(flags, { logWrite: (l) => logs.push(l) });
  return { url: `http://127.0.0.1:${app.webAddress.port}`, app, logs, stop: () => app.stop() };
}
