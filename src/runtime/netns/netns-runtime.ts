import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AmchaosError } from '../../errors/index.js';
import { Fabric, receiverBaseURL } from '../../fabric/fabric.js';
import { isRoot, which } from '../../util/fs.js';
import { nodeArgs, type NodeAddresses } from '../common/args.js';
import { LocalNode, requireHostBuild } from '../common/local-node.js';
import { templatesPlan, withPdeathsig, withTemplates, type TemplatesPlan } from '../common/templates.js';
import type { ClusterSpec, NodeSpec, Runtime, RuntimeCluster } from '../types.js';
import { inNetns, run } from './commands.js';
import { cidrContains, cidrOverlaps, cidrSize, formatCidr, intToIp, ipToInt, parseCidr, type Cidr } from './ipv4.js';
import { ClusterNetwork, type NetworkPlan } from './network.js';
import { clusterNames, newClusterTag, tagOfLink } from './names.js';
import { DEFAULT_STATE_DIR, processStartTime, StateDir, type ClusterRecord } from './state.js';
import { sweepNetns } from './sweep.js';
import { startInPositionOrder } from '../common/start-order.js';
import { verifyRouting } from '../common/routing.js';

/** Avoids Docker's 172.17.0.0/16 and its 172.16/12 and 192.168/16 address pools. */
export const DEFAULT_SUBNET_POOL = '10.213.0.0/16';
/** Outside every cluster subnet the default pool hands out (x.x.255.0/24 is never allocated). */
export const DEFAULT_RECEIVER_IP = '10.213.255.254';
export const NETNS_WEB_PORT = 9093;
export const NETNS_CLUSTER_PORT = 9094;
/** Node k (0-based) gets host number FIRST_NODE_HOST + k: n1 = .11, n2 = .12, ... */
const FIRST_NODE_HOST = 11;

export interface NetnsRuntimeOptions {
  /** Clusters get /24s from this pool (default 10.213.0.0/16). */
  subnetPool?: string;
  /** A fixed subnet for the cluster instead (prefix /24 or shorter). */
  subnet?: string;
  /** The address nodes send webhooks to (default 10.213.255.254); must be outside the cluster subnet. */
  receiverIP?: string;
  /** Where cluster ownership records live (default /run/amchaos/netns). */
  stateDir?: string;
  /** How long a node's web API may take to answer after start (default 30 s). */
  startTimeoutMs?: number;
  /** Where the fabric's Toxiproxy-compatible HTTP API listens (default 127.0.0.1, any port). */
  fabricApi?: { host?: string; port?: number };
}

const REQUIRED_TOOLS = ['ip', 'iptables', 'iptables-save', 'iptables-restore'] as const;

/**
 * Nodes in their own network namespaces, one IP each, on a per-cluster bridge, with every link
 * between nodes, from the harness to each node's API and from each node to the capture going
 * through the fabric's proxies. Needs root.
 */
export class NetnsRuntime implements Runtime {
  readonly name = 'netns' as const;
  readonly capabilities = { linkFaults: true, pause: true, respec: true };
  private readonly state: StateDir;

  constructor(private readonly opts: NetnsRuntimeOptions = {}) {
    this.state = new StateDir(opts.stateDir ?? DEFAULT_STATE_DIR);
  }

  get receiverIP(): string {
    return this.opts.receiverIP ?? DEFAULT_RECEIVER_IP;
  }

  /**
   * The base URL node configs must use for the capture (every node gets the same config; each
   * node's namespace sends it through its own `nX->receiver` proxy to `captureAddress`).
   */
  receiverBaseURL(captureAddress: { host: string; port: number }): string {
    return receiverBaseURL(this.receiverIP, captureAddress);
  }

