import { AmchaosError } from '../../errors/index.js';
import type { NodeId } from '../../history/types.js';
import type { NodeProof, NodeRespec } from '../../runtime/types.js';
import type { FaultSpec } from '../types.js';
import type { FaultContext, FaultPackage, PlannedFault } from './types.js';

/**
 * Process faults — kill, terminate, restart (storage kept or wiped), pause, and on docker a network
 * disconnect — through the node
 * operations of the runtime, which resolve only once the runtime has seen them take effect (the
 * kernel's view of a process, the daemon's view of a container). The nemesis records the proof the
 * runtime returns; it never looks at a pid itself.
 */
export function processFaults(ctx: FaultContext): FaultPackage {
  const stopping = (nodeId: NodeId, signal: 'SIGTERM' | 'SIGKILL', wipe: boolean, description: string): PlannedFault => {
    const node = ctx.node(nodeId);
    let detail: Record<string, unknown> = {};
    return {
      description,
      nodes: [nodeId],
      apply: async () => {
        if (!node.running) {
          throw new AmchaosError('AMCHAOS_FAULT_NOT_VERIFIED', `${description}: ${nodeId} is not running`, { hint: 'Another fault already stopped it.' });
        }
        const pid = node.pid;
        let proof: NodeProof;
        if (signal === 'SIGKILL') proof = await node.kill();
        else {
          ctx.history.append({ type: 'node', node: nodeId, state: 'stopping', ...(pid ? { pid } : {}) });
          proof = await node.stop({ graceMs: ctx.stopGraceMs });
        }
        ctx.history.append({ type: 'node', node: nodeId, state: signal === 'SIGKILL' ? 'killed' : 'stopped', ...(pid ? { pid } : {}), ...(proof.exit ? { exit: proof.exit } : {}) });
        if (wipe) await node.wipeStorage();
        detail = { signal, ...proof, wiped: wipe };
      },
      verify: async () => detail,
      remove: async () => {
        ctx.history.append({ type: 'node', node: nodeId, state: 'starting' });
        await node.start();
        ctx.history.append({ type: 'node', node: nodeId, state: 'started', ...(node.pid ? { pid: node.pid } : {}) });
        return { pid: node.pid, liftedAt: ctx.history.clock.now() };
      },
      rollback: async () => {
        if (!node.running) await node.start().catch(() => undefined);
      },
    };
  };

  const pause = (nodeId: NodeId): PlannedFault => {
    const node = ctx.node(nodeId);
    if (!ctx.cluster.capabilities.pause) {
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the ${ctx.cluster.runtime} runtime cannot pause nodes`, { hint: 'Use the process or netns runtime.' });
    }
    let detail: Record<string, unknown> = {};
    return {
      description: `pause ${nodeId}`,
      nodes: [nodeId],
      apply: async () => {
        const proof = await node.pause();
        ctx.history.append({ type: 'node', node: nodeId, state: 'paused', ...(proof.pid ? { pid: proof.pid } : {}) });
        detail = { ...proof };
      },
      verify: async () => detail,
      remove: async () => {
        const proof = await node.resume();
        ctx.history.append({ type: 'node', node: nodeId, state: 'resumed', ...(proof.pid ? { pid: proof.pid } : {}) });
        return { ...proof, liftedAt: ctx.history.clock.now() };
      },
      rollback: async () => {
        await node.resume();
      },
    };
  };

  const disconnect = (nodeId: NodeId): PlannedFault => {
    const node = ctx.node(nodeId);
    if (!ctx.cluster.capabilities.disconnect || !node.disconnect || !node.reconnect) {
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the ${ctx.cluster.runtime} runtime cannot take a node off its network`, {
        hint: 'Use the docker runtime (--runtime docker) for network disconnect; elsewhere, isolate the node with a partition.',
      });
    }
    let detail: Record<string, unknown> = {};
    return {
      description: `disconnect ${nodeId} from the network`,
      nodes: [nodeId],
      apply: async () => {
        detail = { ...(await node.disconnect!()) };
      },
      verify: async () => detail,
      remove: async () => ({ ...(await node.reconnect!()), liftedAt: ctx.history.clock.now() }),
      rollback: async () => {
        await node.reconnect!();
      },
    };
  };

  /**
   * Restarts a node as something else — another version (an upgrade step), other flags — through
   * RuntimeNode.respec: SIGTERM (snapshots written, memberlist Leave), storage kept, respec, start;
   * applied once it runs again. `revert`: removal restarts it as it was; otherwise removal only
   * ends the fault's window (an upgraded node stays upgraded).
   */
  const respecced = (nodeId: NodeId, description: string, change: NodeRespec, revert: boolean): PlannedFault => {
    const node = ctx.node(nodeId);
    if (!ctx.cluster.capabilities.respec || !node.respec) {
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the ${ctx.cluster.runtime} runtime cannot restart a node as another version or with other flags`, {
        hint: 'Use the process or netns runtime.',
      });
    }
    const before: NodeRespec = { version: node.spec.version, extraArgs: [...node.spec.extraArgs] };
    let detail: Record<string, unknown> = {};
    const restartAs = async (what: NodeRespec) => {
      const pid = node.pid;
      if (node.running) {
        ctx.history.append({ type: 'node', node: nodeId, state: 'stopping', ...(pid ? { pid } : {}) });
        const proof = await node.stop({ graceMs: ctx.stopGraceMs });
        ctx.history.append({ type: 'node', node: nodeId, state: 'stopped', ...(pid ? { pid } : {}), ...(proof.exit ? { exit: proof.exit } : {}) });
      }
      await node.respec!(what);
      ctx.history.append({ type: 'node', node: nodeId, state: 'starting', message: `as ${node.spec.version.requested} ${node.spec.extraArgs.join(' ')}`.trim() });
      await node.start();
      ctx.history.append({ type: 'node', node: nodeId, state: 'started', ...(node.pid ? { pid: node.pid } : {}) });
      return { pid: node.pid, version: node.spec.version.requested, ...(node.spec.version.reportedVersion ? { reportedVersion: node.spec.version.reportedVersion } : {}), extraArgs: node.spec.extraArgs };
    };
    return {
      description,
      nodes: [nodeId],
      apply: async () => {
        detail = { from: before.version!.requested, ...(await restartAs(change)) };
      },
      verify: async () => detail,
      remove: async () => {
        if (!revert) return { liftedAt: ctx.history.clock.now(), stays: node.spec.version.requested };
        return { ...(await restartAs(before)), liftedAt: ctx.history.clock.now() };
      },
      rollback: async () => {
        if (node.running) return;
        await node.respec!(before).catch(() => undefined);
        await node.start().catch(() => undefined);
      },
    };
  };

  return {
    name: 'process',
    kinds: new Set(['kill', 'terminate', 'restart', 'pause', 'disconnect', 'upgrade', 'node-flags']),
    plan(spec: FaultSpec): PlannedFault {
      switch (spec.kind) {
        case 'kill':
          return stopping(spec.node, 'SIGKILL', false, `kill ${spec.node}`);
        case 'terminate':
          return stopping(spec.node, 'SIGTERM', false, `terminate ${spec.node}`);
        case 'restart':
          return stopping(spec.node, spec.signal ?? 'SIGTERM', spec.wipe ?? false, `restart ${spec.node} (${spec.signal ?? 'SIGTERM'}${spec.wipe ? ', storage wiped' : ''})`);
        case 'pause':
          return pause(spec.node);
        case 'disconnect':
          return disconnect(spec.node);
        case 'upgrade': {
          const version = ctx.versions(spec.version);
          if (!version) {
            throw new AmchaosError('AMCHAOS_INVALID_SCENARIO', `upgrade ${spec.node} to ${spec.version}: that version was not resolved before the run`, {
              hint: 'Give it with --upgrade-to (amchaos run) so it is fetched and its amtool checks the config before anything starts.',
            });
          }
          return respecced(spec.node, `upgrade ${spec.node} to ${spec.version}`, { version }, false);
        }
        case 'node-flags':
          return respecced(spec.node, `restart ${spec.node} with ${spec.flags.join(' ')}`, { extraArgs: [...ctx.node(spec.node).spec.extraArgs, ...spec.flags] }, true);
        default:
          throw new AmchaosError('AMCHAOS_INTERNAL', `the process package got a ${spec.kind} fault`);
      }
    },
  };
}
