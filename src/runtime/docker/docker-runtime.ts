import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { AmchaosError } from '../../errors/index.js';
import { Fabric, receiverBaseURL } from '../../fabric/fabric.js';
import type { Redirect } from '../../fabric/types.js';
import { nodeArgs } from '../common/args.js';
import { tailFile } from '../common/logs.js';
import { webHealthy, type ExitInfo } from '../common/node-process.js';
import { startInPositionOrder } from '../common/start-order.js';
import { verifyRouting } from '../common/routing.js';
import { cidrContains, cidrOverlaps, formatCidr, intToIp, ipToInt, parseCidr, type Cidr } from '../netns/ipv4.js';
import type { ClusterSpec, NodeProof, NodeSpec, Runtime, RuntimeCluster, RuntimeNode } from '../types.js';
import { demux, docker, isNotFound, LABEL, loadTestcontainers, ownerLabel, requireEngine, type Role } from './engine.js';
import { NODE_CONFIG_PATH, NODE_STORAGE_PATH, nodeImage, planInfraImage, ensureImage, type NodeImage } from './images.js';
import { bypassCounter, podRules } from './pod.js';

/** Clusters get /24s from here: clear of Docker's default pools (172.17/16, 172.18–31, 192.168) and the netns runtime's 10.213/16. */
export const DEFAULT_DOCKER_SUBNET_POOL = '10.214.0.0/16';
/** The address node configs send webhooks to; each pod redirects it to its own receiver link. Never inside a cluster subnet. */
export const DEFAULT_DOCKER_RECEIVER_IP = '10.214.255.254';
export const DOCKER_WEB_PORT = 9093;
export const DOCKER_CLUSTER_PORT = 9094;

export interface DockerRuntimeOptions {
  subnetPool?: string;
  receiverIP?: string;
  /** How long a node's web API may take to answer after start (default 30 s). */
  startTimeoutMs?: number;
  /** Where the fabric's Toxiproxy-compatible HTTP API listens (default 127.0.0.1, any port). */
  fabricApi?: { host?: string; port?: number };
}

/**
 * Nodes as containers on a per-cluster user network, pod-style: a holder container owns each node's
 * network namespace (and so its address), a sidecar with NET_ADMIN inside that namespace only
 * installs the node's redirects to its link proxies (src/fabric, the harness's own, listening on
 * the network's gateway only), and the node container joins the namespace once they are in. Every
 * link is then faultable, with no host root: the engine does the privileged part, inside the pod.
 * Versions are packed into local images (images.ts) or run as the user's image (image:REF).
 * testcontainers creates, starts and waits; dockerode does what it has no call for (networks,
 * pause, kill, disconnect, logs after a restart). Everything carries the run's labels (engine.ts).
 */
