import type { ResolvedVersion } from '../versions/types.js';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import type { NodeId } from '../history/types.js';
import type { RuntimeCluster, RuntimeNode } from '../runtime/types.js';
import { linkFaults } from './faults/link.js';
import { processFaults } from './faults/process.js';
import { receiverFaults } from './faults/receiver.js';
import type { FaultContext, FaultPackage, PlannedFault } from './faults/types.js';
import type { FaultSpec, ReceiverControl, Schedule, VerifyOptions } from './types.js';

export { NEMESIS_TOXIC_PREFIX } from './faults/link.js';

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

interface Entry extends ActiveFault {
  impl: PlannedFault;
}

/**
 * The nemesis: applies faults to a running cluster and records every start and end in the history
 * as FaultEvents (requested → applied → removed, or failed). It knows no fault itself: the fault
 * packages (faults/: link, receiver, process — Jepsen's combined nemesis) map each spec to apply,
 * verify and remove, and a fault counts only once verified — link cuts by the fabric's counters,
 * process faults by the runtime's view of the node, receiver faults by the capture's own switch.
 * The nemesis records, schedules (run), and heals.
 */
export class Nemesis {
  private readonly cluster: RuntimeCluster;
  private readonly history: History;
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  private readonly packages: FaultPackage[];

  constructor(opts: NemesisOptions) {
    this.cluster = opts.cluster;
    this.history = opts.history;
    const ctx: FaultContext = {
      cluster: this.cluster,
      history: this.history,
      receiver: opts.receiver,
      applyTimeoutMs: opts.verify?.applyTimeoutMs ?? 15_000,
      removeTimeoutMs: opts.verify?.removeTimeoutMs ?? 30_000,
      stopGraceMs: opts.stopGraceMs ?? 10_000,
      instance: randomBytes(2).toString('hex'),
      nodeIds: this.nodeIds,
      node: (id) => this.node(id),
      versions: opts.versions ?? (() => undefined),
    };
    this.packages = [linkFaults(ctx), receiverFaults(ctx), processFaults(ctx)];
  }

  /**
   * Adds a package for fault kinds of something the nemesis is not built with — the Prometheus
   * source's replicas and their paths (src/prometheus/faults.ts) — before the suite drives.
   */
  use(pkg: FaultPackage): void {
    this.packages.push(pkg);
  }

  private get nodeIds(): NodeId[] {
    return this.cluster.nodes.map((n) => n.id);
  }

  private node(id: NodeId): RuntimeNode {
    const n = this.cluster.nodes.find((x) => x.id === id);
    if (!n) throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `fault names unknown node ${id}`, { hint: `nodes are ${this.nodeIds.join(', ')}` });
    return n;
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
      await impl.apply();
      detail = await impl.verify();
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
    for (const p of this.packages) {
      const note = await p.heal?.().catch((e: unknown) => `nemesis heal (${p.name}): ${errorText(e)}`);
      if (note) this.history.append({ type: 'note', level: 'warn', message: note });
    }
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

  /** The package that handles a spec's kind plans it (and refuses what this cluster cannot do). */
  private plan(spec: FaultSpec, id: number): PlannedFault {
    const pkg = this.packages.find((p) => p.kinds.has(spec.kind));
    if (!pkg) {
      throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `unknown fault kind ${JSON.stringify((spec as { kind: unknown }).kind)}`, {
        hint: `Fault kinds: ${this.packages.flatMap((p) => [...p.kinds]).join(', ')}.`,
      });
    }
    return pkg.plan(spec, id);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
