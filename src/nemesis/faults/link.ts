import { AmchaosError, isAmchaosError } from '../../errors/index.js';
import { clientLinkName, receiverLinkName } from '../../fabric/names.js';
import type { LinkControl } from '../../fabric/link-control.js';
import type { Transport } from '../../fabric/types.js';
import type { NodeId } from '../../history/types.js';
import type { CreateToxicInput } from '../../proxy/index.js';
import { cutLinks, partitionGroups, selectLinks } from '../partitions.js';
import { LINK_FAULT_KINDS, type FaultSpec } from '../types.js';
import type { FaultContext, FaultPackage, PlannedFault } from './types.js';

/** Prefix of every toxic the nemesis adds (`amc-f<fault>-<instance>-up|down`); toxics added by hand through the HTTP API are left alone. */
export const NEMESIS_TOXIC_PREFIX = 'amc-f';

/**
 * Link faults — partitions of every shape, one-transport cuts, latency, loss, client and receiver
 * cuts — as toxics on the links of a LinkControl (the fabric). Each is proven by the links'
 * counters: a cut holds when attempts are held and nothing is delivered, a heal when links deliver
 * again. Needs a runtime with per-link control; elsewhere every spec is refused before anything
 * happens, naming the runtimes that have it.
 */
export function linkFaults(ctx: FaultContext): FaultPackage {
  const control = (kind: string): LinkControl => {
    const c = ctx.cluster;
    if (!c.capabilities.linkFaults || !c.fabric) {
      throw new AmchaosError(
        'AMCHAOS_RUNTIME_UNSUPPORTED',
        `${kind} faults need per-link control, which the ${c.runtime} runtime does not have (its nodes share one address, so a connection cannot be traced to its sender)`,
        { hint: 'Use the netns runtime (--runtime netns, as root) or the docker runtime (--runtime docker, a Docker engine, no root) for partitions, cuts, latency and loss; process faults (kill, terminate, pause, restart) and receiver faults work in every runtime.' },
      );
    }
    return c.fabric;
  };

  // Before the first link fault: proof that gossip goes only through the links (kept in that fault's detail).
  let routing: Promise<Record<string, unknown> | undefined> | undefined;
  let routingReported = false;
  const routed = async (): Promise<Record<string, unknown>> => {
    routing ??= ctx.cluster.verifyRouting?.() ?? Promise.resolve(undefined);
    const proof = await routing.catch((e: unknown) => {
      routing = undefined;
      throw e;
    });
    if (!proof || routingReported) return {};
    routingReported = true;
    return { routing: proof };
  };

  const toxicNames = (id: number) => {
    // The instance tag keeps two nemeses on one fabric from removing each other's toxics.
    const base = `${NEMESIS_TOXIC_PREFIX}${id}-${ctx.instance}`;
    return { up: `${base}-up`, down: `${base}-down` };
  };

  const addBoth = async (links: LinkControl, id: number, names: readonly string[], toxic: CreateToxicInput) => {
    const t = toxicNames(id);
    for (const link of names) {
      await links.addToxic(link, { ...toxic, name: t.up, stream: 'upstream' });
      await links.addToxic(link, { ...toxic, name: t.down, stream: 'downstream' });
    }
  };

  const removeBoth = async (links: LinkControl, id: number, names: readonly string[]) => {
    const t = toxicNames(id);
    for (const link of names) {
      for (const name of [t.up, t.down]) {
        await links.removeToxic(link, name).catch((e: unknown) => {
          if (!isAmchaosError(e, 'AMCHAOS_NOT_FOUND')) throw e;
        });
      }
    }
  };

  /**
   * Blackhole toxics on both streams of `transport`. Applied = the counters show attempts held and
   * nothing delivered; removed = the links deliver again. Client links get their traffic from a
   * probe; receiver links only carry what nodes send, so there a cut with no attempt is accepted as
   * long as nothing leaked (the detail says so).
   */
  const cut = (id: number, names: string[], transport: Transport, description: string, kind: 'peer' | 'client' | 'receiver'): PlannedFault => {
    const links = control('cut');
    let installed: ReturnType<LinkControl['snapshot']> | undefined;
    const receiverSide = kind === 'receiver';
    let routingDetail: Record<string, unknown> = {};
    return {
      description,
      apply: async () => {
        routingDetail = await routed();
        await addBoth(links, id, names, { type: 'blackhole', transport });
      },
      verify: async () => {
        const before = links.snapshot(names);
        installed = before;
        await links.exercise(names);
        const r = await links.verifyCut(names, transport, before, { timeoutMs: receiverSide ? Math.min(2_000, ctx.applyTimeoutMs) : ctx.applyTimeoutMs });
        const ok = receiverSide ? r.leaked.length === 0 : r.ok;
        const detail = { links: names, transport, verification: { proof: r.proof, leaked: r.leaked, held: r.held, heldBy: r.heldBy, idle: r.idle, elapsedMs: r.elapsedMs }, ...routingDetail };
        if (!ok) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${r.leaked.length > 0 ? `bytes still crossed ${r.leaked.join(', ')}` : `no traffic was attempted on any cut link within ${ctx.applyTimeoutMs} ms`}`, {
            hint: r.leaked.length > 0 ? 'The proxy did not hold the cut: this is a harness bug, please report it with the run directory.' : 'Are the nodes running? A cut can only be proven while nodes try to talk; raise verify.applyTimeoutMs for slow clusters.',
            details: detail,
          });
        }
        return detail;
      },
      remove: async () => {
        // Did the cut hold for its whole life? (A leak here means the fault was not what it claimed.)
        const leakedDuringFault = installed ? links.verifyCutNow(names, transport, installed).leaked : [];
        if (leakedDuringFault.length > 0) {
          ctx.history.append({ type: 'note', level: 'error', message: `${description}: bytes crossed ${leakedDuringFault.join(', ')} while the cut was in place` });
        }
        await removeBoth(links, id, names);
        const liftedAt = ctx.history.clock.now();
        const before = links.snapshot(names);
        await links.exercise(names);
        const r = await links.verifyFlow(names, transport, before, { timeoutMs: receiverSide ? Math.min(2_000, ctx.removeTimeoutMs) : ctx.removeTimeoutMs });
        const ok = receiverSide ? r.blocked.length === 0 : r.ok;
        const detail = { liftedAt, leakedDuringFault, verification: { proof: r.proof, flowing: r.flowing, blocked: r.blocked, idle: r.idle, elapsedMs: r.elapsedMs } };
        if (!ok) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `heal of ${description}: ${r.blocked.length > 0 ? `${r.blocked.join(', ')} still deliver nothing` : `no traffic flowed within ${ctx.removeTimeoutMs} ms`}`, {
            hint: 'Are the nodes running? Raise verify.removeTimeoutMs if the cluster needs longer to reconnect.',
            details: detail,
          });
        }
        return detail;
      },
      rollback: () => removeBoth(links, id, names),
    };
  };

  /** Latency and loss: applied = the proxy reports the toxics on every link; removed = gone and traffic flows. */
  const toxic = (id: number, names: string[], t: CreateToxicInput, description: string): PlannedFault => {
    const links = control(t.type);
    const tn = toxicNames(id);
    let routingDetail: Record<string, unknown> = {};
    return {
      description,
      apply: async () => {
        routingDetail = await routed();
        await addBoth(links, id, names, t);
      },
      verify: async () => {
        const missing = names.filter((l) => !links.toxics(l).some((x) => x.name === tn.up) || !links.toxics(l).some((x) => x.name === tn.down));
        if (missing.length > 0) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: the toxic is missing on ${missing.join(', ')}`, { hint: 'Was it removed through the HTTP API meanwhile?' });
        }
        return { links: names, toxic: t, ...routingDetail };
      },
      remove: async () => {
        await removeBoth(links, id, names);
        const liftedAt = ctx.history.clock.now();
        const before = links.snapshot(names);
        const r = await links.verifyFlow(names, 'both', before, { timeoutMs: ctx.removeTimeoutMs });
        const detail = { liftedAt, verification: { proof: r.proof, flowing: r.flowing, blocked: r.blocked, idle: r.idle, elapsedMs: r.elapsedMs } };
        if (!r.ok) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `heal of ${description}: ${r.blocked.length > 0 ? `${r.blocked.join(', ')} still deliver nothing` : `no traffic flowed within ${ctx.removeTimeoutMs} ms`}`, {
            hint: 'Are the nodes running? Raise verify.removeTimeoutMs.',
            details: detail,
          });
        }
        return detail;
      },
      rollback: () => removeBoth(links, id, names),
    };
  };

  return {
    name: 'link',
    kinds: LINK_FAULT_KINDS,
    plan(spec: FaultSpec, id: number): PlannedFault {
      control(spec.kind);
      const ids = ctx.nodeIds;
      switch (spec.kind) {
        case 'partition': {
          const groups = partitionGroups(spec, ids);
          const links = cutLinks(groups, ids);
          const transport = spec.transport ?? 'both';
          const what = spec.mode === 'isolate' ? `isolate ${spec.node}` : `${spec.mode} ${groups.map((g) => `[${g.join(' ')}]`).join(' ')}`;
          const f = cut(id, links, transport, `partition ${what}${transport === 'both' ? '' : ` (${transport} only)`}`, 'peer');
          f.components = groups;
          f.nodes = [...ids];
          return f;
        }
        case 'link-cut': {
          const links = selectLinks(spec.links, ids);
          return cut(id, links, spec.transport, `${spec.transport === 'both' ? '' : `${spec.transport}-only `}cut ${describeLinks(links, ids)}`, 'peer');
        }
        case 'client-cut': {
          spec.nodes.forEach((n) => ctx.node(n));
          const f = cut(id, spec.nodes.map(clientLinkName), 'tcp', `client cannot reach ${spec.nodes.join(' ')}`, 'client');
          f.nodes = [...spec.nodes];
          return f;
        }
        case 'receiver-cut': {
          spec.nodes.forEach((n) => ctx.node(n));
          const f = cut(id, spec.nodes.map(receiverLinkName), 'tcp', `${spec.nodes.join(' ')} cannot reach the receiver`, 'receiver');
          f.nodes = [...spec.nodes];
          return f;
        }
        case 'latency': {
          if (!(spec.latencyMs >= 0) || !((spec.jitterMs ?? 0) >= 0)) {
            throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `latency ${spec.latencyMs}±${spec.jitterMs ?? 0} ms: both must be non-negative`, { hint: 'e.g. { latencyMs: 200, jitterMs: 50 }' });
          }
          const links = selectLinks(spec.links, ids);
          const attrs = { latency: Math.round(spec.latencyMs), jitter: Math.round(spec.jitterMs ?? 0) };
          return toxic(id, links, { type: 'latency', attributes: attrs, transport: 'both' }, `latency ${attrs.latency}ms±${attrs.jitter} on ${describeLinks(links, ids)}`);
        }
        case 'loss': {
          if (!(spec.probability >= 0 && spec.probability <= 1)) {
            throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `loss probability ${spec.probability} is not between 0 and 1`, { hint: 'e.g. { probability: 0.3 }' });
          }
          const links = selectLinks(spec.links, ids);
          return toxic(id, links, { type: 'loss', attributes: { probability: spec.probability }, transport: 'udp' }, `udp loss ${Math.round(spec.probability * 100)}% on ${describeLinks(links, ids)}`);
        }
        default:
          throw new AmchaosError('AMCHAOS_INTERNAL', `the link package got a ${spec.kind} fault`);
      }
    },
    async heal() {
      const fabric = ctx.cluster.fabric;
      if (!fabric) return undefined;
      const mine = (name: string) => name.startsWith(NEMESIS_TOXIC_PREFIX) && name.includes(`-${ctx.instance}-`);
      const stray = await fabric.removeToxics(mine).catch(() => 0);
      return stray > 0 ? `nemesis heal removed ${stray} stray toxic(s)` : undefined;
    },
  };
}

/** "all peer links", "n1<->n2", or the list. */
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
