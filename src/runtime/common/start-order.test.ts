import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../types.js';
import { startInPositionOrder } from './start-order.js';

/** Nodes whose start() records when it began and ended, on a clock of resolved promises. */
function fakeNodes(kinds: ('ulid' | 'named' | 'unclustered')[], fail?: number) {
  const log: string[] = [];
  const nodes = kinds.map((kind, index) => ({
    spec: { index, clustered: kind !== 'unclustered', version: { features: { peerName: kind === 'named' } } } as unknown as NodeSpec,
    async start() {
      log.push(`start n${index + 1}`);
      // A few turns of the event loop: enough for another start to begin if it is allowed to.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      if (index === fail) throw new Error(`n${index + 1} failed`);
      log.push(`up n${index + 1}`);
    },
  }));
  return { nodes, log };
}

describe('startInPositionOrder', () => {
  it('starts ULID-named nodes one at a time in index order, named ones all at once', async () => {
    const { nodes, log } = fakeNodes(['ulid', 'named', 'ulid', 'named']);
    await startInPositionOrder(nodes);
    // n1 before n3, and n3 only once n1 is up; n2 and n4 start right away.
    expect(log.slice(0, 3)).toEqual(['start n1', 'start n2', 'start n4']);
    expect(log.indexOf('start n3')).toBeGreaterThan(log.indexOf('up n1'));
    expect(log.filter((l) => l.startsWith('up'))).toHaveLength(4);
  });

  it('starts unclustered nodes at once whatever their version', async () => {
    const { nodes, log } = fakeNodes(['unclustered', 'unclustered', 'unclustered']);
    await startInPositionOrder(nodes);
    expect(log.slice(0, 3)).toEqual(['start n1', 'start n2', 'start n3']);
  });

  it('reports a failed start only after every other start has settled', async () => {
    const { nodes, log } = fakeNodes(['named', 'named', 'ulid', 'ulid'], 0);
    await expect(startInPositionOrder(nodes)).rejects.toThrow('n1 failed');
    expect(log).toContain('up n2');
    expect(log).toContain('up n4');
  });
});
