import { BaseTcpStage } from './stage.js';
import { DROP, type Chunk, type ToxicDefinition } from './toxic.js';
import { TimeoutStage } from './timeout.js';

class NoopStage extends BaseTcpStage {
  protected process(chunk: Chunk): void {
    this.next.push(chunk);
  }
}

/** Toxiproxy's registered no-op toxic (it can be created through the API). */
export const noopToxic: ToxicDefinition = {
  type: 'noop',
  attributes: [],
  supports: { tcp: true, udp: true },
  defaultTransport: 'both',
  createTcpStage: (toxic, host, next) => new NoopStage(toxic, host, next),
  udpVerdict: () => 0,
};

/** A timeout that never fires: drops every byte and keeps the connection open. */
class BlackholeStage extends TimeoutStage {
  protected override timeoutMs(): number {
    return 0;
  }
}

/**
 * Extension: drop everything in one direction. On UDP every datagram is dropped; on TCP it behaves like
 * `timeout` with timeout 0 (bytes dropped, connection kept open, closed when the toxic is removed so a
 * stream that lost bytes is never handed on).
 */
export const blackholeToxic: ToxicDefinition = {
  type: 'blackhole',
  attributes: [],
  supports: { tcp: true, udp: true },
  defaultTransport: 'both',
  createTcpStage: (toxic, host, next) => new BlackholeStage(toxic, host, next),
  udpVerdict: () => DROP,
};

/**
 * Extension, UDP only: drop each datagram with `probability`. There is no TCP meaning (a byte stream
 * cannot lose bytes; on TCP loss shows up as latency, which is what the latency toxic is for).
 */
export const lossToxic: ToxicDefinition = {
  type: 'loss',
  attributes: [{ name: 'probability', integer: false, min: 0, max: 1, unit: 'probability 0..1' }],
  supports: { tcp: false, udp: true },
  defaultTransport: 'udp',
  udpVerdict: (toxic) => (Math.random() < toxic.attr('probability') ? DROP : 0),
};
