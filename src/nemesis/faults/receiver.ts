import { AmchaosError } from '../../errors/index.js';
import type { FaultSpec, ReceiverFaultSpec } from '../types.js';
import type { FaultContext, FaultPackage, PlannedFault } from './types.js';

/**
 * Receiver faults — 5xx answers, slow answers, dropped connections, the receiver down — through the
 * capture's own switches (ReceiverControl). They act synchronously in-process (down() resolves once
 * the listener is closed), so returning from the call is the proof. Work in every runtime.
 */
export function receiverFaults(ctx: FaultContext): FaultPackage {
  return {
    name: 'receiver',
    kinds: new Set(['receiver']),
    plan(spec: FaultSpec): PlannedFault {
      if (spec.kind !== 'receiver') throw new AmchaosError('AMCHAOS_INTERNAL', `the receiver package got a ${spec.kind} fault`);
      const receiver = ctx.receiver;
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
      const undo = async () => {
        if (spec.mode === 'down') await receiver.up();
        else receiver.clearFaults();
      };
      return {
        description: describe(spec),
        apply: async () => {
          if (spec.mode === 'down') await receiver.down();
          else if (spec.mode === 'status') receiver.setFault({ kind: 'status', status: spec.status });
          else if (spec.mode === 'slow') receiver.setFault({ kind: 'slow', delayMs: spec.delayMs });
          else receiver.setFault({ kind: 'drop' });
        },
        verify: async () => ({ verification: 'capture switch set' }),
        remove: async () => {
          await undo();
          return { verification: 'capture switch cleared', liftedAt: ctx.history.clock.now() };
        },
        rollback: undo,
      };
    },
  };
}

function describe(spec: ReceiverFaultSpec): string {
  switch (spec.mode) {
    case 'status':
      return `receiver answers ${spec.status}`;
    case 'slow':
      return `receiver answers after ${spec.delayMs} ms`;
    case 'drop':
      return 'receiver drops connections';
    case 'down':
      return 'receiver down';
  }
}