export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  readonly capabilities = { linkFaults: true, pause: true, disconnect: true };

  constructor(private readonly opts: DockerRuntimeOptions = {}) {}

  get receiverIP(): string {
    return this.opts.receiverIP ?? DEFAULT_DOCKER_RECEIVER_IP;
  }

  receiverBaseURL(captureAddress: { host: string; port: number }): string {
    return receiverBaseURL(this.receiverIP, captureAddress);
  }

  async preflight(spec: ClusterSpec): Promise<void> {
    if (spec.nodes.length === 0) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'a cluster needs at least one node');
    const pool = parseCidr(this.opts.subnetPool ?? DEFAULT_DOCKER_SUBNET_POOL, 'subnetPool');
    const receiver = ipToInt(this.receiverIP);
    if (receiver === undefined) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `receiverIP ${this.receiverIP} is not an IPv4 address`, { hint: 'e.g. 10.214.255.254' });
    if (pool.prefix > 24) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `subnetPool ${formatCidr(pool)} is smaller than one /24`, { hint: 'e.g. 10.214.0.0/16' });
    if (spec.nodes.length > 200) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `${spec.nodes.length} nodes do not fit one /24`, { hint: 'At most 200 nodes per cluster.' });
    const ids = new Set<string>();
    for (const n of spec.nodes) {
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(n.id) || ids.has(n.id)) {
        throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `node id ${JSON.stringify(n.id)} is repeated or cannot name a container`, { hint: 'Node ids must be unique, 1-40 letters, digits, _ or -.' });
      }
      ids.add(n.id);
    }
    await requireEngine();
  }

  async createCluster(spec: ClusterSpec): Promise<DockerCluster> {
    await this.preflight(spec);
    const tag = randomBytes(3).toString('hex');
    const res = new Resources(tag, spec);
    registerExitHook(res);
    const phases: Record<string, number> = {};
    let mark = performance.now();
    const phase = (name: string) => {
      const now = performance.now();
      phases[name] = Math.round(now - mark);
      mark = now;
    };
    try {
      // Node images are planned (and built if needed) while the pods come up; the pods need only the infra image.
      const byVersion = new Map<NodeSpec['version'], ReturnType<typeof nodeImage>>();
      for (const n of spec.nodes) if (!byVersion.has(n.version)) byVersion.set(n.version, nodeImage(n.version, spec.runId));
      const imagesReady = Promise.all(spec.nodes.map((n) => byVersion.get(n.version)!));
      imagesReady.catch(() => undefined);
      const infra = await (async () => {
        const { plan, iptables } = await planInfraImage();
        await ensureImage(plan, spec.runId);
        return { image: plan.tag, iptables };
      })();
      phase('infraImageMs');
      const net = await createNetwork(res, parseCidr(this.opts.subnetPool ?? DEFAULT_DOCKER_SUBNET_POOL, 'subnetPool'), ipToInt(this.receiverIP)!);
      phase('networkMs');
      const tc = await loadTestcontainers();
      // Holders first: they own the namespaces, and their addresses are the nodes' identities.
      const holders = await settleAll(
        spec.nodes.map(async (n) => {
          const started = await new tc.GenericContainer(infra.image)
            .withName(res.name(n.id, 'pod'))
            .withLabels(res.labels('holder', n.id))
            .withNetworkMode(net.name)
            .withCommand(['/bin/sleep', 'infinity'])
            .withStartupTimeout(30_000)
            .start();
          res.containers.add(started.getId());
          return { id: started.getId(), ip: started.getIpAddress(net.name) };
        }),
      );
      phase('holdersMs');
      if (!localAddress(net.gateway)) {
        throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the network's gateway ${net.gateway} is not an address of this machine, so the link proxies cannot listen there (is DOCKER_HOST a remote engine?)`, {
          hint: 'The docker runtime needs the Docker engine on the machine amchaos runs on (its proxies sit between the containers on the bridge).',
        });
      }
      const redirects = new Map<string, Redirect[]>();
      const fabric = await Fabric.create({
        nodes: spec.nodes.map((n, i) => ({ id: n.id, ip: holders[i]!.ip, clusterPort: DOCKER_CLUSTER_PORT, webPort: DOCKER_WEB_PORT })),
        capture: spec.captureAddress,
        receiverIP: this.receiverIP,
        // The fabric hands over each node's redirects; the sidecars install them all at once below.
        host: { listenIP: net.gateway, redirect: async (node, r) => void redirects.set(node, r) },
        ...(this.opts.fabricApi ? { api: this.opts.fabricApi } : {}),
      });
      res.fabric = fabric;
      phase('fabricMs');
      const comment = `amchaos run=${spec.runId} scenario=${spec.scenarioId} tag=${tag}`;
      await settleAll(
        spec.nodes.map((n, i) =>
          runSidecar(tc, res, infra, holders[i]!.id, n.id, 'rules', podRules({ gateway: net.gateway, subnet: net.subnet, comment, redirects: redirects.get(n.id) ?? [] })),
        ),
      );
      phase('sidecarsMs');
      const images = await imagesReady;
      phase('nodeImagesMs');
      const nodes = spec.nodes.map(
        (n, i) =>
          new DockerNode(n, spec, res, {
            holder: holders[i]!.id,
            ip: holders[i]!.ip,
            network: net.name,
            apiURL: fabric.nodeApiURL(n.id),
            image: images[i]!,
            startTimeoutMs: this.opts.startTimeoutMs ?? 30_000,
          }),
      );
      for (const n of nodes) n.setPeers(nodes.filter((o) => o !== n).map((o) => o.clusterAddress));
      return new DockerCluster(nodes, fabric, res, { infra, comment, gateway: net.gateway, subnet: net.subnet, builtImages: images.filter((i) => i.builtNow).map((i) => i.image), phases });
    } catch (e) {
      // A build still running for this cluster is left to finish: its image is the cache, not the cluster's.
      await res.destroy().catch(() => undefined);
      throw e;
    }
  }

  async sweep(): Promise<string[]> {
    const { sweepDocker } = await import('./sweep.js');
    return sweepDocker();
  }
}

