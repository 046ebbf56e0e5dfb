import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalNode } from '../../../src/runtime/common/local-node.js';
import { freePort, releasePort } from '../../../src/runtime/common/ports.js';
import { templatesPlan, withPdeathsig, withTemplates, type TemplatesPlan } from '../../../src/runtime/common/templates.js';
import type { NodeSpec } from '../../../src/runtime/types.js';
import { DEFAULT_TIMERS } from '../../../src/topology/timers.js';
import { which } from '../../../src/util/fs.js';
import { resolveVersion } from '../../../src/versions/index.js';

/**
 * THE way a test starts a real Alertmanager (or tsam, by path) outside a scenario: one node on
 * loopback, built on the process runtime's node base (runtime/common/local-node.ts) — so it gets
 * what every harness node gets: its own version's templates (a private mount namespace for mixed
 * Debian builds), `setpriv --pdeathsig` and the reaper (it dies with the test process), the port
 * allocator (no two tests share a port), verified stop/kill/pause, and its log in a file. What a
 * test needs beyond a scenario is here too: a route prefix, ports chosen up front so that nodes can
 * name each other as peers before either starts, and its own flags. Restartable with the same
 * ports and storage. The client, capture, workload and tsam test helpers are thin wrappers.
 */

export interface LaunchOptions {
  /** A version name ("0.33.1") or the path of a binary; resolved by the version providers. */
  version: string;
  /** alertmanager.yml content. */
  config: string;
  /** Path part of --web.external-url (the API then lives under it), e.g. "/n1". */
  routePrefix?: string;
  /** --web.external-url as given (overrides the route prefix's default URL). */
  externalURL?: string;
  /** Clustering: listen on `port` (default: a free one) and dial `peers`; omitted: disabled. */
  cluster?: { port?: number; peers?: string[] };
  /** The node's own flags, after the harness's. */
  extraArgs?: string[];
  /** The node's directory: alertmanager.yml, node.log, data/ (default: a fresh temp dir, removed by destroy()). */
  dir?: string;
  /** --storage.path, when it must be another directory than <dir>/data (a snapshot shared with tsam). */
  storagePath?: string;
  logLevel?: 'debug' | 'info';
  readyTimeoutMs?: number;
}

export interface LaunchedAlertmanager {
  readonly version: string;
  readonly binary: string;
  /** The node's directory: alertmanager.yml, data/ (storage), node.log. */
  readonly dir: string;
  readonly configFile: string;
  /** --storage.path. */
  readonly storageDir: string;
  readonly logFile: string;
  readonly webPort: number;
  /** Cluster port (0 when clustering is disabled). */
  readonly clusterPort: number;
  readonly clusterAddress: string;
  /** API base URL, route prefix included. */
  readonly apiURL: string;
  readonly externalURL: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Every line of the node's log so far (read now). */
  logLines(): string[];
  logTail(n?: number): Promise<string>;
  /** Starts the node (again: same ports, same storage); resolves once its web API answers. */
  start(): Promise<void>;
  /** SIGTERM (graceful: snapshots, memberlist leave), SIGKILL after `graceMs`; resolves once exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves once exited. */
  kill(): Promise<void>;
  /** Stops it (if running), frees its ports and removes its directory when it made it. */
  destroy(): Promise<void>;
}

class TestNode extends LocalNode {
  constructor(
    spec: NodeSpec,
    dir: string,
    private readonly o: {
      webPort: number;
      clusterPort: number;
      prefix: string;
      externalURL: string | undefined;
      peers: string[];
      storagePath: string | undefined;
      templates: TemplatesPlan;
      setpriv: string | undefined;
      timeoutMs: number;
    },
  ) {
    // LocalNode lays the node out under <workDir>/<id>/; a test node's dir is that directory.
    super(spec, { runId: 'test', scenarioId: 'test', nodes: [spec], workDir: join(dir, '..'), captureAddress: { host: '127.0.0.1', port: 9 } });
  }

