import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import { clientLinkName, receiverLinkName, type Fabric } from '../fabric/fabric.js';
import type { Transport } from '../fabric/types.js';
import type { History } from '../history/history.js';
import type { NodeId } from '../history/types.js';
import type { CreateToxicInput } from '../proxy/index.js';
import type { NodeRespec, RuntimeCluster, RuntimeNode } from '../runtime/types.js';
import type { ResolvedVersion } from '../versions/types.js';
import { cutLinks, partitionGroups, selectLinks } from './partitions.js';
import { LINK_FAULT_KINDS, type FaultSpec, type ReceiverControl, type Schedule, type VerifyOptions } from './types.js';

/** Prefix of every toxic the nemesis adds (`amc-f<fault>-<instance>-up|down`); toxics added by hand through the HTTP API are left alone. */
export const NEMESIS_TOXIC_PREFIX = 'amc-f';

export interface NemesisOptions {
  cluster: RuntimeCluster;
  history: History;
  /** Needed for receiver faults (the capture: src/capture CaptureReceiver fits). */
  receiver?: ReceiverControl;
  verify?: VerifyOptions;
  /** Grace for SIGTERM before SIGKILL (terminate/restart faults). Default 10 s. */
  stopGraceMs?: number;
  /** The versions an upgrade fault may name (resolved before the run); absent: upgrades are refused. */
  versions?: (requested: string) => ResolvedVersion | undefined;
}

export interface ActiveFault {
  readonly id: number;
  readonly spec: FaultSpec;
  readonly description: string;
  /** Scenario time the fault was in place (before verification finished). */
  readonly installedAt: number;
}

interface Impl {
  description: string;
  components?: NodeId[][];
  nodes?: NodeId[];
  /** Performs and verifies the fault; returns what the history's `applied` event keeps. */
  apply(): Promise<Record<string, unknown>>;
  /** Undoes and verifies; returns the `removed` event's detail. Throws FAULT_NOT_VERIFIED. */
  remove(): Promise<Record<string, unknown>>;
  /** Best-effort undo after a failed apply (no verification). */
  rollback(): Promise<void>;
}

interface Entry extends ActiveFault {
  impl: Impl;
}

/**
 * The nemesis: applies faults to a running cluster and records every start and end in the history
 * as FaultEvents (requested → applied → removed, or failed). A fault counts only once verified:
 * link cuts by the fabric's counters (traffic attempted on every cut link, none delivered), removal
 * by traffic flowing again; process faults by the process state; receiver faults by the capture's
 * own switch. Link faults need a runtime with a fabric (netns); process faults work everywhere.
 */
export class Nemesis {
  private readonly cluster: RuntimeCluster;
  private readonly history: History;
  private readonly receiver: ReceiverControl | undefined;
  private readonly applyTimeoutMs: number;
  private readonly removeTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly versions: ((requested: string) => ResolvedVersion | undefined) | undefined;
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  private readonly instance = randomBytes(2).toString('hex');

  constructor(opts: NemesisOptions) {
    this.cluster = opts.cluster;
    this.history = opts.history;
    this.receiver = opts.receiver;
    this.applyTimeoutMs = opts.verify?.applyTimeoutMs ?? 15_000;
    this.removeTimeoutMs = opts.verify?.removeTimeoutMs ?? 30_000;
    this.stopGraceMs = opts.stopGraceMs ?? 10_000;
    this.versions = opts.versions;
  }

  private get nodeIds(): NodeId[] {
    return this.cluster.nodes.map((n) => n.id);
  }