/**
 * Promise.all that waits for every promise before failing with the first error, so nothing is still
 * being created in the engine when a failed createCluster removes what it made.
 */
async function settleAll<T>(ps: Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(ps);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Is `ip` one of this machine's addresses (the bridge's gateway is, when the engine is local)? */
function localAddress(ip: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === ip));
}

/** The network a CIDR text names (host bits cleared), or undefined if it is not IPv4. */
function cidrOf(text: string): Cidr | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text);
  const ip = m ? ipToInt(m[1]!) : undefined;
  if (!m || ip === undefined) return undefined;
  const prefix = Number(m[2]);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { network: (ip & mask) >>> 0, prefix };
}

/** Host routes (from /proc/net/route, readable by anyone), to keep clusters off networks in use. */
function hostRoutes(): Cidr[] {
  const out: Cidr[] = [];
  const le = (h: string) => {
    const n = parseInt(h, 16);
    return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | ((n >>> 24) & 255)) >>> 0;
  };
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8) continue;
      const mask = le(f[7]!);
      let prefix = 0;
      for (let m = mask; m & 0x80000000; m = (m << 1) >>> 0) prefix++;
      if (prefix > 0) out.push({ network: le(f[1]!), prefix });
    }
  } catch {
    /* not Linux: the engine refuses overlaps itself */
  }
  return out;
}

async function createNetwork(res: Resources, pool: Cidr, receiver: number): Promise<{ name: string; id: string; subnet: string; gateway: string }> {
  const d = docker();
  const used: Cidr[] = hostRoutes();
  for (const n of await d.listNetworks()) {
    for (const c of n.IPAM?.Config ?? []) {
      const cidr = c.Subnet ? cidrOf(c.Subnet) : undefined;
      if (cidr) used.push(cidr);
    }
  }
  const slots = 2 ** (24 - pool.prefix);
  const first = randomBytes(2).readUInt16BE() % slots;
  const name = res.name();
  for (let k = 0; k < slots; k++) {
    const c: Cidr = { network: (pool.network + ((first + k) % slots) * 256) >>> 0, prefix: 24 };
    if (cidrContains(c, receiver) || used.some((u) => cidrOverlaps(u, c))) continue;
    const subnet = formatCidr(c);
    const gateway = intToIp(c.network + 1);
    try {
      const net = await d.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: res.labels('network'),
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway }] },
        // Nodes talk to the proxies on the gateway and to nothing beyond the machine.
        Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
      });
      res.network = net.id;
      return { name, id: net.id, subnet, gateway };
    } catch (e) {
      if (/overlap/i.test((e as Error).message)) continue;
      throw new AmchaosError('AMCHAOS_NETWORK_SETUP_FAILED', `cannot create docker network ${name}: ${(e as Error).message}`, { hint: 'Run `amchaos sweep` to remove what killed runs left.', cause: e });
    }
  }
  throw new AmchaosError('AMCHAOS_NETWORK_SETUP_FAILED', `no free /24 left in ${formatCidr(pool)} for a docker network`, {
    hint: 'Run `amchaos sweep` to remove networks killed runs left.',
  });
}

type Testcontainers = Awaited<ReturnType<typeof loadTestcontainers>>;

/**
 * Runs the infra image once in a holder's namespace with NET_ADMIN (`rules`: iptables-restore the
 * given rules; `counters`: iptables-save -c) and returns its output; fails with the output if it
 * exits non-zero. The container is removed either way.
 */
