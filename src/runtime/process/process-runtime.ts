import { appendFile } from 'node:fs/promises';
import { AmchaosError } from '../../errors/index.js';
import { which } from '../../util/fs.js';
import { nodeArgs, type NodeAddresses } from '../common/args.js';
import { isBindFailure } from '../common/logs.js';
import { LocalNode, requireHostBuild } from '../common/local-node.js';
import { freePort, releasePort } from '../common/ports.js';
import { templatesPlan, withPdeathsig, withTemplates, type TemplatesPlan } from '../common/templates.js';
import type { ClusterSpec, NodeSpec, Runtime, RuntimeCluster } from '../types.js';
import { startInPositionOrder } from '../common/start-order.js';

const HOST = '127.0.0.1';

/**
 * Nodes as plain processes on loopback. Rootless. Process faults work (kill, pause, restart);
 * link faults do not: all nodes share one address, so a TCP connection cannot be traced to its
 * sender (use the netns runtime for partitions).
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  readonly capabilities = { linkFaults: false, pause: true, respec: true };

  async preflight(spec: ClusterSpec): Promise<void> {
    for (const n of spec.nodes) {
      requireHostBuild(n, 'process');
      await templatesPlan(n);
    }
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

export { templatesPlan } from '../common/templates.js';

/** How long a whole-cluster teardown lets a node leave gracefully before SIGKILL (see destroy). */
function teardownGraceMs(timers: { gossipIntervalMs: number }): number {
  return Math.min(1_000, Math.max(300, 2 * timers.gossipIntervalMs + 100));
}

class ProcessCluster implements RuntimeCluster {
  readonly runtime = 'process' as const;
  readonly capabilities = { linkFaults: false, pause: true, respec: true };
  constructor(readonly nodes: ProcessNode[]) {}

  async startAll(): Promise<void> {
    await startInPositionOrder(this.nodes);
  }

  async destroy(): Promise<void> {
    // Stopped together, most nodes' graceful leave waits for peers that are already gone: memberlist
    // sends the leave on the next gossip tick, to a peer not yet marked left, and when none is left
    // it waits out its 10 s leave timeout. A node that can leave has exited within about one gossip
    // interval (236–484 ms measured at 200 ms), so teardown gives each node two intervals and then
    // SIGKILLs it: nothing of a node's state matters once its scenario is over.
    await Promise.all(this.nodes.map((n) => n.stop({ graceMs: teardownGraceMs(n.spec.timers) }).catch(() => n.kill())));
    for (const n of this.nodes) n.releasePorts();
  }
}

class ProcessNode extends LocalNode {
  private ports: { web: number; cluster: number };

  constructor(
    spec: NodeSpec,
    cluster: ClusterSpec,
    ports: { web: number; cluster: number },
    private templates: TemplatesPlan,
    private readonly setpriv: string | undefined,
  ) {
    super(spec, cluster);
    this.ports = ports;
  }
  /** An upgrade may bring another version's templates (Debian builds): plan them for the new spec. */
  protected override async respecced(spec: NodeSpec): Promise<void> {
    this.templates = await templatesPlan(spec);
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

  releasePorts(): void {
    releasePort(this.ports.web);
    releasePort(this.ports.cluster);
  }

  private addresses(): NodeAddresses {
    return { web: `${HOST}:${this.ports.web}`, cluster: this.clusterAddress, advertise: this.clusterAddress, externalURL: this.externalURL };
  }

  private argv(): string[] {
    const [bin, ...lead] = this.spec.version.command;
    const argv = [bin!, ...lead, ...nodeArgs(this.spec, { config: this.configFile, storage: this.storageDir }, this.addresses(), this.peers)];
    return withPdeathsig(this.setpriv, withTemplates(this.templates, argv));
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.prepare();
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

  private spawnOnce(): Promise<'started' | 'bind-failed-web' | 'bind-failed-cluster'> {
    return this.spawnHealthy(this.argv(), this.apiURL, 30_000, (tail) => {
      const bind = tail.find(isBindFailure);
      if (!bind) return undefined;
      return bind.includes(`:${this.ports.web}`) ? ('bind-failed-web' as const) : ('bind-failed-cluster' as const);
    });
  }
}
