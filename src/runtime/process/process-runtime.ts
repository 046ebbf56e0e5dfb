import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { AmchaosError } from '../../errors/index.js';
import { exists, isRoot, which } from '../../util/fs.js';
import { packageRoot } from '../../util/paths.js';
import { nodeArgs, type NodeAddresses } from '../common/args.js';
import { isBindFailure, tailFile } from '../common/logs.js';
import { freePort, releasePort } from '../common/ports.js';
import { trackPid, untrackPid } from '../common/reaper.js';
import type { ClusterSpec, NodeSpec, Runtime, RuntimeCluster, RuntimeNode } from '../types.js';

const HOST = '127.0.0.1';

/** How a node gets its own version's templates at the compiled-in path. */
type TemplatesPlan = { kind: 'none' } | { kind: 'mount'; dir: string; mountAt: string };

/**
 * Nodes as plain processes on loopback. Rootless. Process faults work (kill, pause, restart);
 * link faults do not: all nodes share one address, so a TCP connection cannot be traced to its
 * sender (use the netns runtime for partitions).
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  readonly capabilities = { linkFaults: false, pause: true };

  async preflight(spec: ClusterSpec): Promise<void> {
    for (const n of spec.nodes) await templatesPlan(n);
  }

  async createCluster(spec: ClusterSpec): Promise<RuntimeCluster> {
    await this.preflight(spec);
    const setpriv = await which('setpriv');
    const nodes: ProcessNode[] = [];
    for (const n of spec.nodes) {
      const web = await freePort(HOST);
      const cluster = await freePort(HOST, { udp: true });
      nodes.push(new ProcessNode(n, spec, { web, cluster }, await templatesPlan(n), setpriv));
    }
    for (const n of nodes) n.setPeers(nodes.filter((o) => o !== n).map((o) => o.clusterAddress));
    return new ProcessCluster(nodes);
  }

  async sweep(): Promise<string[]> {
    // Stray node processes are found by their work directory (see run/sweep.ts), which is
    // runtime-independent; the process runtime owns nothing else.
    return [];
  }
}

/** Exported for tests: `root` decides between a private mount namespace and a refusal. */
export async function templatesPlan(n: NodeSpec, root = isRoot()): Promise<TemplatesPlan> {
  const t = n.version.templates;
  if (!t || t.dir === t.mountAt) return { kind: 'none' };
  // Same templates already at the compiled-in path (e.g. the system package of the same version)?
  const want = await readFile(join(t.dir, 'default.tmpl'), 'utf8').catch(() => undefined);
  const have = await readFile(join(t.mountAt, 'default.tmpl'), 'utf8').catch(() => undefined);
  if (want !== undefined && want === have) return { kind: 'none' };
  if (!root) {
    throw new AmchaosError(
      'AMCHAOS_TEMPLATES_CONFLICT',
      `node ${n.id} (${n.version.requested}) reads its templates from ${t.mountAt}, which holds ${have === undefined ? 'nothing' : 'another version\'s templates'}`,
      {
        hint: 'Run as root (each node then gets its own templates in a private mount namespace), or use the version whose package is installed, or an upstream build (upstream:X.Y.Z embeds its templates).',
      },
    );
  }
  if (!(await which('unshare'))) {
    throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', 'unshare (util-linux) is needed to give each node its own templates', {
      hint: 'apt-get install util-linux',
    });
  }
  if (!(await exists(t.mountAt))) {
    // The mount point must exist; an empty directory at the Debian path is harmless and is what
    // the Debian package would create.
    await mkdir(t.mountAt, { recursive: true });
  }
  return { kind: 'mount', dir: t.dir, mountAt: t.mountAt };
}

class ProcessCluster implements RuntimeCluster {
  readonly runtime = 'process' as const;
  readonly capabilities = { linkFaults: false, pause: true };
  constructor(readonly nodes: ProcessNode[]) {}

  async startAll(): Promise<void> {
    // In index order: before 0.30 peer names are ULIDs made at start, so start order = position.
    for (const n of this.nodes) await n.start();
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop({ graceMs: 5_000 }).catch(() => n.kill())));
    for (const n of this.nodes) n.releasePorts();
  }
}

