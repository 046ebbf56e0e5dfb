import { describe, expect, it } from 'vitest';
import type { ProxyStats } from '../proxy/index.js';
import { cutProven, flowProven, judgeCut, judgeFlow, linkDeltas, traffic } from './verify.js';

/** Hand-made counters: `recv` = what a node handed the proxy, `sent` = what the proxy delivered. */
function stats(o: { tcpRecv?: number; tcpSent?: number; udpRecv?: number; udpSent?: number; conns?: number; dropped?: number } = {}): ProxyStats {
  const tcpDir = (recv: number, sent: number) => ({ bytes_received: recv, bytes_sent: sent, bytes_dropped: o.dropped ?? 0 });
  const udpDir = (recv: number, sent: number) => ({ packets_received: recv ? 1 : 0, packets_sent: sent ? 1 : 0, packets_dropped: 0, bytes_received: recv, bytes_sent: sent, bytes_dropped: 0 });
  return {
    tcp: { connections_total: o.conns ?? 0, connections_active: 0, connections_failed: 0, upstream: tcpDir(o.tcpRecv ?? 0, o.tcpSent ?? 0), downstream: tcpDir(0, 0) },
    udp: { sessions_total: 0, sessions_active: 0, upstream: udpDir(o.udpRecv ?? 0, o.udpSent ?? 0), downstream: udpDir(0, 0) },
  };
}

describe('cut verification from counters', () => {
  const links = ['n1->n2', 'n2->n1', 'n1->n3'];
  const before = { 'n1->n2': stats({ udpRecv: 100, udpSent: 100 }), 'n2->n1': stats({ tcpRecv: 50, tcpSent: 50, conns: 1 }), 'n1->n3': stats() };

  it('holds when attempts grow and deliveries do not', () => {
    const after = { 'n1->n2': stats({ udpRecv: 300, udpSent: 100 }), 'n2->n1': stats({ tcpRecv: 90, tcpSent: 50, conns: 2 }), 'n1->n3': stats({ udpRecv: 10 }) };
    const v = judgeCut(linkDeltas(before, after, links), 'both');
    expect(v).toEqual({ leaked: [], held: ['n1->n2', 'n2->n1', 'n1->n3'], idle: [], heldBy: { tcp: ['n2->n1'], udp: ['n1->n2', 'n1->n3'] } });
    expect(cutProven(v, 'both')).toBe('complete');
  });

  it('reports a leak when any cut link delivered a byte (must fail)', () => {
    const after = { 'n1->n2': stats({ udpRecv: 300, udpSent: 101 }), 'n2->n1': stats({ tcpRecv: 50, tcpSent: 50, conns: 1 }), 'n1->n3': stats() };
    const v = judgeCut(linkDeltas(before, after, links), 'both');
    expect(v.leaked).toEqual(['n1->n2']);
    expect(v.idle).toEqual(['n2->n1', 'n1->n3']);
    expect(cutProven(v, 'both')).toBeUndefined();
  });

  it('only looks at the cut transport: a UDP-only cut ignores TCP deliveries', () => {
    const after = { 'n1->n2': stats({ udpRecv: 300, udpSent: 100, tcpRecv: 10, tcpSent: 10 }), 'n2->n1': stats({ tcpRecv: 90, tcpSent: 90, conns: 2 }), 'n1->n3': stats({ udpRecv: 5 }) };
    const udp = judgeCut(linkDeltas(before, after, links), 'udp');
    expect(udp).toMatchObject({ leaked: [], held: ['n1->n2', 'n1->n3'], idle: ['n2->n1'] });
    // Not every link held an attempt, but UDP did somewhere: proven by quorum only.
    expect(cutProven(udp, 'udp')).toBe('quorum');
    // A cut of both transports needs a held TCP attempt somewhere too.
    expect(cutProven({ ...udp, heldBy: { tcp: [], udp: udp.heldBy.udp } }, 'both')).toBeUndefined();
    // ...and the same counters are a leak for a TCP cut.
    expect(judgeCut(linkDeltas(before, after, links), 'tcp').leaked).toEqual(['n1->n2', 'n2->n1']);
  });

  it('counts a new TCP connection as an attempt even before it carries bytes', () => {
    const after = { ...before, 'n1->n3': stats({ conns: 1 }) };
    expect(judgeCut(linkDeltas(before, after, ['n1->n3']), 'tcp').held).toEqual(['n1->n3']);
  });
});

describe('flow verification from counters', () => {
  const before = { a: stats(), b: stats(), c: stats() };
  it('flowing, blocked (attempted but nothing delivered: must fail) and idle links', () => {
    const after = { a: stats({ udpRecv: 10, udpSent: 10 }), b: stats({ tcpRecv: 10, conns: 1 }), c: stats() };
    const v = judgeFlow(linkDeltas(before, after, ['a', 'b', 'c']), 'both');
    expect(v).toMatchObject({ flowing: ['a'], blocked: ['b'], idle: ['c'] });
    expect(flowProven(v, 'udp')).toBeUndefined();
    const healed = judgeFlow(linkDeltas(before, { ...after, b: stats({ tcpRecv: 10, tcpSent: 10 }) }, ['a', 'b', 'c']), 'both');
    expect(flowProven(healed, 'both')).toBe('quorum');
    expect(flowProven(judgeFlow(linkDeltas(before, { a: stats({ udpSent: 1 }), b: stats({ udpSent: 1 }), c: stats({ tcpSent: 1 }) }, ['a', 'b', 'c']), 'both'), 'both')).toBe('complete');
  });
  it('a missing link has no deltas (idle), never a false "flowing"', () => {
    const v = judgeFlow(linkDeltas(before, { a: stats({ udpSent: 5 }) }, ['x']), 'both');
    expect(v).toMatchObject({ flowing: [], blocked: [], idle: ['x'] });
    expect(flowProven(v, 'both')).toBeUndefined();
  });
});

describe('traffic summary', () => {
  it('sums delivered bytes per transport and dropped bytes', () => {
    expect(traffic(stats({ tcpSent: 7, udpSent: 5, dropped: 2 }))).toEqual({ tcpBytes: 7, udpBytes: 5, udpPackets: 1, droppedBytes: 4, droppedPackets: 0, tcpConnections: 0 });
  });
});
