import { BaseTcpStage } from './stage.js';
import type { Chunk, ToxicDefinition } from './toxic.js';

/**
 * Lets `bytes` bytes through this link, cuts the chunk that crosses the limit, then closes the
 * connection (after what it let through has been delivered). The counter is per link and starts when
 * the toxic reaches the link; it survives updates, so lowering `bytes` below what already passed closes
 * on the next data. bytes = 0 closes on the first data, not at once (Toxiproxy).
 */
class LimitDataStage extends BaseTcpStage {
  private passed = 0;
  private closed = false;

  protected process(chunk: Chunk): void {
    if (this.closed) {
      this.host.dropped(chunk.data.length);
      return;
    }
    const remaining = Math.max(0, this.toxic.attr('bytes') - this.passed);
    if (chunk.data.length < remaining) {
      this.passed += chunk.data.length;
      this.next.push(chunk);
      return;
    }
    this.closed = true;
    this.passed += remaining;
    if (remaining > 0) this.next.push({ data: chunk.data.subarray(0, remaining), t: chunk.t });
    this.host.dropped(chunk.data.length - remaining);
    this.next.end('close');
  }

  protected override processEnd(kind: 'eof' | 'close'): void {
    if (this.closed) return;
    this.closed = true;
    this.next.end(kind);
  }
}

export const limitDataToxic: ToxicDefinition = {
  type: 'limit_data',
  attributes: [{ name: 'bytes', integer: true, min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'bytes' }],
  supports: { tcp: true, udp: false },
  defaultTransport: 'tcp',
  createTcpStage: (toxic, host, next) => new LimitDataStage(toxic, host, next),
};
