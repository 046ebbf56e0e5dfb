/**
 * Wires one tsam node together, in the order the real binary's main does it: state (nflog, silences)
 * loaded from snapshots and registered with the cluster peer, config, inhibitor, dispatcher and
 * pipeline, then the API. Reload swaps config-derived parts (a new dispatcher replays every alert, so
 * group timers restart and dedup keeps notifications from repeating). Stop is the graceful path:
 * dispatcher off, API closed, shutdown snapshots written, cluster left.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { AmchaosError } from '../../errors/index.js';
import type { ClusterPeer, CreateClusterPeer } from '../cluster/peer-api.js';
import { parseCompat, type Compat } from '../compat/compat.js';
import { ConfigError, parseConfig, type Config } from '../config/config.js';
import { AlertStore } from '../alerts/alerts.js';
import { AlertMarker } from '../alerts/marker.js';
import { ApiServer, type ClusterView } from '../api/server.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { Route } from '../dispatch/route.js';
import { anyFault, faultList, parseFaults, type Faults } from '../faults/faults.js';
import { splitHostPort, type Flags } from '../flags/flags.js';
import { Inhibitor } from '../inhibit/inhibitor.js';
import { Logger } from '../log/logger.js';
import { configHashValue, exposition, Metrics } from '../metrics/metrics.js';
import { NotificationLog } from '../nflog/nflog.js';
import { buildPipeline } from '../notify/pipeline.js';
import { Silences } from '../silences/silences.js';

/** notify.MinTimeout: the pipeline deadline is never shorter than this plus the position wait. */
const MIN_TIMEOUT_MS = 10_000;

export interface AppOptions {
  /** Where log lines go (default stderr). */
  logWrite?: (line: string) => void;
  /** Overrides the cluster implementation (tests); default: src/tsam/cluster/index.ts's createClusterPeer. */
  createClusterPeer?: CreateClusterPeer;
}

/** The URL the binary advertises: --web.external-url, or http://<hostname>:<port>, with the path's trailing slash trimmed. */
export function externalUrl(flag: string, listenAddress: string): URL {
  const raw = flag !== '' ? flag : `http://${os.hostname()}:${splitHostPort(listenAddress).port}/`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `failed to determine external URL: parse ${JSON.stringify(raw)}: invalid URL`, {
      hint: 'give --web.external-url as an absolute http(s) URL',
    });
  }
  return u;
}

export function externalUrlString(u: URL): string {
  const p = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${u.host}${p}`;
}

async function loadClusterFactory(): Promise<CreateClusterPeer> {
  // A computed specifier keeps the import optional while the memberlist layer is being written.
  const specifier = '../cluster/index.js';
  let mod: { createClusterPeer?: CreateClusterPeer };
  try {
    mod = (await import(specifier)) as { createClusterPeer?: CreateClusterPeer };
  } catch (e) {
    throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `tsam's cluster layer could not be loaded: ${(e as Error).message}`, {
      hint: 'run tsam with --cluster.listen-address= (clustering disabled) until src/tsam/cluster/index.ts exports createClusterPeer',
    });
  }
  if (typeof mod.createClusterPeer !== 'function') {
    throw new AmchaosError('AMCHAOS_NODE_START_FAILED', 'src/tsam/cluster/index.ts does not export createClusterPeer', {
      hint: 'run tsam with --cluster.listen-address= (clustering disabled)',
    });
  }
  return mod.createClusterPeer;
}

export class App {
  readonly compat: Compat;
  readonly faults: Faults;
  readonly logger: Logger;
  readonly alerts = new AlertStore();
  readonly marker = new AlertMarker();
  readonly metrics: Metrics;
  readonly nflog: NotificationLog;
  readonly silences: Silences;
  private peer: ClusterPeer | undefined;
  private settled: Promise<void> = Promise.resolve();
  private readonly settleCtl = new AbortController();
  private config!: Config;
  private route!: Route;
  private inhibitor!: Inhibitor;
  private dispatcher!: Dispatcher;
  private api!: ApiServer;
  private timers: NodeJS.Timeout[] = [];
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | undefined;
  webAddress!: AddressInfo;
  externalURL!: string;

