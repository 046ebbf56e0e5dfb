import { request } from 'undici';
import { AmchaosError } from '../errors/index.js';
import type { Fabric } from '../fabric/fabric.js';
import type { History } from '../history/history.js';
import { waitProcState, type FaultImpl, type FaultPlugin } from '../nemesis/nemesis.js';
import { SOURCE_FAULT_KINDS, type SourceFaultSpec } from '../nemesis/types.js';
import type { ReplicaSetup } from './config.js';
import type { PrometheusSource, SourceSetup } from './source.js';

/** Toxics of source cuts: `amc-s<fault>-up|down` (the nemesis's own are `amc-f…`). */
const TOXIC_PREFIX = 'amc-s';

/**
 * The nemesis plugin for the Prometheus source's faults: a replica killed (started again on
 * removal, and ready only once it sends to its Alertmanagers again), a replica paused, one replica
 * cut from one node (blackhole on that pair's fabric link, proven by its counters: the replica
 * sends every evaluation, so a held attempt comes within a second), and `source-config` — a
 * suite's mistake, in place from the verified reconfiguration to the verified restoration of the
 * setup before it.
 */
export function sourceFaults(source: PrometheusSource, history: History, fabric: Fabric | undefined, timeouts: { applyMs: number; removeMs: number } = { applyMs: 15_000, removeMs: 30_000 }): FaultPlugin {
  return {
    kinds: SOURCE_FAULT_KINDS,
    plan(spec: SourceFaultSpec, id: number): FaultImpl {
      switch (spec.kind) {
        case 'source-kill': {
          const r = source.replica(spec.replica);
          return {
            description: `kill Prometheus replica ${spec.replica}`,
            nodes: [spec.replica],
            apply: async () => {
              if (!r.running) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `replica ${spec.replica} is not running`, { hint: 'Another fault already stopped it.' });
              const pid = r.pid;
              await r.kill();
              if (r.running) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `replica ${spec.replica} is still running`);
              history.append({ type: 'replica', replica: spec.replica, state: 'killed', ...(pid ? { pid } : {}) });
              return { pid };
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
          return {
            description: `pause Prometheus replica ${spec.replica}`,
            nodes: [spec.replica],
            apply: async () => {
              r.pause();
              const state = await waitProcState(r.pid, (s) => s === 'T' || s === 't');
              if (state !== 'T' && state !== 't') throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `pause ${spec.replica}: the process is in state ${state ?? 'gone'}`);
              history.append({ type: 'replica', replica: spec.replica, state: 'paused', ...(r.pid ? { pid: r.pid } : {}) });
              return { pid: r.pid, procState: state };
            },
            remove: async () => {
              r.resume();
              const state = await waitProcState(r.pid, (s) => s !== 'T' && s !== 't');
              if (state === 'T' || state === 't') throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `resume ${spec.replica}: the process is still stopped`);
              history.append({ type: 'replica', replica: spec.replica, state: 'resumed', ...(r.pid ? { pid: r.pid } : {}) });
              return { procState: state, liftedAt: history.clock.now() };
            },
            rollback: async () => r.resume(),
          };
        }
        case 'source-cut': {
          source.replica(spec.replica);
          if (!fabric) {
            throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `cutting replica ${spec.replica} from ${spec.node} needs per-link control, which this runtime does not have`, {
              hint: 'Use the netns runtime (--runtime netns, as root); replica kill and pause work in every runtime.',
            });
          }
          const link = fabric.link(`${spec.replica}->${spec.node}`).name;
          const names = { up: `${TOXIC_PREFIX}${id}-up`, down: `${TOXIC_PREFIX}${id}-down` };
          const description = `cut Prometheus replica ${spec.replica} from ${spec.node}`;
          let installed: ReturnType<Fabric['snapshot']> | undefined;
          // The replica sends only while it has alerts to send: a probe through the link (as the
          // nemesis does on client links) makes the attempt that proves the cut, and the flow after it.
          const probe = async () => {
            try {
              const res = await request(`http://${fabric.link(link).listen}/-/healthy`, { headersTimeout: 500, bodyTimeout: 500 });
              await res.body.dump();
            } catch {
              /* a cut link does not answer */
            }
          };
          const removeToxics = async () => {
            for (const t of [names.up, names.down]) await fabric.removeToxic(link, t).catch(() => undefined);
          };
          return {
            description,
            nodes: [spec.replica, spec.node],
            apply: async () => {
              await fabric.addToxic(link, { name: names.up, type: 'blackhole', stream: 'upstream', transport: 'tcp' });
              await fabric.addToxic(link, { name: names.down, type: 'blackhole', stream: 'downstream', transport: 'tcp' });
              installed = fabric.snapshot([link]);
              await probe();
              const r = await fabric.verifyCut([link], 'tcp', installed, { timeoutMs: timeouts.applyMs });
              if (!r.ok) {
                throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${r.leaked.length > 0 ? 'bytes still crossed the link' : 'the replica attempted nothing on the link'}`, {
                  hint: 'Is the replica running and sending to that node?',
                });
              }
              return { links: [link], verification: { proof: r.proof, held: r.held, elapsedMs: r.elapsedMs } };
            },
            remove: async () => {
              const leaked = installed ? fabric.verifyCutNow([link], 'tcp', installed).leaked : [];
              await removeToxics();
              const liftedAt = history.clock.now();
              const before = fabric.snapshot([link]);
              await probe();
              const r = await fabric.verifyFlow([link], 'tcp', before, { timeoutMs: timeouts.removeMs });
              if (!r.ok) throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `heal of ${description}: nothing flowed on ${link} within ${timeouts.removeMs} ms`);
              return { liftedAt, leakedDuringFault: leaked, verification: { proof: r.proof, elapsedMs: r.elapsedMs } };
            },
            rollback: removeToxics,
          };
        }
        case 'source-config': {
          const before = source.setup();
          const setup = spec.setup as SourceSetup;
          for (const [id, s] of Object.entries(setup)) {
            source.replica(id);
            checkSetup(id, s);
          }
          return {
            description: spec.description,
            apply: async () => {
              await source.reconfigure(setup, spec.description);
              return { mistake: spec.mistake, setup };
            },
            remove: async () => {
              await source.reconfigure(before, `restored after: ${spec.description}`);
              return { liftedAt: history.clock.now() };
            },
            rollback: () => source.reconfigure(before, `restored after a failed: ${spec.description}`).catch(() => undefined),
          };
        }
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
