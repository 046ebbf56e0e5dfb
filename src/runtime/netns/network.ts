import { setTimeout as sleep } from 'node:timers/promises';
import { AmchaosError } from '../../errors/index.js';
import { inNetns, isGone, run, runSync, splitRuleLine } from './commands.js';
import type { ClusterNames } from './names.js';

/**
 * The host side of one netns cluster: a bridge holding the gateway address, one network namespace
 * per node joined to it by a veth pair, the host firewall's accept rules for the bridge, and inside
 * each namespace the rules that make the fabric unavoidable:
 *
 * - nat OUTPUT DNAT (added by the fabric through `redirect`): traffic for a peer's cluster
 *   address, or for the fixed receiver address, goes to a proxy listening on the gateway;
 * - filter OUTPUT "bypass guard": anything else leaving eth0 for the cluster subnet, except the
 *   gateway, is dropped and counted. Node-to-node traffic can therefore only flow through a proxy,
 *   and the guard's counter (bypassCounters) proves it did.
 *
 * Every step that creates something records how to undo it first, so destroy() (and the exit hook)
 * remove exactly what exists, on every path.
 */
export interface NetworkNode {
  id: string;
  index: number;
  netns: string;
  hostVeth: string;
  ip: string;
}

export interface NetworkPlan {
  names: ClusterNames;
  /** CIDR text, e.g. 10.213.5.0/24. */
  subnet: string;
  prefix: number;
  gateway: string;
  nodes: NetworkNode[];
  /** Fixed address every node's webhooks go to; routed to the gateway, DNATed to a proxy. */
  receiverIP: string;
}

export interface Redirect {
  proto: 'tcp' | 'udp';
  /** What the node dials... */
  dest: { ip: string; port: number };
  /** ...and where it really goes (a proxy listener). */
  to: { ip: string; port: number };
}

export interface HostRule {
  table: 'filter';
  chain: 'INPUT' | 'FORWARD';
  spec: string[];
}

export class ClusterNetwork {
  /** Undo commands in creation order; run in reverse. */
  private readonly undo: string[][] = [];
  private destroyed = false;

  constructor(readonly plan: NetworkPlan) {}

  private get comment(): string[] {
    return ['-m', 'comment', '--comment', this.plan.names.comment];
  }

  /** The host rules, as `iptables -I` would get them (the sweep recognises them by comment). */
  hostRules(): HostRule[] {
    const br = this.plan.names.bridge;
    return [
      // Nodes reach the proxies on the gateway: accepted even where INPUT drops by default.
      { table: 'filter', chain: 'INPUT', spec: ['-i', br, ...this.comment, '-j', 'ACCEPT'] },
      // Docker sets FORWARD to DROP, and with br_netfilter bridged frames pass FORWARD too.
      { table: 'filter', chain: 'FORWARD', spec: ['-i', br, ...this.comment, '-j', 'ACCEPT'] },
      { table: 'filter', chain: 'FORWARD', spec: ['-o', br, ...this.comment, '-j', 'ACCEPT'] },
    ];
  }