  private constructor(
    readonly flags: Flags,
    private readonly options: AppOptions,
  ) {
    this.compat = parseCompat(flags.tsamCompat);
    this.faults = parseFaults(flags.tsamFaults);
    this.metrics = new Metrics(this.compat.version);
    this.logger = new Logger({ level: flags.logLevel, format: flags.logFormat, compat: this.compat, write: options.logWrite });
    this.nflog = new NotificationLog({
      compat: this.compat,
      faults: this.faults,
      logger: this.logger.with({ component: 'nflog' }),
      retentionMs: flags.dataRetentionMs,
    });
    this.silences = new Silences({
      compat: this.compat,
      faults: this.faults,
      logger: this.logger.with({ component: 'silences' }),
      retentionMs: flags.dataRetentionMs,
    });
  }

  static async start(flags: Flags, options: AppOptions = {}): Promise<App> {
    const app = new App(flags, options);
    try {
      await app.init();
    } catch (e) {
      await app.stop().catch(() => undefined);
      throw e;
    }
    return app;
  }

  private async init(): Promise<void> {
    const { flags, logger } = this;
    logger.info('Starting Alertmanager', { version: `(version=${this.compat.version}, branch=tsam, revision=tsam)` });
    logger.info('Build context', { build_context: `(node=${process.version}, platform=${process.platform}/${process.arch})` });
    if (anyFault(this.faults)) {
      logger.warn('tsam runs with faults switched on: it misbehaves on purpose', { faults: faultList(this.faults).join(',') });
    }
    await mkdir(flags.storagePath, { recursive: true });

    if (flags.clusterListenAddress !== '') {
      const create = this.options.createClusterPeer ?? (await loadClusterFactory());
      const clog = logger.with({ component: 'cluster' });
      this.peer = await create({
        listenAddress: flags.clusterListenAddress,
        advertiseAddress: flags.clusterAdvertiseAddress === '' ? undefined : flags.clusterAdvertiseAddress,
        knownPeers: flags.clusterPeers,
        name: flags.clusterPeerName === '' ? undefined : flags.clusterPeerName,
        peerTimeoutMs: flags.clusterPeerTimeoutMs,
        gossipIntervalMs: flags.clusterGossipIntervalMs,
        pushPullIntervalMs: flags.clusterPushPullIntervalMs,
        settleTimeoutMs: flags.clusterSettleTimeoutMs,
        probeIntervalMs: flags.clusterProbeIntervalMs,
        probeTimeoutMs: flags.clusterProbeTimeoutMs,
        reconnectIntervalMs: flags.clusterReconnectIntervalMs,
        reconnectTimeoutMs: flags.clusterReconnectTimeoutMs,
        tcpTimeoutMs: flags.clusterTcpTimeoutMs,
        compat: this.compat.version,
        log: (level, msg, fields) => clog.log(level, msg, fields),
      });
    }

    await this.nflog.loadSnapshot(path.join(flags.storagePath, 'nflog'));
    await this.silences.loadSnapshot(path.join(flags.storagePath, 'silences'));
    if (this.peer) {
      const nfl = this.peer.addState('nfl', this.nflog);
      this.nflog.setBroadcast((b) => nfl.broadcast(b));
      const sil = this.peer.addState('sil', this.silences);
      this.silences.setBroadcast((b) => sil.broadcast(b));
      try {
        await this.peer.join();
      } catch (e) {
        logger.warn('unable to join gossip mesh', { component: 'cluster', err: e });
      }
      this.settled = this.peer.settle(this.settleCtl.signal).catch(() => undefined);
    }

    const url = externalUrl(flags.webExternalUrl, flags.webListenAddress);
    this.externalURL = externalUrlString(url);
    logger.debug('external url', { externalUrl: this.externalURL });

    this.config = await this.loadConfigFile();
    this.applyConfig(this.config);
    // Said once: tsam delivers only webhooks; the rest are accepted and every notification for them fails.
    for (const r of this.config.receivers) {
      for (const o of r.others) {
        logger.warn('tsam does not deliver to this integration: its notifications are counted as failed', {
          component: 'configuration',
          receiver: r.name,
          integration: o.name,
        });
      }
    }
    this.alerts.subscribe((a) => {
      this.inhibitor.observe(a);
      this.dispatcher.process(a);
    });

    this.api = new ApiServer({
      compat: this.compat,
      logger,
      alerts: this.alerts,
      silences: this.silences,
      inhibitor: () => this.inhibitor,
      dispatcher: () => this.dispatcher,
      route: () => this.route,
      config: () => this.config,
      cluster: () => this.clusterView(),
      startedAt: this.startedAt,
      routePrefix: url.pathname.replace(/\/+$/, ''),
      reload: () => this.reload(),
      metrics: this.metrics,
      marker: this.marker,
      exposition: () => this.exposition(),
    });
    const { host, port } = splitHostPort(flags.webListenAddress);
    this.webAddress = await this.api.listen(host === '' ? '::' : host, port);
    const shownHost = this.webAddress.family === 'IPv6' ? `[${this.webAddress.address}]` : this.webAddress.address;
    logger.info('Listening on', { address: `${shownHost}:${this.webAddress.port}` });
    logger.info('TLS is disabled.', { http2: false, address: `${shownHost}:${this.webAddress.port}` });

    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(flags.dataMaintenanceIntervalMs, () => void this.maintenance());
    every(flags.alertsGcIntervalMs, () => {
      this.alerts.gc();
      this.marker.retain((fp) => this.alerts.get(fp) !== undefined);
      this.inhibitor.gc();
    });
  }

