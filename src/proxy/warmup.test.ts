import { describe, expect, it } from 'vitest';
import { sleep } from '../../test/support/proxy/sockets.js';
import { warmUpRelay } from './warmup.js';

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('warmUpRelay', () => {
  it('runs proxies made through its own API and leaves no socket, server or timer behind', { timeout: 30_000 }, async () => {
    const before = tcpHandles();
    const timersBefore = timers();
    await warmUpRelay({ roundTrips: 300, bulkBytes: 2 * 1024 * 1024 });
    // Closed handles leave the list once their close callbacks have run.
    const until = Date.now() + 2000;
    while (tcpHandles() > before && Date.now() < until) await sleep(10);
    expect(tcpHandles()).toBe(before);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });
});