async function runSidecar(tc: Testcontainers, res: Resources, infra: { image: string; iptables: string[] }, holder: string, node: string, what: 'rules' | 'counters', rules?: string): Promise<string> {
  let c = new tc.GenericContainer(infra.image)
    .withName(res.name(node, `${what}-${randomBytes(2).toString('hex')}`))
    .withLabels(res.labels('sidecar', node))
    .withNetworkMode(`container:${holder}`)
    .withAddedCapabilities('NET_ADMIN')
    .withWaitStrategy(new ExitedWait())
    .withStartupTimeout(30_000);
  c = what === 'rules'
    ? c.withCopyContentToContainer([{ content: rules!, target: '/rules.v4', mode: 0o644 }]).withCommand([...infra.iptables, 'iptables-restore', '--noflush', '/rules.v4'])
    : c.withCommand([...infra.iptables, 'iptables-save', '-c', '-t', 'filter']);
  let id: string | undefined;
  try {
    const started = await c.start();
    id = started.getId();
    return await containerOutput(docker().getContainer(id));
  } catch (e) {
    const name = res.name(node, '');
    const found = (await docker().listContainers({ all: true, filters: { label: [`${LABEL.cluster}=${res.tag}`, `${LABEL.role}=sidecar`, `${LABEL.node}=${node}`] } })).map((x) => x.Id);
    const output = found[0] ? await containerOutput(docker().getContainer(found[0])).catch(() => '') : '';
    for (const f of found) await docker().getContainer(f).remove({ force: true }).catch(() => undefined);
    throw new AmchaosError('AMCHAOS_NETWORK_SETUP_FAILED', `the sidecar of ${node} could not ${what === 'rules' ? 'install its redirects' : 'read its counters'} (${name}): ${(e as Error).message} ${output.trim()}`, {
      hint: 'The engine must allow NET_ADMIN for containers (a rootful dockerd does); see the details.',
      details: { rules, output },
      cause: e,
    });
  } finally {
    if (id) await docker().getContainer(id).remove({ force: true }).catch(() => undefined);
  }
}

async function containerOutput(c: Docker.Container): Promise<string> {
  const buf = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  // Non-TTY logs are multiplexed: 8-byte headers before each frame.
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** What one cluster holds in the engine, and how to remove it all (also half-built, also from an exit hook). */
class Resources {
  readonly containers = new Set<string>();
  network: string | undefined;
  fabric: Fabric | undefined;
  private destroyed = false;

  constructor(
    readonly tag: string,
    readonly spec: ClusterSpec,
  ) {}

  /** amc-<tag>[-<node>[-<what>]] */
  name(node?: string, what?: string): string {
    return ['amc', this.tag, node, what].filter((x) => x).join('-');
  }

  labels(role: Role, node?: string): Record<string, string> {
    return {
      [LABEL.run]: this.spec.runId,
      [LABEL.scenario]: this.spec.scenarioId,
      [LABEL.cluster]: this.tag,
      [LABEL.role]: role,
      [LABEL.owner]: ownerLabel(),
      ...(node ? { [LABEL.node]: node } : {}),
    };
  }

  /** Removes every container and the network of this cluster (found by its label, so nothing half-made escapes). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    unregisterExitHook(this);
    const errors: string[] = [];
    await this.fabric?.close().catch((e: unknown) => errors.push(String(e)));
    const d = docker();
    const ids = new Set(this.containers);
    for (const c of await d.listContainers({ all: true, filters: { label: [`${LABEL.cluster}=${this.tag}`] } }).catch(() => [])) ids.add(c.Id);
    // Nodes first (they live in the holders' namespaces), then everything else.
    const all = [...ids];
    await Promise.all(
      all.map((id) =>
        d
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch((e: unknown) => {
            if (!isNotFound(e) && !/already in progress/.test(String(e))) errors.push(`container ${id.slice(0, 12)}: ${(e as Error).message}`);
          }),
      ),
    );
    if (this.network) {
      await d
        .getNetwork(this.network)
        .remove()
        .catch((e: unknown) => {
          if (!isNotFound(e)) errors.push(`network ${this.name()}: ${(e as Error).message}`);
        });
    }
    if (errors.length > 0) {
      throw new AmchaosError('AMCHAOS_NETWORK_SETUP_FAILED', `docker cluster ${this.tag}: teardown incomplete: ${errors.join('; ')}`, { hint: 'Run `amchaos sweep` to remove what is left.' });
    }
  }
}

// If the harness exits without destroy() (an uncaught error, process.exit), nothing asynchronous
// runs any more: a detached child removes the cluster's containers and network by their label.
// A harness killed by SIGKILL leaves this to the next start-up sweep (or `amchaos sweep`).
const exitHooks = new Set<Resources>();
let exitInstalled = false;

function registerExitHook(res: Resources): void {
  exitHooks.add(res);
  if (exitInstalled) return;
  exitInstalled = true;
  process.on('exit', () => {
    if (exitHooks.size === 0) return;
    const dockerode = createRequire(import.meta.url).resolve('dockerode');
    const tags = [...exitHooks].map((r) => r.tag);
    const script = `
      const D = require(${JSON.stringify(dockerode)}); const d = new D();
      (async () => { for (const tag of ${JSON.stringify(tags)}) {
        const f = { label: [${JSON.stringify(LABEL.cluster)} + '=' + tag] };
        for (const c of await d.listContainers({ all: true, filters: f })) await d.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
        for (const n of await d.listNetworks({ filters: f })) await d.getNetwork(n.Id).remove().catch(() => {});
      } })().catch(() => {});`;
    try {
      spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' }).unref();
    } catch {
      /* the sweep gets it */
    }
  });
}

