import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { AmchaosError } from '../errors/index.js';
import { NodeProcess, type ExitInfo } from '../runtime/common/node-process.js';
import { freePort, releasePort } from '../runtime/common/ports.js';
import { withPdeathsig } from '../runtime/common/templates.js';
import type { ResolvedPrometheus } from '../versions/prometheus.js';
import { formatGoDuration } from '../topology/timers.js';
import type { SourceTimers } from './config.js';

/** One alert as Prometheus's /api/v1/alerts lists it. */
export interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing' | string;
  activeAt?: string;
}

export interface PrometheusRuleGroup {
  name: string;
  file: string;
  rules: { name: string; type: string; health: string; lastError?: string; query?: string; duration?: number }[];
}

/**
 * One Prometheus replica: its process on loopback (spawned with an argument array under
 * `setpriv --pdeathsig KILL`, logged to a file, tracked by the reaper like every node), its config
 * file, and the parts of its HTTP API the source needs (readiness, reload, alerts, rules,
 * alertmanagers, targets).
 */
export class PrometheusReplica {
  readonly logFile: string;
  readonly configFile: string;
  private readonly proc: NodeProcess;
  private port: number | undefined;

  constructor(
    readonly id: string,
    readonly version: ResolvedPrometheus,
    readonly dir: string,
    private readonly timers: SourceTimers,
    private readonly setpriv: string | undefined,
  ) {
    this.logFile = join(dir, 'prometheus.log');
    this.configFile = join(dir, 'prometheus.yml');
    this.proc = new NodeProcess(id, this.logFile);
  }

  get url(): string {
    if (this.port === undefined) throw new AmchaosError('AMCHAOS_INTERNAL', `replica ${this.id} has no port yet`);
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.running;
  }

  get paused(): boolean {
    return this.proc.isPaused;
  }

  async writeConfig(yaml: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.configFile, yaml);
  }

  private argv(): string[] {
    const [bin, ...lead] = this.version.command;
    return withPdeathsig(this.setpriv, [
      bin!,
      ...lead,
      `--config.file=${this.configFile}`,
      `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      `--rules.alert.resend-delay=${formatGoDuration(this.timers.resendDelayMs)}`,
      ...(this.version.features.lifecycle ? ['--web.enable-lifecycle'] : []),
    ]);
  }

  /** Starts the process (again) and waits until /-/ready answers; retries with a fresh port on a bind race. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) return;
    await mkdir(join(this.dir, 'data'), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      this.port ??= await freePort('127.0.0.1');
      await this.proc.spawn(this.argv());
      const outcome = await this.waitReady(timeoutMs);
      if (outcome === 'ready') return;
      const tail = await this.proc.logTail(15);
      if (outcome === 'exited' && attempt < 3 && tail.some((l) => /address already in use/.test(l))) {
        releasePort(this.port);
        this.port = undefined;
        continue;
      }
      if (outcome === 'timeout') await this.proc.kill();
      throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `Prometheus replica ${this.id} (${this.version.requested}) ${outcome === 'exited' ? 'exited during start' : `did not get ready within ${timeoutMs} ms`}`, {
        hint: `The last log lines above say why; the whole log is ${this.logFile}`,
        details: { logTail: tail, command: this.argv() },
      });
    }
  }

  private async waitReady(timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.proc.running) return 'exited';
      try {
        const res = await request(`${this.url}/-/ready`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
        await res.body.dump();
        if (res.statusCode === 200) return 'ready';
      } catch {
        /* not listening yet */
      }
      await sleep(50);
    }
    return 'timeout';
  }

  /** Re-reads the config file (POST /-/reload, or SIGHUP where the build has no lifecycle API); resolves once it says it did. */
  async reload(): Promise<void> {
    if (this.version.features.lifecycle) {
      const res = await request(`${this.url}/-/reload`, { method: 'POST', headersTimeout: 10_000, bodyTimeout: 10_000 });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `Prometheus replica ${this.id} refused the new config: ${text.trim()}`, {
          hint: `See ${this.configFile} and ${this.logFile}.`,
        });
      }
      return;
    }
    // Without the lifecycle API the reload is asynchronous: done once the log says so once more.
    const loaded = async () => (await readFile(this.logFile, 'utf8').catch(() => '')).split('Completed loading of configuration file').length;
    const before = await loaded();
    if (this.pid) process.kill(this.pid, 'SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await loaded()) <= before) {
      if (Date.now() > deadline) throw new AmchaosError('AMCHAOS_TIMEOUT', `Prometheus replica ${this.id} did not reload its config within 10 s of SIGHUP`, { hint: `See ${this.logFile}.` });
      await sleep(50);
    }
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves with the exit once the process is gone. */
  stop(graceMs = 5_000): Promise<ExitInfo | undefined> {
    return this.proc.stop(graceMs);
  }

  /** SIGKILL; resolves with the exit once the process is gone. */
  kill(): Promise<ExitInfo | undefined> {
    return this.proc.kill();
  }

  /** SIGSTOP; resolves with the process state the kernel shows once stopped. */
  pause(): Promise<string | undefined> {
    return this.proc.pause();
  }

  /** SIGCONT; resolves with the state once it runs again. */
  resume(): Promise<string | undefined> {
    return this.proc.resume();
  }

  onExit(listener: (e: ExitInfo) => void): () => void {
    return this.proc.onExit(listener);
  }

  logTail(n: number): Promise<string[]> {
    return this.proc.logTail(n);
  }

  releasePort(): void {
    if (this.port !== undefined) releasePort(this.port);
  }

  private async get<T>(path: string, timeoutMs = 2_000): Promise<T> {
    const res = await request(`${this.url}${path}`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const body = (await res.body.json()) as { status?: string; data?: T; error?: string };
    if (res.statusCode !== 200 || body.status !== 'success') {
      throw new AmchaosError('AMCHAOS_NODE_API', `Prometheus replica ${this.id}: GET ${path} answered ${res.statusCode}: ${body.error ?? ''}`);
    }
    return body.data as T;
  }

  alerts(): Promise<PrometheusAlert[]> {
    return this.get<{ alerts: PrometheusAlert[] }>('/api/v1/alerts').then((d) => d.alerts);
  }

  ruleGroups(): Promise<PrometheusRuleGroup[]> {
    return this.get<{ groups: PrometheusRuleGroup[] }>('/api/v1/rules').then((d) => d.groups);
  }

  /** URLs of the Alertmanagers this replica currently sends to. */
  alertmanagers(): Promise<string[]> {
    return this.get<{ activeAlertmanagers: { url: string }[] }>('/api/v1/alertmanagers').then((d) => d.activeAlertmanagers.map((a) => a.url));
  }

  /** Whether the exporter has been scraped successfully. */
  async exporterUp(): Promise<boolean> {
    const d = await this.get<{ activeTargets: { health: string; lastScrape?: string }[] }>('/api/v1/targets?state=active');
    return d.activeTargets.length > 0 && d.activeTargets.every((t) => t.health === 'up');
  }

  /** The config as the running process loaded it. */
  loadedConfig(): Promise<string> {
    return this.get<{ yaml: string }>('/api/v1/status/config').then((d) => d.yaml);
  }
}
