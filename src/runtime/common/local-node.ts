import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AmchaosError } from '../../errors/index.js';
import type { ClusterSpec, NodeProof, NodeRespec, NodeSpec, RuntimeNode } from '../types.js';
import { isStoppedState, NodeProcess, waitWebHealthy, type ExitInfo } from './node-process.js';

/**
 * What the runtimes whose nodes are host processes (process, netns) share: the node's directory
 * (`<workDir>/<id>/{alertmanager.yml,data/,node.log}`), its NodeProcess, and every operation that
 * does not depend on where the process lives — stop, kill, pause and resume verified by the kernel's
 * view of the process, storage wipes, exit listeners, log tails. A subclass says where the node
 * listens and how it is started.
 */
export abstract class LocalNode implements RuntimeNode {
  readonly id: string;
  readonly logFile: string;
  readonly storageDir: string;
  protected readonly configFile: string;
  protected peers: string[] = [];
  protected readonly proc: NodeProcess;

  constructor(
    public spec: NodeSpec,
    cluster: ClusterSpec,
  ) {
    this.id = spec.id;
    const dir = join(cluster.workDir, spec.id);
    this.storageDir = join(dir, 'data');
    this.configFile = join(dir, 'alertmanager.yml');
    this.logFile = join(dir, 'node.log');
    this.proc = new NodeProcess(spec.id, this.logFile);
  }

  abstract readonly apiURL: string;
  abstract readonly externalURL: string;
  abstract readonly clusterAddress: string;
  abstract start(): Promise<void>;

  get pid(): number | undefined {
    return this.proc.pid;
  }
  get running(): boolean {
    return this.proc.running;
  }
  get paused(): boolean {
    return this.proc.isPaused;
  }

  setPeers(peers: string[]): void {
    this.peers = peers;
  }

  /** Writes the config and makes the storage dir: what every start needs first. */
  protected async prepare(): Promise<void> {
    await mkdir(this.storageDir, { recursive: true });
    await writeFile(this.configFile, this.spec.config);
  }

  /**
   * Spawns `argv` and waits until `healthURL` answers. Throws NODE_START_FAILED when the process
   * exits first or does not answer in time, unless `onExit` claims the exit (a lost port race the
   * caller retries) by returning a value, which is then returned.
   */
  protected async spawnHealthy<T>(argv: string[], healthURL: string, timeoutMs: number, onExit?: (tail: string[]) => T | undefined): Promise<T | 'started'> {
    await this.proc.spawn(argv);
    const outcome = await waitWebHealthy(healthURL, this.proc, timeoutMs);
    if (outcome === 'healthy') return 'started';
    const tail = await this.logTail(15);
    if (outcome === 'exited') {
      const claimed = onExit?.(tail);
      if (claimed !== undefined) return claimed;
      const exit = await this.proc.waitExit();
      throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.id} (${this.spec.version.requested}) exited during start (code ${exit.code}, signal ${exit.signal})`, {
        hint: 'The last log lines above say why; the whole log is ' + this.logFile,
        details: { logTail: tail, command: argv },
      });
    }
    await this.kill();
    throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.id}: the web API did not answer within ${timeoutMs} ms`, {
      hint: 'See the node log: ' + this.logFile,
      details: { logTail: tail, command: argv },
    });
  }

  async stop(opts: { graceMs?: number } = {}): Promise<NodeProof> {
    const pid = this.pid;
    const exit = await this.proc.stop(opts.graceMs ?? 10_000);
    return this.exitProof(pid, exit);
  }

  async kill(): Promise<NodeProof> {
    const pid = this.pid;
    const exit = await this.proc.kill();
    return this.exitProof(pid, exit);
  }

  private exitProof(pid: number | undefined, exit: ExitInfo | undefined): NodeProof {
    if (this.running) {
      throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `node ${this.id} is still running`, { hint: 'See the node log: ' + this.logFile });
    }
    return { verification: 'process exit observed', ...(pid ? { pid } : {}), ...(exit ? { exit } : {}) };
  }

  async pause(): Promise<NodeProof> {
    const state = await this.proc.pause();
    if (!isStoppedState(state)) {
      throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `pause ${this.id}: the process is in state ${state ?? 'gone'}, not stopped`, { hint: 'See the node log: ' + this.logFile });
    }
    return { verification: '/proc/<pid>/stat', ...(this.pid ? { pid: this.pid } : {}), ...(state ? { procState: state } : {}) };
  }

  async resume(): Promise<NodeProof> {
    const state = await this.proc.resume();
    if (isStoppedState(state)) {
      throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `resume ${this.id}: the process is still stopped`, { hint: 'See the node log: ' + this.logFile });
    }
    return { verification: '/proc/<pid>/stat', ...(this.pid ? { pid: this.pid } : {}), ...(state ? { procState: state } : {}) };
  }

  /**
   * What the node runs at its next start changes — another version (an upgrade step), other extra
   * flags — keeping its id, addresses and storage. Only while stopped.
   */
  async respec(change: NodeRespec): Promise<void> {
    if (this.running) throw new AmchaosError('AMCHAOS_INTERNAL', `node ${this.id}: stop it before changing what it runs`);
    const spec: NodeSpec = { ...this.spec, ...(change.version ? { version: change.version } : {}), ...(change.extraArgs ? { extraArgs: [...change.extraArgs] } : {}) };
    await this.respecced(spec);
    this.spec = spec;
  }

  /** A subclass re-plans what it derived from the spec (a Debian build's templates) before a respec takes effect. */
  protected async respecced(_spec: NodeSpec): Promise<void> {}

  async wipeStorage(): Promise<void> {
    if (this.running) throw new AmchaosError('AMCHAOS_INTERNAL', `node ${this.id}: stop it before wiping its storage`);
    await rm(this.storageDir, { recursive: true, force: true });
    await mkdir(this.storageDir, { recursive: true });
  }

  onExit(listener: (exit: ExitInfo) => void): () => void {
    return this.proc.onExit(listener);
  }

  logTail(n: number): Promise<string[]> {
    return this.proc.logTail(n);
  }
}

/** Host runtimes run host builds: an image:REF version runs only in a container. */
export function requireHostBuild(spec: NodeSpec, runtime: string): void {
  if (spec.version.image) {
    throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `${spec.version.requested} is a container image; the ${runtime} runtime runs binaries on this machine`, {
      hint: 'Run image versions with --runtime docker.',
    });
  }
}