function unregisterExitHook(res: Resources): void {
  exitHooks.delete(res);
}

export class DockerCluster implements RuntimeCluster {
  readonly runtime = 'docker' as const;
  readonly capabilities = { linkFaults: true, pause: true, disconnect: true };
  private destroyed = false;

  constructor(
    readonly nodes: DockerNode[],
    readonly fabric: Fabric,
    private readonly res: Resources,
    readonly info: {
      infra: { image: string; iptables: string[] };
      comment: string;
      gateway: string;
      subnet: string;
      /** Images this createCluster had to build (cold), by tag. */
      builtImages: string[];
      /** How long each step of createCluster took (ms). */
      phases: Record<string, number>;
    },
  ) {}

  /** The 6-hex tag every container and network name of this cluster carries (amc-<tag>-n1, ...). */
  get tag(): string {
    return this.res.tag;
  }

  async startAll(): Promise<void> {
    await startInPositionOrder(this.nodes);
  }

  /** Packets each pod's bypass guard dropped (direct node-to-node traffic that avoided the proxies), read by a sidecar. */
  async bypassCounters(): Promise<Record<string, { packets: number; bytes: number }>> {
    const tc = await loadTestcontainers();
    const out: Record<string, { packets: number; bytes: number }> = {};
    await Promise.all(
      this.nodes.map(async (n) => {
        const save = await runSidecar(tc, this.res, this.info.infra, n.holder, n.id, 'counters');
        const c = bypassCounter(save, this.info.comment);
        if (!c) throw new AmchaosError('AMCHAOS_INTERNAL', `the bypass guard of node ${n.id} is missing from its pod`);
        out[n.id] = c;
      }),
    );
    return out;
  }

  async verifyRouting(): Promise<Record<string, unknown>> {
    return { ...(await verifyRouting(this.nodes, () => this.bypassCounters())) };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    // Nothing of a node's state matters once its scenario is over: containers are removed at once
    // (SIGKILL), and each node's log stream is drained so the copied log is complete.
    for (const n of this.nodes) n.tearingDown();
    try {
      await this.res.destroy();
    } finally {
      await Promise.all(this.nodes.map((n) => n.logsDrained()));
    }
  }
}

export class DockerNode implements RuntimeNode {
  readonly id: string;
  readonly logFile: string;
  /** Inside the container; wiped by recreating the container. */
  readonly storageDir = NODE_STORAGE_PATH;
  readonly holder: string;
  readonly ip: string;
  readonly apiURL: string;
  private peers: string[] = [];
  private container: Docker.Container | undefined;
  private isRunning = false;
  private logs: Promise<void> = Promise.resolve();
  private readonly exitListeners = new Set<(e: ExitInfo) => void>();
  private exited: Promise<ExitInfo> | undefined;
  private teardown = false;

  constructor(
    readonly spec: NodeSpec,
    cluster: ClusterSpec,
    private readonly res: Resources,
    private readonly o: { holder: string; ip: string; network: string; apiURL: string; image: NodeImage; startTimeoutMs: number },
  ) {
    this.id = spec.id;
    this.logFile = join(cluster.workDir, spec.id, 'node.log');
    this.holder = o.holder;
    this.ip = o.ip;
    this.apiURL = o.apiURL;
  }