  private exposition(): string {
    const now = Date.now();
    const alerts = { active: 0, suppressed: 0, unprocessed: 0 };
    for (const a of this.alerts.list()) {
      if (a.endsAt !== 0 && a.endsAt <= now) continue;
      alerts[this.marker.state(a.fingerprint)]++;
    }
    const silences = { active: 0, pending: 0, expired: 0 };
    for (const s of this.silences.list()) silences[this.silences.state(s)]++;
    const cfg = this.config;
    this.metrics.silencesGossipPropagated = this.silences.propagated;
    this.metrics.nflogGossipPropagated = this.nflog.propagated;
    return exposition({
      compat: this.compat,
      metrics: this.metrics,
      clusterEnabled: this.peer !== undefined,
      clusterMembers: this.peer ? this.peer.peers().length : 0,
      position: this.position(),
      alerts,
      silences,
      ...(this.peer?.metrics ? { cluster: this.peer.metrics(), peerName: this.peer.name } : {}),
      aggregationGroups: this.dispatcher.groupCount(),
      receivers: cfg.receivers.length,
      integrations: cfg.receivers.reduce((n, r) => n + r.webhookConfigs.length + r.others.length, 0),
      inhibitionRules: cfg.inhibitRules.length,
    });
  }

  private clusterView(): ClusterView {
    if (!this.peer) return { status: 'disabled', peers: [] };
    return { name: this.peer.name, status: this.peer.status(), peers: this.peer.peers() };
  }