  private node(id: NodeId): RuntimeNode {
    const n = this.cluster.nodes.find((x) => x.id === id);
    if (!n) throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `fault names unknown node ${id}`, { hint: `nodes are ${this.nodeIds.join(', ')}` });
    return n;
  }

  private fabric(kind: string): Fabric {
    if (!this.cluster.capabilities.linkFaults || !this.cluster.fabric) {
      throw new AmchaosError(
        'AMCHAOS_RUNTIME_UNSUPPORTED',
        `${kind} faults need per-link control, which the ${this.cluster.runtime} runtime does not have (its nodes share one address, so a connection cannot be traced to its sender)`,
        { hint: 'Use the netns runtime (--runtime netns, as root) for partitions, cuts, latency and loss; process faults (kill, terminate, pause, restart) and receiver faults work in every runtime.' },
      );
    }
    return this.cluster.fabric;
  }

  /** Throws (RUNTIME_UNSUPPORTED, INVALID_SCENARIO) if a fault or schedule cannot run on this cluster. Nothing is changed. */
  check(what: FaultSpec | Schedule): void {
    const specs = 'faults' in what ? what.faults.map((f) => f.fault) : [what];
    if ('faults' in what) {
      for (const f of what.faults) {
        if (!(f.atMs >= 0) || !(f.durationMs >= 0)) {
          throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `schedule entry at ${f.atMs} ms for ${f.durationMs} ms: times must be non-negative numbers`, { hint: 'Fix the schedule.' });
        }
      }
    }
    for (const s of specs) this.plan(s, 0);
  }

  active(): ActiveFault[] {
    return [...this.entries.values()].map(({ impl: _impl, ...rest }) => rest);
  }

  /** Applies one fault and waits until it is verified. Throws (after recording `failed`) if it cannot be. */
  async apply(spec: FaultSpec): Promise<ActiveFault> {
    const id = this.nextId++;
    const impl = this.plan(spec, id);
    const base = { type: 'fault' as const, fault: id, kind: spec.kind, description: impl.description, ...(impl.components ? { components: impl.components } : {}), ...(impl.nodes ? { nodes: impl.nodes } : {}) };
    this.history.append({ ...base, state: 'requested', detail: { spec } });
    const installedAt = this.history.clock.now();
    let detail: Record<string, unknown>;
    try {
      detail = await impl.apply();
    } catch (e) {
      await impl.rollback().catch(() => undefined);
      this.history.append({ ...base, state: 'failed', detail: { phase: 'apply', error: errorText(e), ...(isAmchaosError(e) ? e.details : {}) } });
      throw e;
    }
    const entry: Entry = { id, spec, description: impl.description, installedAt, impl };
    this.entries.set(id, entry);
    this.history.append({ ...base, state: 'applied', detail: { installedAt, ...detail } });
    return { id, spec, description: impl.description, installedAt };
  }

  /** Removes a fault and waits until the removal is verified. */
  async remove(fault: ActiveFault | number): Promise<void> {
    const id = typeof fault === 'number' ? fault : fault.id;
    const entry = this.entries.get(id);
    if (!entry) throw new AmchaosError('AMCHAOS_NOT_FOUND', `fault ${id} is not active`, { hint: 'active() lists the faults in place.' });
    this.entries.delete(id);
    const { impl, spec } = entry;
    const base = { type: 'fault' as const, fault: id, kind: spec.kind, description: impl.description, ...(impl.components ? { components: impl.components } : {}), ...(impl.nodes ? { nodes: impl.nodes } : {}) };
    try {
      const detail = await impl.remove();
      this.history.append({ ...base, state: 'removed', detail });
    } catch (e) {
      this.history.append({ ...base, state: 'failed', detail: { phase: 'remove', error: errorText(e), ...(isAmchaosError(e) ? e.details : {}) } });
      throw e;
    }
  }

  /**
   * Removes every active fault (newest first), then anything the nemesis may have left on the
   * fabric or the receiver. Never throws: failures are recorded in the history.
   */
  async heal(): Promise<void> {
    for (const e of [...this.entries.values()].reverse()) {
      await this.remove(e.id).catch(() => undefined);
    }
    const mine = (name: string) => name.startsWith(NEMESIS_TOXIC_PREFIX) && name.includes(`-${this.instance}-`);
    const stray = this.cluster.fabric ? await this.cluster.fabric.removeToxics(mine).catch(() => 0) : 0;
    if (stray > 0) this.history.append({ type: 'note', level: 'warn', message: `nemesis heal removed ${stray} stray toxic(s)` });
  }

  /**
   * Runs a schedule on the history's clock: each fault starts `atMs` after run() was called (or
   * right after the previous one ended, if that was later) and is removed `durationMs` after it was
   * applied. Faults that fail are recorded and skipped. Whatever happens (abort, error), everything
   * is healed before run() returns.
   */
  async run(schedule: Schedule, opts: { signal?: AbortSignal } = {}): Promise<{ applied: number; failed: number }> {
    this.check(schedule);
    const clock = this.history.clock;
    const t0 = clock.now();
    let applied = 0;
    let failed = 0;
    this.history.append({ type: 'note', level: 'info', message: `nemesis: schedule of ${schedule.faults.length} fault(s), seed ${schedule.seed}` });
    try {
      for (const f of schedule.faults) {
        if (opts.signal?.aborted) break;
        const wait = t0 + f.atMs - clock.now();
        if (wait > 0) await sleep(wait, undefined, { signal: opts.signal }).catch(() => undefined);
        if (opts.signal?.aborted) break;
        let active: ActiveFault;
        try {
          active = await this.apply(f.fault);
          applied++;
        } catch {
          failed++;
          continue;
        }
        await sleep(f.durationMs, undefined, { signal: opts.signal }).catch(() => undefined);
        await this.remove(active).catch(() => {
          failed++;
        });
      }
    } finally {
      await this.heal();
    }
    return { applied, failed };
  }

  // --- planning: spec → Impl ---

  private plan(spec: FaultSpec, id: number): Impl {
    if (LINK_FAULT_KINDS.has(spec.kind)) this.fabric(spec.kind);
    switch (spec.kind) {
      case 'partition': {
        const groups = partitionGroups(spec, this.nodeIds);
        const links = cutLinks(groups, this.nodeIds);
        const transport = spec.transport ?? 'both';
        const what = spec.mode === 'isolate' ? `isolate ${spec.node}` : `${spec.mode} ${groups.map((g) => `[${g.join(' ')}]`).join(' ')}`;
        const impl = this.cutImpl(id, links, transport, `partition ${what}${transport === 'both' ? '' : ` (${transport} only)`}`, 'peer');
        impl.components = groups;
        impl.nodes = [...this.nodeIds];
        return impl;
      }
      case 'link-cut': {
        const links = selectLinks(spec.links, this.nodeIds);
        return this.cutImpl(id, links, spec.transport, `${spec.transport === 'both' ? '' : `${spec.transport}-only `}cut ${describeLinks(links, this.nodeIds)}`, 'peer');
      }
      case 'client-cut': {
        spec.nodes.forEach((n) => this.node(n));
        const impl = this.cutImpl(id, spec.nodes.map(clientLinkName), 'tcp', `client cannot reach ${spec.nodes.join(' ')}`, 'client');
        impl.nodes = [...spec.nodes];
        return impl;
      }
      case 'receiver-cut': {
        spec.nodes.forEach((n) => this.node(n));
        const impl = this.cutImpl(id, spec.nodes.map(receiverLinkName), 'tcp', `${spec.nodes.join(' ')} cannot reach the receiver`, 'receiver');
        impl.nodes = [...spec.nodes];
        return impl;
      }
      case 'latency': {
        if (!(spec.latencyMs >= 0) || !((spec.jitterMs ?? 0) >= 0)) {
          throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `latency ${spec.latencyMs}±${spec.jitterMs ?? 0} ms: both must be non-negative`, { hint: 'e.g. { latencyMs: 200, jitterMs: 50 }' });
        }
        const links = selectLinks(spec.links, this.nodeIds);
        const attrs = { latency: Math.round(spec.latencyMs), jitter: Math.round(spec.jitterMs ?? 0) };
        return this.toxicImpl(id, links, { type: 'latency', attributes: attrs, transport: 'both' }, `latency ${attrs.latency}ms±${attrs.jitter} on ${describeLinks(links, this.nodeIds)}`);
      }
      case 'loss': {
        if (!(spec.probability >= 0 && spec.probability <= 1)) {
          throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `loss probability ${spec.probability} is not between 0 and 1`, { hint: 'e.g. { probability: 0.3 }' });
        }
        const links = selectLinks(spec.links, this.nodeIds);
        return this.toxicImpl(id, links, { type: 'loss', attributes: { probability: spec.probability }, transport: 'udp' }, `udp loss ${Math.round(spec.probability * 100)}% on ${describeLinks(links, this.nodeIds)}`);
      }
      case 'receiver':
        return this.receiverImpl(spec);
      case 'kill':
        return this.stopImpl(spec.node, 'SIGKILL', false, `kill ${spec.node}`);
      case 'terminate':
        return this.stopImpl(spec.node, 'SIGTERM', false, `terminate ${spec.node}`);
      case 'restart':
        return this.stopImpl(spec.node, spec.signal ?? 'SIGTERM', spec.wipe ?? false, `restart ${spec.node} (${spec.signal ?? 'SIGTERM'}${spec.wipe ? ', storage wiped' : ''})`);
      case 'pause':
        return this.pauseImpl(spec.node);
      case 'upgrade': {
        const version = this.versions?.(spec.version);
        if (!version) {
          throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `upgrade ${spec.node} to ${spec.version}: that version was not resolved before the run`, {
            hint: 'Give it with --upgrade-to (amchaos run) so it is fetched and its amtool checks the config before anything starts.',
          });
        }
        return this.respecImpl(spec.node, `upgrade ${spec.node} to ${spec.version}`, { version }, false);
      }
      case 'node-flags':
        return this.respecImpl(spec.node, `restart ${spec.node} with ${spec.flags.join(' ')}`, { extraArgs: [...this.node(spec.node).spec.extraArgs, ...spec.flags] }, true);
      default: {
        const never: never = spec;
        throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `unknown fault kind ${JSON.stringify((never as { kind: unknown }).kind)}`, {
          hint: 'Fault kinds: partition, link-cut, latency, loss, client-cut, receiver-cut, receiver, kill, terminate, pause, restart, upgrade, node-flags.',
        });
      }
    }
  }

  private toxicNames(id: number): { up: string; down: string } {
    // The instance tag keeps two nemeses on one fabric from removing each other's toxics.
    const base = `${NEMESIS_TOXIC_PREFIX}${id}-${this.instance}`;
    return { up: `${base}-up`, down: `${base}-down` };
  }

  private async addBoth(fabric: Fabric, id: number, links: readonly string[], toxic: CreateToxicInput): Promise<void> {
    const names = this.toxicNames(id);
    for (const link of links) {
      await fabric.addToxic(link, { ...toxic, name: names.up, stream: 'upstream' });
      await fabric.addToxic(link, { ...toxic, name: names.down, stream: 'downstream' });
    }
  }

  private async removeBoth(fabric: Fabric, id: number, links: readonly string[]): Promise<void> {
    const names = this.toxicNames(id);
    for (const link of links) {
      for (const t of [names.up, names.down]) await fabric.removeToxic(link, t).catch((e: unknown) => {
        if (!isAmchaosError(e, 'AMCHAOS_NOT_FOUND')) throw e;
      });
    }
  }

  /** Sends one request through each client link (so a cut or a heal can be observed on it). */
  private async probeClients(links: readonly string[]): Promise<void> {
    const fabric = this.cluster.fabric!;
    await Promise.all(
      links.map(async (l) => {
        const url = `http://${fabric.link(l).listen}/-/healthy`;
        try {
          const res = await request(url, { headersTimeout: 500, bodyTimeout: 500 });
          await res.body.dump();
        } catch {
          /* a cut link does not answer: that is the point */
        }
      }),
    );
  }

  /**
   * Cuts `links` with blackhole toxics on both streams of `transport`. Applied = the counters show
   * attempts held and nothing delivered; removed = the links deliver again. The client links get
   * their traffic from a probe request; receiver links only carry what nodes send, so there a cut
   * with no attempt is accepted as long as nothing leaked (the detail says so).
   */
  private cutImpl(id: number, links: string[], transport: Transport, description: string, kind: 'peer' | 'client' | 'receiver'): Impl {
    const fabric = this.fabric('cut');
    let installed: ReturnType<Fabric['snapshot']> | undefined;
    const verifyCut = async () => {
      const before = fabric.snapshot(links);
      installed = before;
      if (kind === 'client') await this.probeClients(links);
      const r = await fabric.verifyCut(links, transport, before, { timeoutMs: kind === 'receiver' ? Math.min(2_000, this.applyTimeoutMs) : this.applyTimeoutMs });
      const ok = kind === 'receiver' ? r.leaked.length === 0 : r.ok;
      const detail = { links, transport, verification: { proof: r.proof, leaked: r.leaked, held: r.held, heldBy: r.heldBy, idle: r.idle, elapsedMs: r.elapsedMs } };
      if (!ok) {
        throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${r.leaked.length > 0 ? `bytes still crossed ${r.leaked.join(', ')}` : `no traffic was attempted on any cut link within ${this.applyTimeoutMs} ms`}`, {
          hint: r.leaked.length > 0 ? 'The proxy did not hold the cut: this is a harness bug, please report it with the run directory.' : 'Are the nodes running? A cut can only be proven while nodes try to talk; raise verify.applyTimeoutMs for slow clusters.',
          details: detail,
        });
      }
      return detail;
    };
    return {
      description,
      apply: async () => {
        await this.addBoth(fabric, id, links, { type: 'blackhole', transport });
        return verifyCut();
      },
      remove: async () => {
        // Did the cut hold for its whole life? (A leak here means the fault was not what it claimed.)
        const leakedDuringFault = installed
          ? fabric.verifyCutNow(links, transport, installed).leaked
          : [];
        if (leakedDuringFault.length > 0) {
          this.history.append({ type: 'note', level: 'error', message: `${description}: bytes crossed ${leakedDuringFault.join(', ')} while the cut was in place` });
        }
        await this.removeBoth(fabric, id, links);
        const liftedAt = this.history.clock.now();
        const before = fabric.snapshot(links);
        if (kind === 'client') await this.probeClients(links);
        const r = await fabric.verifyFlow(links, transport, before, { timeoutMs: kind === 'receiver' ? Math.min(2_000, this.removeTimeoutMs) : this.removeTimeoutMs });
        const ok = kind === 'receiver' ? r.blocked.length === 0 : r.ok;
        const detail = { liftedAt, leakedDuringFault, verification: { proof: r.proof, flowing: r.flowing, blocked: r.blocked, idle: r.idle, elapsedMs: r.elapsedMs } };
        if (!ok) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `heal of ${description}: ${r.blocked.length > 0 ? `${r.blocked.join(', ')} still deliver nothing` : `no traffic flowed within ${this.removeTimeoutMs} ms`}`, {
            hint: 'Are the nodes running? Raise verify.removeTimeoutMs if the cluster needs longer to reconnect.',
            details: detail,
          });
        }
        return detail;
      },
      rollback: () => this.removeBoth(fabric, id, links),
    };
  }

  /** Latency and loss: applied = the proxy reports the toxics on every link; removed = gone and traffic flows. */
  private toxicImpl(id: number, links: string[], toxic: CreateToxicInput, description: string): Impl {
    const fabric = this.fabric(toxic.type);
    const names = this.toxicNames(id);
    return {
      description,
      apply: async () => {
        await this.addBoth(fabric, id, links, toxic);
        const missing = links.filter((l) => !fabric.toxics(l).some((t) => t.name === names.up) || !fabric.toxics(l).some((t) => t.name === names.down));
        if (missing.length > 0) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: the toxic is missing on ${missing.join(', ')}`, { hint: 'Was it removed through the HTTP API meanwhile?' });
        }
        return { links, toxic };
      },
      remove: async () => {
        await this.removeBoth(fabric, id, links);
        const liftedAt = this.history.clock.now();
        const before = fabric.snapshot(links);
        const r = await fabric.verifyFlow(links, 'both', before, { timeoutMs: this.removeTimeoutMs });
        const detail = { liftedAt, verification: { proof: r.proof, flowing: r.flowing, blocked: r.blocked, idle: r.idle, elapsedMs: r.elapsedMs } };
        if (!r.ok) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `heal of ${description}: ${r.blocked.length > 0 ? `${r.blocked.join(', ')} still deliver nothing` : `no traffic flowed within ${this.removeTimeoutMs} ms`}`, {
            hint: 'Are the nodes running? Raise verify.removeTimeoutMs.',
            details: detail,
          });
        }
        return detail;
      },
      rollback: () => this.removeBoth(fabric, id, links),
    };
  }

  private receiverImpl(spec: Extract<FaultSpec, { kind: 'receiver' }>): Impl {
    const receiver = this.receiver;
    if (!receiver) {
      throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `receiver fault ${spec.mode} needs the capture receiver, which this nemesis was not given`, {
        hint: 'Pass { receiver: capture } to new Nemesis(...).',
      });
    }
    if (spec.mode === 'status' && !(Number.isInteger(spec.status) && spec.status >= 100 && spec.status <= 599)) {
      throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `receiver status ${spec.status} is not an HTTP status`, { hint: 'e.g. 503' });
    }
    if (spec.mode === 'slow' && !(spec.delayMs >= 0)) {
      throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `receiver delay ${spec.delayMs} must be a non-negative number of ms`, { hint: 'e.g. 5000' });
    }
    const description =
      spec.mode === 'status' ? `receiver answers ${spec.status}` : spec.mode === 'slow' ? `receiver answers after ${spec.delayMs} ms` : spec.mode === 'drop' ? 'receiver drops connections' : 'receiver down';
    // The capture's switches act synchronously in-process (down() resolves once the listener is
    // closed), so returning from the call is the verification.
    return {
      description,
      apply: async () => {
        if (spec.mode === 'down') await receiver.down();
        else if (spec.mode === 'status') receiver.setFault({ kind: 'status', status: spec.status });
        else if (spec.mode === 'slow') receiver.setFault({ kind: 'slow', delayMs: spec.delayMs });
        else receiver.setFault({ kind: 'drop' });
        return { verification: 'capture switch set' };
      },
      remove: async () => {
        if (spec.mode === 'down') await receiver.up();
        else receiver.clearFaults();
        return { verification: 'capture switch cleared', liftedAt: this.history.clock.now() };
      },
      rollback: async () => {
        if (spec.mode === 'down') await receiver.up();
        else receiver.clearFaults();
      },
    };
  }

  private stopImpl(nodeId: NodeId, signal: 'SIGTERM' | 'SIGKILL', wipe: boolean, description: string): Impl {
    const node = this.node(nodeId);
    return {
      description,
      nodes: [nodeId],
      apply: async () => {
        if (!node.running) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${nodeId} is not running`, { hint: 'Another fault already stopped it.' });
        }
        const pid = node.pid;
        let exit: { code: number | null; signal: string | null } | undefined;
        const off = node.onExit((e) => (exit = e));
        try {
          if (signal === 'SIGKILL') await node.kill();
          else {
            this.history.append({ type: 'node', node: nodeId, state: 'stopping', ...(pid ? { pid } : {}) });
            await node.stop({ graceMs: this.stopGraceMs });
          }
        } finally {
          off();
        }
        if (node.running) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${nodeId} is still running`, { hint: 'See the node log: ' + node.logFile });
        this.history.append({ type: 'node', node: nodeId, state: signal === 'SIGKILL' ? 'killed' : 'stopped', ...(pid ? { pid } : {}), ...(exit ? { exit } : {}) });
        if (wipe) await node.wipeStorage();
        return { signal, pid, exit, wiped: wipe };
      },
      remove: async () => {
        this.history.append({ type: 'node', node: nodeId, state: 'starting' });
        await node.start();
        this.history.append({ type: 'node', node: nodeId, state: 'started', ...(node.pid ? { pid: node.pid } : {}) });
        return { pid: node.pid, liftedAt: this.history.clock.now() };
      },
      rollback: async () => {
        if (!node.running) await node.start().catch(() => undefined);
      },
    };
  }

  /**
   * Restarts a node as something else — another version (an upgrade step), other flags — through
   * RuntimeNode.respec: SIGTERM (snapshots written, memberlist Leave), storage kept, respec, start.
   * Applied once the node runs again. `revert`: removal restarts it as it was; otherwise removal
   * only ends the fault's window (an upgraded node stays upgraded).
   */
  private respecImpl(nodeId: NodeId, description: string, change: NodeRespec, revert: boolean): Impl {
    const node = this.node(nodeId);
    if (!this.cluster.capabilities.respec || !node.respec) {
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the ${this.cluster.runtime} runtime cannot restart a node as another version or with other flags`, {
        hint: 'Use the process or netns runtime.',
      });
    }
    const before: NodeRespec = { version: node.spec.version, extraArgs: [...node.spec.extraArgs] };
    const restartAs = async (what: NodeRespec) => {
      const pid = node.pid;
      if (node.running) {
        this.history.append({ type: 'node', node: nodeId, state: 'stopping', ...(pid ? { pid } : {}) });
        await node.stop({ graceMs: this.stopGraceMs });
        if (node.running) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${nodeId} is still running`, { hint: 'See the node log: ' + node.logFile });
        this.history.append({ type: 'node', node: nodeId, state: 'stopped', ...(pid ? { pid } : {}) });
      }
      await node.respec!(what);
      this.history.append({ type: 'node', node: nodeId, state: 'starting', message: `as ${node.spec.version.requested} ${node.spec.extraArgs.join(' ')}`.trim() });
      await node.start();
      this.history.append({ type: 'node', node: nodeId, state: 'started', ...(node.pid ? { pid: node.pid } : {}) });
      return { pid: node.pid, version: node.spec.version.requested, ...(node.spec.version.reportedVersion ? { reportedVersion: node.spec.version.reportedVersion } : {}), extraArgs: node.spec.extraArgs };
    };
    return {
      description,
      nodes: [nodeId],
      apply: async () => ({ from: before.version!.requested, ...(await restartAs(change)) }),
      remove: async () => {
        if (!revert) return { liftedAt: this.history.clock.now(), stays: node.spec.version.requested };
        return { ...(await restartAs(before)), liftedAt: this.history.clock.now() };
      },
      rollback: async () => {
        if (node.running) return;
        await node.respec!(before).catch(() => undefined);
        await node.start().catch(() => undefined);
      },
    };
  }

  private pauseImpl(nodeId: NodeId): Impl {
    const node = this.node(nodeId);
    if (!this.cluster.capabilities.pause) {
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the ${this.cluster.runtime} runtime cannot pause nodes`, { hint: 'Use the process or netns runtime.' });
    }
    return {
      description: `pause ${nodeId}`,
      nodes: [nodeId],
      apply: async () => {
        await node.pause();
        const state = await waitProcState(node.pid, (s) => s === 'T' || s === 't');
        if (state !== 'T' && state !== 't') {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `pause ${nodeId}: the process is in state ${state ?? 'gone'}, not stopped`, { hint: 'See the node log: ' + node.logFile });
        }
        this.history.append({ type: 'node', node: nodeId, state: 'paused', ...(node.pid ? { pid: node.pid } : {}) });
        return { pid: node.pid, procState: state };
      },
      remove: async () => {
        await node.resume();
        const state = await waitProcState(node.pid, (s) => s !== 'T' && s !== 't');
        if (state === 'T' || state === 't') {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `resume ${nodeId}: the process is still stopped`, { hint: 'See the node log: ' + node.logFile });
        }
        this.history.append({ type: 'node', node: nodeId, state: 'resumed', ...(node.pid ? { pid: node.pid } : {}) });
        return { pid: node.pid, procState: state, liftedAt: this.history.clock.now() };
      },
      rollback: () => node.resume(),
    };
  }
}

/** The state letter of /proc/<pid>/stat (R, S, D, T, t, Z, ...), polled until `want` or 2 s. */
async function waitProcState(pid: number | undefined, want: (s: string) => boolean): Promise<string | undefined> {
  if (pid === undefined) return undefined;
  let state: string | undefined;
  for (let i = 0; i < 40; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === undefined || want(state)) return state;
    await sleep(50);
  }
  return state;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** "all links", "n1<->n2", or the list. */
function describeLinks(links: readonly string[], nodes: readonly NodeId[]): string {
  if (links.length === nodes.length * (nodes.length - 1)) return 'all peer links';
  const set = new Set(links);
  const pairs: string[] = [];
  const done = new Set<string>();
  for (const l of links) {
    if (done.has(l)) continue;
    const [a, b] = l.split('->') as [string, string];
    const back = `${b}->${a}`;
    if (set.has(back)) {
      pairs.push(`${a}<->${b}`);
      done.add(back);
    } else pairs.push(l);
    done.add(l);
  }
  return pairs.join(', ');
}
