import { AmchaosError } from '../../errors/index.js';
import type { NodeId } from '../../history/types.js';
import type { NodeProof } from '../../runtime/types.js';
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

  return {
    name: 'process',
    kinds: new Set(['kill', 'terminate', 'restart', 'pause', 'disconnect']),
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
        default:
          throw new AmchaosError('AMCHAOS_INTERNAL', `the process package got a ${spec.kind} fault`);
      }
    },
  };
}