  async create(): Promise<void> {
    const { names, nodes, gateway, prefix } = this.plan;
    const br = names.bridge;
    this.undo.push(['ip', 'link', 'del', br]);
    await run(['ip', 'link', 'add', br, 'type', 'bridge']);
    await run(['ip', 'addr', 'add', `${gateway}/${prefix}`, 'dev', br]);
    await run(['ip', 'link', 'set', br, 'up']);
    for (const r of this.hostRules()) {
      this.undo.push(['iptables', '-w', '-t', r.table, '-D', r.chain, ...r.spec]);
      await run(['iptables', '-w', '-t', r.table, '-I', r.chain, '1', ...r.spec]);
    }
    for (const n of nodes) {
      this.undo.push(['ip', 'netns', 'del', n.netns]);
      await run(['ip', 'netns', 'add', n.netns]);
      // Deleting the host end removes the pair at once (a namespace's devices go asynchronously).
      this.undo.push(['ip', 'link', 'del', n.hostVeth]);
      await run(['ip', 'link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', names.nodeVeth, 'netns', n.netns]);
      await run(['ip', 'link', 'set', n.hostVeth, 'master', br, 'up']);
      await run(['ip', '-n', n.netns, 'addr', 'add', `${n.ip}/${prefix}`, 'dev', names.nodeVeth]);
      await run(['ip', '-n', n.netns, 'link', 'set', names.nodeVeth, 'up']);
      await run(['ip', '-n', n.netns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', n.netns, 'route', 'add', `${this.plan.receiverIP}/32`, 'via', gateway]);
      await this.restore(n, 'filter', [
        ['-A', 'OUTPUT', '-o', names.nodeVeth, '-d', `${gateway}/32`, ...this.comment, '-j', 'ACCEPT'],
        ['-A', 'OUTPUT', '-o', names.nodeVeth, '-d', this.plan.subnet, ...this.comment, '-j', 'DROP'],
      ]);
    }
  }

  private node(id: string): NetworkNode {
    const n = this.plan.nodes.find((x) => x.id === id);
    if (!n) throw new AmchaosError('AMCHAOS_INTERNAL', `no node ${id} in this cluster network`);
    return n;
  }

  /** Adds rules to one table of a node's namespace in one atomic iptables-restore. */
  private async restore(n: NetworkNode, table: 'nat' | 'filter', rules: string[][]): Promise<void> {
    const quote = (a: string) => (/^[A-Za-z0-9_./:!-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, '\\$1')}"`);
    const input = [`*${table}`, ...rules.map((r) => r.map(quote).join(' ')), 'COMMIT', ''].join('\n');
    await run(inNetns(n.netns, ['iptables-restore', '-w', '--noflush']), { input });
  }

  /** DNAT inside `nodeId`'s namespace: what it sends to `dest` goes to `to` (the fabric's proxies). */
  async redirect(nodeId: string, redirects: Redirect[]): Promise<void> {
    if (redirects.length === 0) return;
    const n = this.node(nodeId);
    await this.restore(
      n,
      'nat',
      redirects.map((r) => [
        '-A',
        'OUTPUT',
        '-d',
        `${r.dest.ip}/32`,
        '-p',
        r.proto,
        '-m',
        r.proto,
        '--dport',
        String(r.dest.port),
        ...this.comment,
        '-j',
        'DNAT',
        '--to-destination',
        `${r.to.ip}:${r.to.port}`,
      ]),
    );
  }

  /** Packets the bypass guard dropped per node: non-zero means a node tried to reach a peer directly. */
  async bypassCounters(): Promise<Record<string, { packets: number; bytes: number }>> {
    const out: Record<string, { packets: number; bytes: number }> = {};
    for (const n of this.plan.nodes) {
      const r = await run(inNetns(n.netns, ['iptables-save', '-c', '-t', 'filter']));
      const line = r.stdout.split('\n').find((l) => l.includes('-j DROP') && l.includes(this.plan.names.comment));
      const m = line ? /^\[(\d+):(\d+)\]/.exec(line) : null;
      if (!m) throw new AmchaosError('AMCHAOS_INTERNAL', `the bypass guard of node ${n.id} is missing from ${n.netns}`);
      out[n.id] = { packets: Number(m[1]), bytes: Number(m[2]) };
    }
    return out;
  }

  /** Pids of every process inside this cluster's namespaces. */
  async pidsInside(): Promise<number[]> {
    const pids: number[] = [];
    for (const n of this.plan.nodes) {
      const r = await run(['ip', 'netns', 'pids', n.netns], { tolerate: isGone });
      for (const p of r.stdout.split(/\s+/)) if (/^\d+$/.test(p)) pids.push(Number(p));
    }
    return pids;
  }

  /**
   * Removes everything, in reverse order of creation; keeps going past failures and reports them
   * at the end. Processes still inside a namespace are killed first (a namespace with processes in
   * it outlives its name).
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const pid of await this.pidsInside().catch(() => [] as number[])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const failures: string[] = [];
    for (const argv of [...this.undo].reverse()) {
      try {
        await run(argv, { tolerate: isGone });
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    this.undo.length = 0;
    // Namespace teardown in the kernel is asynchronous; wait until our names are really gone so a
    // caller that checks `ip link` right after destroy() sees nothing.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if ((await this.leftovers()).length === 0) break;
      await sleep(50);
    }
    const left = await this.leftovers();
    if (left.length > 0) failures.push(`still present after destroy: ${left.join(', ')}`);
    if (failures.length > 0) {
      throw new AmchaosError('AMCHAOS_NETWORK_SETUP_FAILED', `netns cluster ${this.plan.names.tag}: teardown incomplete: ${failures.join('; ')}`, {
        hint: 'Run `amchaos sweep` (as root) to remove what is left.',
      });
    }
  }

  /** Synchronous best effort for process-exit hooks. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const argv of [...this.undo].reverse()) runSync(argv);
    this.undo.length = 0;
  }

  /** Our names still visible on the host (links, namespaces, host rules). */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    const tag = this.plan.names.tag;
    const links = await run(['ip', '-o', 'link', 'show']);
    for (const l of links.stdout.split('\n')) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(l)?.[1];
      if (name && name.startsWith(`amc${tag}`)) left.push(`link ${name}`);
    }
    const ns = await run(['ip', 'netns', 'list']);
    for (const l of ns.stdout.split('\n')) {
      const name = l.split(' ')[0];
      if (name && name.startsWith(`amc-${tag}-`)) left.push(`netns ${name}`);
    }
    const rules = await run(['iptables-save', '-t', 'filter']);
    for (const l of rules.stdout.split('\n')) {
      if (l.startsWith('-A') && splitRuleLine(l).includes(this.plan.names.comment)) left.push(`rule ${l}`);
    }
    return left;
  }
}