  private async loadConfigFile(): Promise<Config> {
    const file = this.flags.configFile;
    const log = this.logger.with({ component: 'configuration' });
    log.info('Loading configuration file', { file });
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      log.error('Loading configuration file failed', { file, err: (e as Error).message });
      throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, {
        hint: 'give --config.file the path of an alertmanager.yml',
      });
    }
    try {
      const cfg = parseConfig(text, this.compat);
      log.info('Completed loading of configuration file', { file });
      this.metrics.configHash = configHashValue(createHash('md5').update(text).digest());
      this.metrics.configLastReloadSuccessful = 1;
      this.metrics.configLastReloadSuccessSeconds = Math.floor(Date.now() / 1000);
      return cfg;
    } catch (e) {
      this.metrics.configLastReloadSuccessful = 0;
      if (e instanceof ConfigError) {
        log.error('Loading configuration file failed', { file, err: e.message });
        throw new AmchaosError('AMCHAOS_INVALID_CONFIG', e.message, { hint: `fix ${file}`, cause: e });
      }
      throw e;
    }
  }

  private position(): number {
    return this.peer ? this.peer.position() : 0;
  }

  /** Builds inhibitor, routes, pipeline and dispatcher for a config and replays the current alerts into them. */
  private applyConfig(cfg: Config): void {
    const old = this.dispatcher;
    this.config = cfg;
    this.inhibitor = new Inhibitor(cfg.inhibitRules);
    this.route = Route.fromConfig(cfg.route, this.compat);
    const pipeline = buildPipeline(cfg, {
      compat: this.compat,
      faults: this.faults,
      logger: this.logger,
      nflog: this.nflog,
      silences: this.silences,
      inhibitor: this.inhibitor,
      position: () => this.position(),
      peerTimeoutMs: this.flags.clusterPeerTimeoutMs,
      waitReady: (signal) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          void this.settled.then(resolve);
        }),
      externalURL: this.externalURL,
      metrics: this.metrics,
      marker: this.marker,
    });
    const timeout = (d: number): number => Math.max(d, MIN_TIMEOUT_MS) + this.position() * this.flags.clusterPeerTimeoutMs;
    old?.stop();
    this.dispatcher = new Dispatcher(this.route, this.compat, pipeline, timeout, this.logger.with({ component: 'dispatcher' }));
    for (const a of this.alerts.list()) {
      this.inhibitor.observe(a);
      this.dispatcher.process(a);
    }
  }

  /** SIGHUP and POST /-/reload. A bad file keeps the running config and fails the reload. */
  async reload(): Promise<void> {
    const cfg = await this.loadConfigFile();
    this.applyConfig(cfg);
  }

  private async maintenance(): Promise<void> {
    for (const [name, st] of [
      ['nflog', this.nflog],
      ['silences', this.silences],
    ] as const) {
      const log = this.logger.with({ component: name });
      const m = this.metrics;
      log.debug('Running maintenance');
      if (name === 'nflog') m.nflogMaintenance++;
      else m.silencesMaintenance++;
      try {
        st.gc();
        const size = await st.snapshot(path.join(this.flags.storagePath, name));
        if (name === 'nflog') m.nflogSnapshotBytes = size;
        else m.silencesSnapshotBytes = size;
        log.debug('Maintenance done', { size });
      } catch (e) {
        if (name === 'nflog') m.nflogMaintenanceErrors++;
        else m.silencesMaintenanceErrors++;
        log.error('Running maintenance failed', { err: e });
      }
    }
  }

  /** Graceful stop (SIGTERM): no more notifications, shutdown snapshots, leave the cluster. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      this.settleCtl.abort();
      this.dispatcher?.stop();
      if (this.api) await this.api.close();
      if (this.config) await this.maintenance();
      if (this.peer) {
        try {
          // Bounded: a shutdown must finish even if the peers vanish at the same moment.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            this.peer.leave(10_000),
            new Promise<void>((r) => (timer = setTimeout(() => {
              this.logger.warn('leaving the cluster took too long; stopping anyway', { component: 'cluster' });
              r();
            }, 11_000))),
          ]);
          clearTimeout(timer);
        } catch (e) {
          this.logger.warn('leaving the cluster failed', { component: 'cluster', err: e });
        }
      }
    })();
    return this.stopping;
  }
}