  async preflight(spec: ClusterSpec): Promise<void> {
    requireRoot();
    for (const tool of REQUIRED_TOOLS) {
      if (!(await which(tool))) {
        throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the netns runtime needs ${tool}, which is not on PATH`, {
          hint: 'apt-get install iproute2 iptables (or use --runtime process)',
        });
      }
    }
    if (spec.nodes.length === 0) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'a cluster needs at least one node');
    const cap = spec.captureAddress;
    if (!Number.isInteger(cap.port) || cap.port < 1 || cap.port > 65535 || cap.host === '') {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `capture address ${cap.host}:${cap.port} is not a host and port nodes can be sent to`, {
        hint: 'Start the capture first and pass the address it listens on.',
      });
    }
    const ids = new Set<string>();
    for (const n of spec.nodes) {
      if (ids.has(n.id)) throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `node id ${n.id} appears twice`, { hint: 'Give every node its own id.' });
      ids.add(n.id);
      clusterNames('000000', spec.runId, spec.scenarioId).netns(n.id); // validates the id
      requireHostBuild(n, 'netns');
      await templatesPlan(n);
    }
    const receiver = ipToInt(this.receiverIP);
    if (receiver === undefined) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `receiverIP ${this.receiverIP} is not an IPv4 address`, { hint: 'e.g. 10.213.255.254' });
    }
    if (this.opts.subnet) {
      const c = parseCidr(this.opts.subnet, 'subnet');
      this.checkSubnetFits(c, spec.nodes.length, receiver);
    } else {
      parseCidr(this.opts.subnetPool ?? DEFAULT_SUBNET_POOL, 'subnetPool');
    }
  }

  private checkSubnetFits(c: Cidr, nodes: number, receiver: number): void {
    if (c.prefix > 24 || FIRST_NODE_HOST + nodes >= cidrSize(c) - 1) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `subnet ${formatCidr(c)} is too small for ${nodes} nodes (nodes start at host .${FIRST_NODE_HOST})`, {
        hint: 'Use a /24 or larger.',
      });
    }
    if (cidrContains(c, receiver)) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `receiverIP ${this.receiverIP} lies inside the cluster subnet ${formatCidr(c)}`, {
        hint: 'Choose a receiverIP outside the cluster subnet.',
      });
    }
  }

  /** Host subnets in use (addresses and routes), to keep clusters off them. */
  private async hostSubnets(): Promise<Cidr[]> {
    const out: Cidr[] = [];
    const addrs = await run(['ip', '-4', '-o', 'addr', 'show']);
    for (const m of addrs.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/g)) {
      const ip = ipToInt(m[1]!)!;
      const prefix = Number(m[2]);
      const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
      out.push({ network: (ip & mask) >>> 0, prefix });
    }
    const routes = await run(['ip', '-4', 'route', 'show', 'table', 'all']);
    for (const line of routes.stdout.split('\n')) {
      const dst = line.split(' ').find((w, i) => i <= 1 && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(w));
      if (!dst) continue;
      const [ip, p] = dst.split('/');
      out.push({ network: ipToInt(ip!)!, prefix: p === undefined ? 32 : Number(p) });
    }
    return out;
  }

  /** Picks and claims the cluster's subnet. */
  private async allocateSubnet(tag: string, nodes: number): Promise<Cidr> {
    const receiver = ipToInt(this.receiverIP)!;
    const used = await this.hostSubnets();
    const free = (c: Cidr) => !used.some((u) => u.prefix > 0 && cidrOverlaps(u, c));
    if (this.opts.subnet) {
      const c = parseCidr(this.opts.subnet, 'subnet');
      this.checkSubnetFits(c, nodes, receiver);
      if (!free(c) || !(await this.state.claimSubnet(formatCidr(c), tag))) {
        throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `subnet ${formatCidr(c)} is already in use on this host`, {
          hint: 'Choose another subnet, or leave it out so a free one is picked; `amchaos sweep` removes subnets a killed run left.',
        });
      }
      return c;
    }
    const pool = parseCidr(this.opts.subnetPool ?? DEFAULT_SUBNET_POOL, 'subnetPool');
    const step = 256;
    for (let net = pool.network; net < pool.network + cidrSize(pool); net += step) {
      const c: Cidr = { network: net >>> 0, prefix: 24 };
      if (cidrContains(c, receiver) || !free(c)) continue;
      if (await this.state.claimSubnet(formatCidr(c), tag)) return c;
    }
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `no free /24 left in ${formatCidr(pool)}`, {
      hint: 'Run `amchaos sweep` to remove what killed runs left, or give another subnetPool.',
    });
  }

  async createCluster(spec: ClusterSpec): Promise<NetnsCluster> {
    await this.preflight(spec);
    const setpriv = await which('setpriv');
    let tag = newClusterTag();
    const existing = new Set((await this.state.records()).map((r) => r.tag));
    while (existing.has(tag)) tag = newClusterTag();
    const names = clusterNames(tag, spec.runId, spec.scenarioId);
    const record: ClusterRecord = {
      tag,
      runId: spec.runId,
      scenarioId: spec.scenarioId,
      pid: process.pid,
      pidStart: processStartTime(process.pid) ?? '',
      subnet: '',
      createdAt: new Date().toISOString(),
    };
    // The record goes first: from now on a sweep by another process knows this cluster is alive.
    await this.state.write(record);
    let subnet: Cidr | undefined;
    let network: ClusterNetwork | undefined;
    let fabric: Fabric | undefined;
    const cleanup = async () => {
      await fabric?.close().catch(() => undefined);
      await network?.destroy().catch(() => undefined);
      if (subnet) await this.state.releaseSubnet(formatCidr(subnet), tag);
      await this.state.remove(tag);
    };
    try {
      subnet = await this.allocateSubnet(tag, spec.nodes.length);
      record.subnet = formatCidr(subnet);
      await this.state.write(record);
      const gateway = intToIp(subnet.network + 1);
      const plan: NetworkPlan = {
        names,
        subnet: formatCidr(subnet),
        prefix: subnet.prefix,
        gateway,
        receiverIP: this.receiverIP,
        nodes: spec.nodes.map((n, i) => ({
          id: n.id,
          index: i,
          netns: names.netns(n.id),
          hostVeth: names.hostVeth(i),
          ip: intToIp(subnet!.network + FIRST_NODE_HOST + i),
        })),
      };
      network = new ClusterNetwork(plan);
      registerExitHook(network, this.state, record);
      await network.create();
      const net = network;
      fabric = await Fabric.create({
        nodes: plan.nodes.map((n) => ({ id: n.id, ip: n.ip, clusterPort: NETNS_CLUSTER_PORT, webPort: NETNS_WEB_PORT })),
        capture: spec.captureAddress,
        receiverIP: this.receiverIP,
        host: { listenIP: gateway, redirect: (node, redirects) => net.redirect(node, redirects) },
        ...(this.opts.fabricApi ? { api: this.opts.fabricApi } : {}),
      });
      const nodes: NetnsNode[] = [];
      for (const [i, n] of spec.nodes.entries()) {
        const p = plan.nodes[i]!;
        nodes.push(new NetnsNode(n, spec, p.netns, p.ip, fabric.nodeApiURL(n.id), await templatesPlan(n), setpriv, this.opts.startTimeoutMs ?? 30_000));
      }
      for (const n of nodes) n.setPeers(nodes.filter((o) => o !== n).map((o) => o.clusterAddress));
      return new NetnsCluster(nodes, fabric, network, subnet, names.tag, async () => {
        unregisterExitHook(net);
        await this.state.releaseSubnet(formatCidr(subnet!), tag);
        await this.state.remove(tag);
      });
    } catch (e) {
      if (network) unregisterExitHook(network);
      await cleanup();
      throw e;
    }
  }

  async sweep(): Promise<string[]> {
    if (!isRoot()) return [];
    return sweepNetns(this.state);
  }
}

/** Throws AMCHAOS_NEEDS_ROOT unless `root` (exported with the parameter for tests). */
export function requireRoot(root = isRoot()): void {
  if (!root) {
    throw new AmchaosError('AMCHAOS_NEEDS_ROOT', 'the netns runtime needs root (it creates network namespaces, a bridge and iptables rules)', {
      hint: 'Run amchaos as root (sudo), or use the process runtime (--runtime process; it has no link faults: partitions, latency and loss need netns).',
    });
  }
}

export class NetnsCluster implements RuntimeCluster {
  readonly runtime = 'netns' as const;
  readonly capabilities = { linkFaults: true, pause: true, respec: true };
  private destroyed = false;

  constructor(
    readonly nodes: NetnsNode[],
    readonly fabric: Fabric,
    readonly network: ClusterNetwork,
    readonly subnet: Cidr,
    /** The 6-hex tag every resource name of this cluster carries (amc<tag>br, amc-<tag>-n1, ...). */
    readonly tag: string,
    private readonly release: () => Promise<void>,
  ) {}

  get subnetText(): string {
    return formatCidr(this.subnet);
  }

  async startAll(): Promise<void> {
    await startInPositionOrder(this.nodes);
  }

  /** Packets each node's bypass guard dropped (direct node-to-node traffic that avoided the proxies). */
  bypassCounters(): Promise<Record<string, { packets: number; bytes: number }>> {
    return this.network.bypassCounters();
  }

  async verifyRouting(): Promise<Record<string, unknown>> {
    return { ...(await verifyRouting(this.nodes, () => this.bypassCounters())) };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const errors: unknown[] = [];
    // One at a time, newest first: a node stopping while its peers are alive sends its memberlist
    // Leave at once (~0.3 s); stopping all together makes every node wait out its Leave timeout.
    for (const n of [...this.nodes].reverse()) {
      await n.stop({ graceMs: 3_000 }).catch(() => n.kill().catch((e: unknown) => errors.push(e)));
    }
    await this.fabric.close().catch((e: unknown) => errors.push(e));
    await this.network.destroy().catch((e: unknown) => errors.push(e));
    await this.release().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  }
}

export class NetnsNode extends LocalNode {
  constructor(
    spec: NodeSpec,
    cluster: ClusterSpec,
    /** The node's network namespace (`ip netns exec <netns> ...` reaches it). */
    readonly netns: string,
    /** The node's own address inside its namespace. */
    readonly ip: string,
    /** Through the fabric's `client->node` proxy. */
    readonly apiURL: string,
    private templates: TemplatesPlan,
    private readonly setpriv: string | undefined,
    private readonly startTimeoutMs: number,
  ) {
    super(spec, cluster);
  }
  /** An upgrade may bring another version's templates (Debian builds): plan them for the new spec. */
  protected override async respecced(spec: NodeSpec): Promise<void> {
    this.templates = await templatesPlan(spec);
  }


  /** The node's API without the proxy (the runtime's own health checks use it). */
  get directURL(): string {
    return `http://${this.ip}:${NETNS_WEB_PORT}`;
  }
  get externalURL(): string {
    return `http://${this.ip}:${NETNS_WEB_PORT}/`;
  }
  get clusterAddress(): string {
    return `${this.ip}:${NETNS_CLUSTER_PORT}`;
  }

  private argv(): string[] {
    const [bin, ...lead] = this.spec.version.command;
    const addr: NodeAddresses = {
      web: `${this.ip}:${NETNS_WEB_PORT}`,
      cluster: this.clusterAddress,
      advertise: this.clusterAddress,
      externalURL: this.externalURL,
    };
    const node = [bin!, ...lead, ...nodeArgs(this.spec, { config: this.configFile, storage: this.storageDir }, addr, this.peers)];
    // setpriv, ip netns exec, unshare and the template script all exec: the pid is the node's.
    return withPdeathsig(this.setpriv, inNetns(this.netns, withTemplates(this.templates, node)));
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.prepare();
    // Health is checked directly, not through the client link: a faulted link must not make a
    // restart look failed.
    await this.spawnHealthy(this.argv(), this.directURL, this.startTimeoutMs);
  }
}

// If the harness exits without destroy() (an uncaught error, process.exit in a signal handler),
// remove the network synchronously: no promise settles in an 'exit' handler. Node processes are
// SIGKILLed by the reaper; a harness killed by SIGKILL leaves this to the next start-up sweep.
const exitHooks = new Map<ClusterNetwork, () => void>();
let exitInstalled = false;

function registerExitHook(network: ClusterNetwork, state: StateDir, record: ClusterRecord): void {
  exitHooks.set(network, () => {
    network.destroySync();
    rmSync(join(state.dir, `${record.tag}.json`), { force: true });
    if (record.subnet) rmSync(join(state.dir, `subnet-${record.subnet.replace('/', '_')}`), { force: true });
  });
  if (!exitInstalled) {
    exitInstalled = true;
    process.on('exit', () => {
      for (const hook of exitHooks.values()) hook();
    });
  }
}

function unregisterExitHook(network: ClusterNetwork): void {
  exitHooks.delete(network);
}

/** Exported for tests: our resources of any cluster currently visible on the host. */
export async function visibleNetnsResources(): Promise<string[]> {
  const out: string[] = [];
  for (const l of (await run(['ip', 'netns', 'list'])).stdout.split('\n')) {
    const name = l.split(' ')[0];
    if (name && /^amc-[0-9a-f]{6}-/.test(name)) out.push(`netns ${name}`);
  }
  for (const l of (await run(['ip', '-o', 'link', 'show'])).stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(l)?.[1];
    if (name && tagOfLink(name)) out.push(`link ${name}`);
  }
  for (const table of ['filter', 'nat']) {
    for (const l of (await run(['iptables-save', '-t', table])).stdout.split('\n')) {
      if (l.startsWith('-A') && l.includes('amchaos run=')) out.push(`iptables ${l}`);
    }
  }
  return out;
}
