/**
 * The packet path (UDP): turning a datagram into messages and a message into a datagram, the way
 * memberlist's ingestPacket/handleCommand and rawSendMsgPacket do it.
 */
import { WireFormatError, addCrc, compressMessage, readCompressed, splitCompound, stripCrc, stripLabelHeader } from './framing.js';
import type { WireCompat } from './compat.js';
import { MessageType } from './types.js';

/** One message found in a packet: its type byte and the bytes after it. */
export interface PacketMessage {
  type: number;
  body: Uint8Array;
}

export interface DecodedPacket {
  messages: PacketMessage[];
  /** Why (part of) the packet was dropped; Go logs these and carries on. */
  problems: string[];
  /** Whether the outermost layer carried a CRC. */
  hadCrc: boolean;
}

/** Compress and compound may nest; Go recurses without a limit, we stop at a sane depth. */
const MAX_NESTING = 8;

/**
 * Decodes a datagram. A label (tsam's own label is always "") or a bad CRC drops the whole packet;
 * a broken compound or compress part drops only that part, as in Go.
 */
export function decodePacket(buf: Uint8Array, compat: WireCompat): DecodedPacket {
  const out: DecodedPacket = { messages: [], problems: [], hadCrc: false };
  const label = stripLabelHeader(buf, compat.labelSupport);
  if (label.kind === 'incomplete') {
    out.problems.push('empty or truncated packet');
    return out;
  }
  if (label.kind === 'error') {
    out.problems.push(label.reason);
    return out;
  }
  if (label.label !== '') {
    out.problems.push(`discarding packet with unacceptable label "${label.label}"`);
    return out;
  }
  const crc = stripCrc(label.rest);
  if (crc === null) {
    out.problems.push('invalid checksum');
    return out;
  }
  out.hadCrc = crc.hadCrc;
  walk(crc.payload, 0, out);
  return out;
}

function walk(buf: Uint8Array, depth: number, out: DecodedPacket): void {
  if (buf.length < 1) {
    out.problems.push('missing message type byte');
    return;
  }
  const type = buf[0]!;
  const body = buf.subarray(1);
  if (depth > MAX_NESTING) {
    out.problems.push('compound/compress nested too deeply');
    return;
  }
  try {
    if (type === MessageType.compound) {
      const { parts, truncated } = splitCompound(body);
      if (truncated > 0) out.problems.push(`compound request had ${truncated} truncated messages`);
      for (const p of parts) walk(p, depth + 1, out);
      return;
    }
    if (type === MessageType.compress) {
      const r = readCompressed(body, 0);
      if (r === undefined) throw new WireFormatError('truncated compress envelope');
      walk(r.inner, depth + 1, out);
      return;
    }
  } catch (e) {
    out.problems.push(`${type === MessageType.compound ? 'compound' : 'compress'}: ${(e as Error).message}`);
    return;
  }
  out.messages.push({ type, body });
}

export interface PacketEncodeOptions {
  /** Add a CRC header: Go does when it knows the target node and the node's PMax >= 5. */
  crc: boolean;
  /** Try LZW; like Go, keep the compressed form only if it is shorter. */
  compress: boolean;
}

/** Wraps one message (or compound) for the packet path. Never adds a label. */
export function encodePacket(msg: Uint8Array, opts: PacketEncodeOptions): Uint8Array {
  let out = msg;
  if (opts.compress) {
    const c = compressMessage(msg);
    if (c.length < msg.length) out = c;
  }
  if (opts.crc) out = addCrc(out);
  return out;
}