  get externalURL(): string {
    return `http://${this.ip}:${DOCKER_WEB_PORT}/`;
  }
  get clusterAddress(): string {
    return `${this.ip}:${DOCKER_CLUSTER_PORT}`;
  }
  /** The node's API without the proxy (health checks during start use it). */
  get directURL(): string {
    return `http://${this.ip}:${DOCKER_WEB_PORT}`;
  }
  /** Host pids are not the harness's business on docker: every operation goes through the engine. */
  get pid(): number | undefined {
    return undefined;
  }
  get running(): boolean {
    return this.isRunning;
  }
  get containerId(): string | undefined {
    return this.container?.id;
  }
  get image(): string {
    return this.o.image.image;
  }

  setPeers(peers: string[]): void {
    this.peers = peers;
  }

  tearingDown(): void {
    this.teardown = true;
  }

  /** The node's log stream has ended (bounded: a stuck stream does not hold teardown). */
  logsDrained(): Promise<void> {
    return Promise.race([this.logs, sleep(2_000)]);
  }

  private args(): string[] {
    const addr = { web: `${this.ip}:${DOCKER_WEB_PORT}`, cluster: this.clusterAddress, advertise: this.clusterAddress, externalURL: this.externalURL };
    return nodeArgs(this.spec, { config: NODE_CONFIG_PATH, storage: NODE_STORAGE_PATH }, addr, this.peers);
  }

  private appendLog(text: string): void {
    appendFileSync(this.logFile, text);
  }

  async start(): Promise<void> {
    if (this.isRunning) return;
    await mkdir(join(this.logFile, '..'), { recursive: true });
    const args = this.args();
    await appendFile(this.logFile, `# amchaos: starting ${this.o.image.image} ${args.join(' ')}\n`);
    const wait = new HealthyWait(this);
    if (!this.container) {
      // First start (or after a wipe): testcontainers creates it in the pod, copies the config in,
      // starts it, follows its log and waits until the web API answers.
      const tc = await loadTestcontainers();
      const c = new tc.GenericContainer(this.o.image.image)
        .withName(this.res.name(this.id))
        .withLabels(this.res.labels('node', this.id))
        .withNetworkMode(`container:${this.holder}`)
        .withCommand(args)
        .withCopyContentToContainer([{ content: this.spec.config, target: NODE_CONFIG_PATH, mode: 0o644 }])
        .withLogConsumer((stream) => {
          this.logs = new Promise((resolve) => {
            stream.on('data', (b: Buffer | string) => this.appendLog(String(b)));
            stream.on('end', () => resolve());
            stream.on('error', () => resolve());
          });
        })
        .withWaitStrategy(wait)
        .withStartupTimeout(this.o.startTimeoutMs)
        .withPullPolicy(tc.PullPolicy.defaultPolicy());
      try {
        const started = await c.start();
        this.container = docker().getContainer(started.getId());
        this.res.containers.add(started.getId());
      } catch (e) {
        const failure = await this.startFailure(e, args);
        // The container that did not come up goes, so a later start can make one under the same name.
        const filters = { label: [`${LABEL.cluster}=${this.res.tag}`, `${LABEL.role}=node`, `${LABEL.node}=${this.id}`] };
        for (const x of await docker().listContainers({ all: true, filters }).catch(() => [])) {
          await docker().getContainer(x.Id).remove({ force: true, v: true }).catch(() => undefined);
        }
        throw failure;
      }
    } else {
      // A restart of the same container (storage kept): the engine starts it, its new output is
      // followed from its start time, and the same wait applies.
      try {
        await this.container.start();
        const started = (await this.container.inspect()).State.StartedAt;
        const since = Date.parse(started) / 1000 - 0.001;
        const stream = await this.container.logs({ follow: true, stdout: true, stderr: true, since: since.toFixed(6) as unknown as number });
        this.logs = demux(stream, (t) => this.appendLog(t));
        await wait.waitUntilReady(this.container);
      } catch (e) {
        throw await this.startFailure(e, args);
      }
    }
    this.isRunning = true;
    this.watchExit();
  }