class ProcessNode implements RuntimeNode {
  readonly id: string;
  readonly logFile: string;
  readonly storageDir: string;
  private readonly configFile: string;
  private ports: { web: number; cluster: number };
  private peers: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: string | null }> | undefined;
  private readonly exitListeners = new Set<(e: { code: number | null; signal: string | null }) => void>();
  private paused = false;

  constructor(
    readonly spec: NodeSpec,
    private readonly cluster: ClusterSpec,
    ports: { web: number; cluster: number },
    private readonly templates: TemplatesPlan,
    private readonly setpriv: string | undefined,
  ) {
    this.id = spec.id;
    this.ports = ports;
    const dir = join(cluster.workDir, spec.id);
    this.storageDir = join(dir, 'data');
    this.configFile = join(dir, 'alertmanager.yml');
    this.logFile = join(dir, 'node.log');
  }

  get apiURL(): string {
    return `http://${HOST}:${this.ports.web}`;
  }
  get externalURL(): string {
    return `http://${HOST}:${this.ports.web}/`;
  }
  get clusterAddress(): string {
    return `${HOST}:${this.ports.cluster}`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  setPeers(peers: string[]): void {
    this.peers = peers;
  }

  releasePorts(): void {
    releasePort(this.ports.web);
    releasePort(this.ports.cluster);
  }

  private addresses(): NodeAddresses {
    return { web: `${HOST}:${this.ports.web}`, cluster: this.clusterAddress, advertise: this.clusterAddress, externalURL: this.externalURL };
  }

  private argv(): { program: string; args: string[] } {
    const [bin, ...lead] = this.spec.version.command;
    let argv = [bin!, ...lead, ...nodeArgs(this.spec, { config: this.configFile, storage: this.storageDir }, this.addresses(), this.peers)];
    if (this.templates.kind === 'mount') {
      const script = join(packageRoot(), 'src', 'runtime', 'process', 'with-templates.sh');
      argv = ['unshare', '--mount', '--propagation', 'private', '--', script, this.templates.dir, this.templates.mountAt, ...argv];
    }
    // The kernel kills the node if the harness dies, even by SIGKILL.
    if (this.setpriv) argv = [this.setpriv, '--pdeathsig', 'KILL', '--', ...argv];
    return { program: argv[0]!, args: argv.slice(1) };
  }

  async start(): Promise<void> {
    if (this.running) return;
    await mkdir(this.storageDir, { recursive: true });
    await writeFile(this.configFile, this.spec.config);
    // A lost port race shows as a bind failure in the log: pick new ports and try again.
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.spawnOnce();
      if (outcome === 'started') return;
      if (attempt >= 5) {
        throw new AmchaosError('AMCHAOS_PORT_IN_USE', `node ${this.id}: could not bind its ports after ${attempt} attempts`, {
          hint: 'Something on this machine keeps taking loopback ports; free some and run again.',
          details: { logTail: await this.logTail(10) },
        });
      }
      releasePort(this.ports.web);
      if (outcome === 'bind-failed-cluster') releasePort(this.ports.cluster);
      this.ports = {
        web: await freePort(HOST),
        cluster: outcome === 'bind-failed-cluster' ? await freePort(HOST, { udp: true }) : this.ports.cluster,
      };
      await appendFile(this.logFile, `# amchaos: lost a port race, retrying with web ${this.ports.web} cluster ${this.ports.cluster}\n`);
    }
  }

  private async spawnOnce(): Promise<'started' | 'bind-failed-web' | 'bind-failed-cluster'> {
    const { program, args } = this.argv();
    await appendFile(this.logFile, `# amchaos: starting ${[program, ...args].join(' ')}\n`);
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(program, args, { stdio: ['ignore', fd, fd], detached: false });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.paused = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (child.pid) untrackPid(child.pid);
        const e = { code, signal };
        for (const l of this.exitListeners) l(e);
        resolve(e);
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) =>
        reject(new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.id}: cannot start ${program}: ${err.message}`, { hint: 'Check the version\'s binary path.' })),
      );
    });
    if (child.pid) trackPid(child.pid);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (!this.running) {
        const tail = await this.logTail(15);
        const bind = tail.find(isBindFailure);
        if (bind) return bind.includes(`:${this.ports.web}`) ? 'bind-failed-web' : 'bind-failed-cluster';
        const exit = await this.exited;
        throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.id} (${this.spec.version.requested}) exited during start (code ${exit.code}, signal ${exit.signal})`, {
          hint: 'The last log lines above say why; the whole log is ' + this.logFile,
          details: { logTail: tail, command: [program, ...args] },
        });
      }
      if (await this.healthy()) return 'started';
      await sleep(25);
    }
    const tail = await this.logTail(15);
    await this.kill();
    throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.id}: the web API did not answer within 30 s`, {
      hint: 'See the node log: ' + this.logFile,
      details: { logTail: tail },
    });
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await request(`${this.apiURL}/-/healthy`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    if (this.paused) await this.resume();
    child.kill('SIGTERM');
    const grace = opts.graceMs ?? 10_000;
    const timer = sleep(grace).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited!, timer])) === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async pause(): Promise<void> {
    if (!this.running) throw new AmchaosError('AMCHAOS_INTERNAL', `node ${this.id} is not running; cannot pause it`);
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  async resume(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    this.paused = false;
  }

  async wipeStorage(): Promise<void> {
    if (this.running) throw new AmchaosError('AMCHAOS_INTERNAL', `node ${this.id}: stop it before wiping its storage`);
    await rm(this.storageDir, { recursive: true, force: true });
    await mkdir(this.storageDir, { recursive: true });
  }

  onExit(listener: (exit: { code: number | null; signal: string | null }) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  logTail(n: number): Promise<string[]> {
    return tailFile(this.logFile, n);
  }
}
