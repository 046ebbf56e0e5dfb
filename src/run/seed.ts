import { createHash } from 'node:crypto';

/** A scenario's seed: the run seed mixed with the scenario id, so scenarios differ but replay exactly. */
export function seedFor(runSeed: number, scenarioId: string): number {
  return createHash('sha256').update(`${runSeed}:${scenarioId}`).digest().readUInt32BE(0);
}