  private async startFailure(e: unknown, args: string[]): Promise<AmchaosError> {
    await Promise.race([this.logs, sleep(500)]);
    const tail = await this.logTail(15);
    if (e instanceof AmchaosError) return e;
    return new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.id} (${this.spec.version.requested}) did not start in its container: ${(e as Error).message}`, {
      hint: 'The last log lines above say why; the whole log is ' + this.logFile,
      details: { logTail: tail, image: this.o.image.image, command: args },
    });
  }

  /** Resolves the exit of the current run of the container and tells the listeners. */
  private watchExit(): void {
    const c = this.container!;
    this.exited = (c.wait() as Promise<{ StatusCode: number }>).then(
      (r) => ({ code: r.StatusCode, signal: null }),
      () => ({ code: null, signal: null }),
    );
    void this.exited.then((e) => {
      if (this.container !== c) return;
      this.isRunning = false;
      if (this.teardown) return;
      for (const l of this.exitListeners) l(e);
    });
  }

  /** Polls the engine's view of the container until `want` holds (or 10 s pass). */
  private async state(want: (s: Docker.ContainerInspectInfo['State']) => boolean): Promise<Docker.ContainerInspectInfo['State'] | undefined> {
    let s: Docker.ContainerInspectInfo['State'] | undefined;
    for (let i = 0; i < 200; i++) {
      s = (await this.container!.inspect().catch(() => undefined))?.State;
      if (!s || want(s)) return s;
      await sleep(50);
    }
    return s;
  }

  private async exitProof(op: string): Promise<NodeProof> {
    const exit = await this.exited;
    const s = await this.state((x) => !x.Running);
    if (s?.Running) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${op} ${this.id}: the engine still reports the container running`, { hint: 'See the node log: ' + this.logFile });
    this.isRunning = false;
    return { verification: 'docker inspect', containerState: s?.Status ?? 'gone', ...(exit ? { exit } : {}), ...(s ? { exitCode: s.ExitCode, oomKilled: s.OOMKilled } : {}) };
  }

  async stop(opts: { graceMs?: number } = {}): Promise<NodeProof> {
    if (!this.container || !this.isRunning) return { verification: 'not running' };
    // The engine's stop: SIGTERM, then SIGKILL after the grace (whole seconds).
    await this.container.stop({ t: Math.max(1, Math.ceil((opts.graceMs ?? 10_000) / 1000)) }).catch((e: unknown) => {
      if ((e as { statusCode?: number }).statusCode !== 304) throw e;
    });
    return this.exitProof('stop');
  }

  async kill(): Promise<NodeProof> {
    if (!this.container || !this.isRunning) return { verification: 'not running' };
    await this.container.kill({ signal: 'SIGKILL' }).catch((e: unknown) => {
      if ((e as { statusCode?: number }).statusCode !== 409) throw e;
    });
    return this.exitProof('kill');
  }

  async pause(): Promise<NodeProof> {
    if (!this.container || !this.isRunning) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `pause ${this.id}: it is not running`, { hint: 'Another fault already stopped it.' });
    await this.container.pause();
    const s = await this.state((x) => x.Paused);
    if (!s?.Paused) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `pause ${this.id}: the engine reports the container ${s?.Status ?? 'gone'}, not paused`, { hint: 'See the node log: ' + this.logFile });
    return { verification: 'docker inspect', containerState: s.Status };
  }

  async resume(): Promise<NodeProof> {
    if (!this.container) return { verification: 'no container' };
    const now = (await this.container.inspect()).State;
    if (now.Paused) await this.container.unpause();
    const s = await this.state((x) => !x.Paused);
    if (s?.Paused) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `resume ${this.id}: the engine still reports the container paused`, { hint: 'See the node log: ' + this.logFile });
    return { verification: 'docker inspect', containerState: s?.Status ?? 'gone' };
  }

  /**
   * Takes the node's pod off the cluster network (docker network disconnect): its only interface
   * there goes, so it reaches no peer, proxy or receiver. Verified by the engine's view of the pod.
   */
  async disconnect(): Promise<NodeProof> {
    const net = docker().getNetwork(this.o.network);
    await net.disconnect({ Container: this.holder, Force: true });
    const nets = (await docker().getContainer(this.holder).inspect()).NetworkSettings.Networks;
    if (nets[this.o.network]) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `disconnect ${this.id}: the engine still lists the pod on ${this.o.network}`, { hint: 'See dockerd logs.' });
    return { verification: 'docker inspect', networks: Object.keys(nets) };
  }

  /** Puts the pod back on the network at its own address (so peers and redirects still match). */
  async reconnect(): Promise<NodeProof> {
    const net = docker().getNetwork(this.o.network);
    const nets0 = (await docker().getContainer(this.holder).inspect()).NetworkSettings.Networks;
    if (!nets0[this.o.network]) await net.connect({ Container: this.holder, EndpointConfig: { IPAMConfig: { IPv4Address: this.ip } } });
    const nets = (await docker().getContainer(this.holder).inspect()).NetworkSettings.Networks;
    const ep = nets[this.o.network];
    if (!ep || ep.IPAddress !== this.ip) {
      throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `reconnect ${this.id}: the engine lists the pod ${ep ? `at ${ep.IPAddress}, not ${this.ip}` : `off ${this.o.network}`}`, { hint: 'See dockerd logs.' });
    }
    return { verification: 'docker inspect', networks: Object.keys(nets), ip: ep.IPAddress };
  }

  /** Storage lives in the container (the official images' /alertmanager volume): a wipe removes the container, the next start makes a fresh one. */
  async wipeStorage(): Promise<void> {
    if (this.isRunning) throw new AmchaosError('AMCHAOS_INTERNAL', `node ${this.id}: stop it before wiping its storage`);
    if (!this.container) return;
    const c = this.container;
    this.container = undefined;
    await Promise.race([this.logs, sleep(1_000)]);
    await c.remove({ force: true, v: true });
    this.res.containers.delete(c.id);
    await appendFile(this.logFile, '# amchaos: storage wiped (container and its volume removed)\n');
  }

  onExit(listener: (exit: ExitInfo) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  logTail(n: number): Promise<string[]> {
    return tailFile(this.logFile, n);
  }

  /** Health straight at the node (not through its client link, which a fault may cut). */
  healthy(): Promise<boolean> {
    return webHealthy(this.directURL);
  }
}