  get apiURL(): string {
    return `http://127.0.0.1:${this.o.webPort}${this.o.prefix}`;
  }
  get externalURL(): string {
    return this.o.externalURL ?? this.apiURL;
  }
  get clusterAddress(): string {
    return this.o.clusterPort ? `127.0.0.1:${this.o.clusterPort}` : '';
  }
  get config(): string {
    return this.configFile;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.prepare();
    const [bin, ...lead] = this.spec.version.command;
    // A test that sets the cluster listener itself must not get a second one (a repeated flag is an error).
    const ownListener = this.spec.extraArgs.some((a) => a.startsWith('--cluster.listen-address'));
    const cluster = this.o.clusterPort
      ? [`--cluster.listen-address=${this.clusterAddress}`, ...this.o.peers.map((p) => `--cluster.peer=${p}`)]
      : ownListener
        ? []
        : ['--cluster.listen-address='];
    const args = [
      `--config.file=${this.configFile}`,
      `--storage.path=${this.o.storagePath ?? this.storageDir}`,
      `--web.listen-address=127.0.0.1:${this.o.webPort}`,
      `--web.external-url=${this.externalURL}`,
      `--log.level=${this.spec.logLevel}`,
      ...cluster,
      ...this.spec.extraArgs,
    ];
    await this.spawnHealthy(withPdeathsig(this.o.setpriv, withTemplates(this.o.templates, [bin!, ...lead, ...args])), this.apiURL, this.o.timeoutMs);
  }
}

export async function launchAlertmanager(o: LaunchOptions): Promise<LaunchedAlertmanager> {
  const version = await resolveVersion(o.version);
  const ownDir = o.dir === undefined;
  const parent = o.dir === undefined ? await mkdtemp(join(tmpdir(), 'amchaos-test-am-')) : join(o.dir, '..');
  const id = o.dir === undefined ? 'node' : o.dir.split('/').filter(Boolean).pop()!;
  const spec: NodeSpec = {
    id,
    index: 0,
    version,
    config: o.config,
    clustered: o.cluster !== undefined,
    peerName: id,
    timers: DEFAULT_TIMERS,
    logLevel: o.logLevel ?? 'debug',
    extraArgs: o.extraArgs ?? [],
  };
  const webPort = await freePort('127.0.0.1');
  const clusterPort = o.cluster ? (o.cluster.port ?? (await freePort('127.0.0.1', { udp: true }))) : 0;
  const node = new TestNode(spec, join(parent, id), {
    webPort,
    clusterPort,
    prefix: (o.routePrefix ?? '').replace(/\/+$/, ''),
    externalURL: o.externalURL,
    peers: o.cluster?.peers ?? [],
    storagePath: o.storagePath,
    templates: await templatesPlan(spec),
    setpriv: await which('setpriv'),
    timeoutMs: o.readyTimeoutMs ?? 20_000,
  });
  const handle: LaunchedAlertmanager = {
    version: o.version,
    binary: version.command[0]!,
    dir: join(parent, id),
    configFile: node.config,
    storageDir: o.storagePath ?? node.storageDir,
    logFile: node.logFile,
    webPort,
    clusterPort,
    clusterAddress: node.clusterAddress,
    apiURL: node.apiURL,
    externalURL: node.externalURL,
    get pid() {
      return node.pid;
    },
    get running() {
      return node.running;
    },
    logLines: () => {
      try {
        return readFileSync(node.logFile, 'utf8').split('\n').filter((l) => l !== '');
      } catch {
        return [];
      }
    },
    logTail: async (n = 20) => (await readFile(node.logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-n).join('\n'),
    start: () => node.start(),
    stop: async (graceMs = 3_000) => {
      if (node.running) await node.stop({ graceMs });
    },
    kill: async () => {
      if (node.running) await node.kill();
    },
    destroy: async () => {
      if (node.running) await node.kill().catch(() => undefined);
      releasePort(webPort);
      if (clusterPort && !o.cluster?.port) releasePort(clusterPort);
      if (ownDir) await rm(parent, { recursive: true, force: true });
    },
  };
  try {
    await node.start();
  } catch (e) {
    await handle.destroy();
    throw e;
  }
  return handle;
}
