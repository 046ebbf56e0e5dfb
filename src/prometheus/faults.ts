import { request } from 'undici';
import { AmchaosError } from '../errors/index.js';
import type { LinkControl } from '../fabric/link-control.js';
import type { History } from '../history/history.js';
import type { FaultPackage, PlannedFault } from '../nemesis/faults/types.js';
import { SOURCE_FAULT_KINDS, type FaultSpec, type FaultKind } from '../nemesis/types.js';
import { isStoppedState } from '../runtime/common/node-process.js';
import type { ReplicaSetup } from './config.js';
import type { PrometheusSource, SourceSetup } from './source.js';

/** Toxics of source cuts: `amc-s<fault>-up|down` (the nemesis's own are `amc-f…`). */
const TOXIC_PREFIX = 'amc-s';

/**
 * The fault package of the Prometheus source (the nemesis takes it with `use`): a replica killed
 * (started again on removal, and counted back only once it sends to its Alertmanagers again), a
 * replica paused, one replica cut from one node (blackhole on that pair's fabric link, proven by
 * its counters — a probe through the link makes the attempt, as for client links), and
 * `source-config` — a suite's mistake, in place from the verified reconfiguration until the
 * verified restoration of the setup before it.
 */
export function sourceFaults(source: PrometheusSource, history: History, links: LinkControl | undefined, timeouts: { applyMs: number; removeMs: number } = { applyMs: 15_000, removeMs: 30_000 }): FaultPackage {
  return {
    name: 'source',
    kinds: SOURCE_FAULT_KINDS as ReadonlySet<FaultKind>,
    plan(spec: FaultSpec, id: number): PlannedFault {
      switch (spec.kind) {
        case 'source-kill': {
          const r = source.replica(spec.replica);
          let detail: Record<string, unknown> = {};
          return {
            description: `kill Prometheus replica ${spec.replica}`,
            nodes: [spec.replica],
            apply: async () => {
              if (!r.running) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `replica ${spec.replica} is not running`, { hint: 'Another fault already stopped it.' });
              const pid = r.pid;
              const exit = await r.kill();
              history.append({ type: 'replica', replica: spec.replica, state: 'killed', ...(pid ? { pid } : {}), ...(exit ? { exit } : {}) });
              detail = { pid, exit };
            },
            verify: async () => {
              if (r.running) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `replica ${spec.replica} is still running`);
              return detail;
            },
            remove: async () => {
              await r.start();
              history.append({ type: 'replica', replica: spec.replica, state: 'started', ...(r.pid ? { pid: r.pid } : {}) });
              await source.waitReplicaInEffect(spec.replica);
              history.append({ type: 'replica', replica: spec.replica, state: 'ready' });
              return { pid: r.pid, liftedAt: history.clock.now() };
            },
            rollback: async () => {
              if (!r.running) await r.start().catch(() => undefined);
            },
          };
        }
        case 'source-pause': {
          const r = source.replica(spec.replica);
          let state: string | undefined;
          return {
            description: `pause Prometheus replica ${spec.replica}`,
            nodes: [spec.replica],
            apply: async () => {
              state = await r.pause();
            },
            verify: async () => {
              if (!isStoppedState(state)) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `pause ${spec.replica}: the process is in state ${state ?? 'gone'}`);
              history.append({ type: 'replica', replica: spec.replica, state: 'paused', ...(r.pid ? { pid: r.pid } : {}) });
              return { pid: r.pid, procState: state };
            },
            remove: async () => {
              const after = await r.resume();
              if (isStoppedState(after)) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `resume ${spec.replica}: the process is still stopped`);
              history.append({ type: 'replica', replica: spec.replica, state: 'resumed', ...(r.pid ? { pid: r.pid } : {}) });
              return { procState: after, liftedAt: history.clock.now() };
            },
            rollback: async () => {
              await r.resume();
            },
          };
        }
        case 'source-cut': {
          source.replica(spec.replica);
          if (!links) {
            throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `cutting replica ${spec.replica} from ${spec.node} needs per-link control, which this runtime does not have`, {
              hint: 'Use the netns runtime (--runtime netns, as root) or docker; replica kill and pause work in every runtime.',
            });
          }
          const link = links.link(`${spec.replica}->${spec.node}`).name;
          const names = { up: `${TOXIC_PREFIX}${id}-up`, down: `${TOXIC_PREFIX}${id}-down` };
          const description = `cut Prometheus replica ${spec.replica} from ${spec.node}`;
          let installed: ReturnType<LinkControl['snapshot']> | undefined;
          // The replica sends only while it has alerts to send: a probe through the link makes the
          // attempt that proves the cut, and the flow after it.
          const probe = async () => {
            try {
              const res = await request(`http://${links.link(link).listen}/-/healthy`, { headersTimeout: 500, bodyTimeout: 500 });
              await res.body.dump();
            } catch {
              /* a cut link does not answer */
            }
          };
          const removeToxics = async () => {
            for (const t of [names.up, names.down]) await links.removeToxic(link, t).catch(() => undefined);
          };
          return {
            description,
            nodes: [spec.replica, spec.node],
            apply: async () => {
              await links.addToxic(link, { name: names.up, type: 'blackhole', stream: 'upstream', transport: 'tcp' });
              await links.addToxic(link, { name: names.down, type: 'blackhole', stream: 'downstream', transport: 'tcp' });
            },
            verify: async () => {
              installed = links.snapshot([link]);
              await probe();
              const r = await links.verifyCut([link], 'tcp', installed, { timeoutMs: timeouts.applyMs });
              if (!r.ok) {
                throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${r.leaked.length > 0 ? 'bytes still crossed the link' : 'nothing was attempted on the link'}`, {
                  hint: 'Is the replica running and sending to that node?',
                });
              }
              return { links: [link], verification: { proof: r.proof, held: r.held, elapsedMs: r.elapsedMs } };
            },
            remove: async () => {
              const leaked = installed ? links.verifyCutNow([link], 'tcp', installed).leaked : [];
              await removeToxics();
              const liftedAt = history.clock.now();
              const before = links.snapshot([link]);
              await probe();
              const r = await links.verifyFlow([link], 'tcp', before, { timeoutMs: timeouts.removeMs });
              if (!r.ok) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `heal of ${description}: nothing flowed on ${link} within ${timeouts.removeMs} ms`);
              return { liftedAt, leakedDuringFault: leaked, verification: { proof: r.proof, elapsedMs: r.elapsedMs } };
            },
            rollback: removeToxics,
          };
        }
        case 'source-config': {
          const before = source.setup();
          const setup = spec.setup as SourceSetup;
          for (const [rid, s] of Object.entries(setup)) {
            source.replica(rid);
            checkSetup(rid, s);
          }
          return {
            description: spec.description,
            apply: () => source.reconfigure(setup, spec.description),
            verify: async () => ({ mistake: spec.mistake, setup }),
            remove: async () => {
              await source.reconfigure(before, `restored after: ${spec.description}`);
              return { liftedAt: history.clock.now() };
            },
            rollback: () => source.reconfigure(before, `restored after a failed: ${spec.description}`).catch(() => undefined),
          };
        }
        default:
          throw new AmchaosError('AMCHAOS_INTERNAL', `the source fault package got ${spec.kind}`);
      }
    },
  };
}

function checkSetup(id: string, s: Partial<ReplicaSetup>): void {
  if (!Array.isArray(s.targets) || s.targets.length === 0 || (s.via !== 'direct' && s.via !== 'load-balancer') || typeof s.dropReplicaLabel !== 'boolean') {
    throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `source-config: replica ${id}'s setup needs targets (at least one node), via (direct | load-balancer) and dropReplicaLabel`, {
      hint: 'Start from source.setup() and change what the mistake changes.',
    });
  }
}