/** The startup-timeout half of testcontainers' WaitStrategy, shared by the two strategies below. */
abstract class StartupTimeout {
  protected timeoutMs = 30_000;
  private timeoutSet = false;
  withStartupTimeout(ms: number): this {
    this.timeoutMs = ms;
    this.timeoutSet = true;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }
  getStartupTimeout(): number {
    return this.timeoutMs;
  }
}

/**
 * testcontainers' wait strategy for a node: the web API answers on the node's own address (the
 * container has no published port, and needs none). A container that exits first fails at once.
 */
class HealthyWait extends StartupTimeout {
  constructor(private readonly node: DockerNode) {
    super();
  }

  async waitUntilReady(container: Docker.Container): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let checks = 0;
    while (Date.now() < deadline) {
      if (await this.node.healthy()) return;
      if (++checks % 10 === 0) {
        const s = (await container.inspect()).State;
        if (!s.Running) {
          throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.node.id} (${this.node.spec.version.requested}) exited during start (code ${s.ExitCode})`, {
            hint: 'The last log lines above say why; the whole log is ' + this.node.logFile,
            details: { logTail: await this.node.logTail(15) },
          });
        }
      }
      await sleep(25);
    }
    throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.node.id}: the web API did not answer within ${this.timeoutMs} ms`, {
      hint: 'See the node log: ' + this.node.logFile,
      details: { logTail: await this.node.logTail(15) },
    });
  }
}

/**
 * testcontainers' wait strategy for a one-shot container: done when the engine says it exited, and
 * failed unless with 0. (Its own one-shot strategy polls once a second; the engine's wait call
 * returns the moment the container exits.)
 */
class ExitedWait extends StartupTimeout {
  async waitUntilReady(container: Docker.Container): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.timeoutMs)));
    try {
      const res = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, timeout]);
      if (res === 'timeout') throw new Error(`did not finish within ${this.timeoutMs} ms`);
      if (res.StatusCode !== 0) throw new Error(`exited with ${res.StatusCode}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
