/**
 * The outer layers of a memberlist packet or stream: compound, CRC, compress envelope, label.
 * Sender order, outermost first: [label] [crc] [compress] <message or compound>.
 */
import { crc32 } from 'node:zlib';
import { lzwCompress, lzwDecompress } from './lzw.js';
import { GoMsgpackWriter, decodeStruct } from './msgpack.js';
import { readCompress, writeCompress } from './messages.js';
import { LZW_ALGO, MessageType } from './types.js';

export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

/** Traffic refused because of its label header (foreign label, or any label on memberlist 0.2.2). */
export class LabelRejectedError extends WireFormatError {
  override name = 'LabelRejectedError';
}

// ---- compound (type 7): n:u8, n x u16 BE lengths, then the parts ----

const MAX_COMPOUND_PARTS = 255;

/** One compound message; at most 255 parts (see makeCompounds for more). */
export function makeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > MAX_COMPOUND_PARTS) throw new WireFormatError(`compound holds at most 255 parts, got ${parts.length}`);
  let size = 2 + 2 * parts.length;
  for (const p of parts) {
    if (p.length > 0xffff) throw new WireFormatError(`compound part of ${p.length} bytes exceeds 65535`);
    size += p.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = MessageType.compound;
  out[1] = parts.length;
  let at = 2;
  for (const p of parts) {
    view.setUint16(at, p.length);
    at += 2;
  }
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Like memberlist's makeCompoundMessages: one compound per 255 parts. */
export function makeCompounds(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i += MAX_COMPOUND_PARTS) out.push(makeCompound(parts.slice(i, i + MAX_COMPOUND_PARTS)));
  return out;
}

/**
 * Splits a compound body (bytes after the type byte). Like Go, parts cut short by the end of the
 * buffer are dropped and counted in `truncated`; a missing length table is an error.
 */
export function splitCompound(body: Uint8Array): { parts: Uint8Array[]; truncated: number } {
  if (body.length < 1) throw new WireFormatError('compound: missing length byte');
  const n = body[0]!;
  if (body.length < 1 + 2 * n) throw new WireFormatError('compound: truncated length table');
  const parts: Uint8Array[] = [];
  let at = 1 + 2 * n;
  for (let i = 0; i < n; i++) {
    const len = (body[1 + 2 * i]! << 8) | body[2 + 2 * i]!;
    if (at + len > body.length) return { parts, truncated: n - i };
    parts.push(body.subarray(at, at + len));
    at += len;
  }
  return { parts, truncated: 0 };
}

// ---- CRC (type 12): 0x0C, CRC32-IEEE(payload) big-endian, payload ----

export function addCrc(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 5);
  out[0] = MessageType.hasCrc;
  new DataView(out.buffer).setUint32(1, crc32(payload) >>> 0);
  out.set(payload, 5);
  return out;
}

/**
 * memberlist's ingestPacket rule: only a buffer of at least 5 bytes that starts with 12 carries a
 * CRC. Returns the payload, or null when the checksum does not match (Go drops such packets).
 */
export function stripCrc(buf: Uint8Array): { payload: Uint8Array; hadCrc: boolean } | null {
  if (buf.length >= 5 && buf[0] === MessageType.hasCrc) {
    const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
    const payload = buf.subarray(5);
    if ((crc32(payload) >>> 0) !== expected) return null;
    return { payload, hadCrc: true };
  }
  return { payload: buf, hadCrc: false };
}

// ---- compress envelope (type 9): msgpack {Algo: 0, Buf: lzw(inner)} ----

/** Wraps a whole message (type byte included) in a compress envelope, as Go's compressPayload. */
export function compressMessage(inner: Uint8Array): Uint8Array {
  const w = new GoMsgpackWriter(inner.length + 16);
  w.byte(MessageType.compress);
  writeCompress(w, { algo: LZW_ALGO, buf: lzwCompress(inner) });
  return w.finish();
}

/**
 * Reads a compress envelope body (bytes after the 9) at `offset`. Returns the decompressed inner
 * message and the offset after the envelope, or undefined when the envelope is still incomplete.
 */
export function readCompressed(buf: Uint8Array, offset: number): { inner: Uint8Array; end: number } | undefined {
  const r = decodeStruct(buf, offset, 'compress');
  if (r === undefined) return undefined;
  const c = readCompress(r.value);
  if (c.algo !== LZW_ALGO) throw new WireFormatError(`cannot decompress unknown algorithm ${c.algo}`);
  return { inner: lzwDecompress(c.buf), end: r.end };
}

// ---- label header (244): 0xF4, len (1..255), label bytes ----

/** Prefixes a label header. tsam never calls this on the wire (no Alertmanager here sets a label). */
export function addLabelHeader(label: string, buf: Uint8Array): Uint8Array {
  if (label === '') return buf;
  const l = Buffer.from(label, 'utf8');
  if (l.length > 255) throw new WireFormatError(`label is ${l.length} bytes; at most 255`);
  const out = new Uint8Array(2 + l.length + buf.length);
  out[0] = MessageType.hasLabel;
  out[1] = l.length;
  out.set(l, 2);
  out.set(buf, 2 + l.length);
  return out;
}

export type LabelStrip =
  | { kind: 'ok'; label: string; rest: Uint8Array }
  | { kind: 'incomplete' }
  | { kind: 'error'; reason: string };

/**
 * Removes a leading label header. `labelSupport` false models memberlist 0.2.2 (Debian's
 * Alertmanager 0.25.0), which has no labels and rejects byte 244 as an unknown message type.
 */
export function stripLabelHeader(buf: Uint8Array, labelSupport: boolean): LabelStrip {
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] !== MessageType.hasLabel) return { kind: 'ok', label: '', rest: buf };
  if (!labelSupport) return { kind: 'error', reason: 'invalid msgType (244)' };
  if (buf.length < 2) return { kind: 'incomplete' };
  const n = buf[1]!;
  if (n === 0) return { kind: 'error', reason: 'label header cannot be empty when present' };
  if (buf.length < 2 + n) return { kind: 'incomplete' };
  return { kind: 'ok', label: Buffer.from(buf.subarray(2, 2 + n)).toString('utf8'), rest: buf.subarray(2 + n) };
}
