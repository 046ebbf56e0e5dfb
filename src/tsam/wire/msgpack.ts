/**
 * msgpack as hashicorp/go-msgpack writes it for memberlist, and a tolerant reader.
 *
 * Why the encoder is hand-written: go-msgpack's default MsgpackHandle speaks the *old* msgpack
 * spec. It writes strings and []byte alike as "raw" (fixstr, 0xda str16, 0xdb str32) and never
 * str8 (0xd9) or bin (0xc4..0xc6). @msgpack/msgpack always uses str8 for 32..255-byte strings and
 * bin for Uint8Array, and has no switch for the old spec, so it cannot produce Go's bytes; and
 * go-msgpack 0.5.x reads map keys and string fields only from the str family. The encoder below is
 * therefore a few primitive writers; the structs that use them live in messages.ts.
 *
 * Why the reader is split: decoding the values is done by @msgpack/msgpack (with rawStrings, so
 * []byte fields such as Addr/Vsn/Meta come back as bytes even though Go sends them as "str").
 * What the library does not expose is how many bytes one value took, which stream framing needs
 * (push/pull is header + N node states + raw user state, read from a TCP stream that may arrive in
 * pieces). `msgpackValueEnd` measures one value without decoding it.
 */
import { decode as libDecode } from '@msgpack/msgpack';

/**
 * How non-negative Go `int` fields are written. go-msgpack 0.5.x (all three Debian builds link
 * github.com/hashicorp/go-msgpack/codec, the v1 path) writes them like uints; go-msgpack/v2
 * (upstream 0.28+ builds) writes them signed. Every decoder accepts both.
 */
export type MsgpackIntStyle = 'unsigned' | 'signed';

/** Writes Go-shaped msgpack into a growing buffer. */
export class GoMsgpackWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(
    initial = 128,
    readonly intStyle: MsgpackIntStyle = 'unsigned',
  ) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Map header: Go structs are maps whose keys are the field names. */
  mapHeader(n: number): this {
    if (n < 16) return this.byte(0x80 | n);
    this.ensure(5);
    if (n < 0x10000) {
      this.buf[this.len++] = 0xde;
      this.view.setUint16(this.len, n);
      this.len += 2;
    } else {
      this.buf[this.len++] = 0xdf;
      this.view.setUint32(this.len, n);
      this.len += 4;
    }
    return this;
  }

  /** Old-spec raw header: fixstr, str16 or str32, never str8. */
  private rawHeader(n: number): void {
    this.ensure(5);
    if (n < 32) {
      this.buf[this.len++] = 0xa0 | n;
    } else if (n < 0x10000) {
      this.buf[this.len++] = 0xda;
      this.view.setUint16(this.len, n);
      this.len += 2;
    } else {
      this.buf[this.len++] = 0xdb;
      this.view.setUint32(this.len, n);
      this.len += 4;
    }
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.rawHeader(b.length);
    return this.bytes(b);
  }

  /** A Go []byte: nil encodes as nil (0xc0), an empty non-nil slice as 0xa0. */
  raw(b: Uint8Array | null): this {
    if (b === null) return this.nil();
    this.rawHeader(b.length);
    return this.bytes(b);
  }

  nil(): this {
    return this.byte(0xc0);
  }

  bool(v: boolean): this {
    return this.byte(v ? 0xc3 : 0xc2);
  }

  /** Go uint8/16/32/64: the smallest unsigned form that fits. */
  uint(n: number): this {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`msgpack uint out of range: ${n}`);
    this.ensure(9);
    if (n < 0x80) {
      this.buf[this.len++] = n;
    } else if (n < 0x100) {
      this.buf[this.len++] = 0xcc;
      this.buf[this.len++] = n;
    } else if (n < 0x10000) {
      this.buf[this.len++] = 0xcd;
      this.view.setUint16(this.len, n);
      this.len += 2;
    } else if (n < 0x100000000) {
      this.buf[this.len++] = 0xce;
      this.view.setUint32(this.len, n);
      this.len += 4;
    } else {
      this.buf[this.len++] = 0xcf;
      this.view.setBigUint64(this.len, BigInt(n));
      this.len += 8;
    }
    return this;
  }

  /** Go int: style decides between go-msgpack 0.5.x (uint forms) and v2 (signed forms). */
  int(n: number): this {
    if (!Number.isInteger(n)) throw new RangeError(`msgpack int not an integer: ${n}`);
    if (n >= 0 && this.intStyle === 'unsigned') return this.uint(n);
    this.ensure(9);
    if (n >= 0 && n < 0x80) {
      this.buf[this.len++] = n;
    } else if (n < 0 && n >= -32) {
      this.buf[this.len++] = 0xe0 | (n + 32);
    } else if (n >= -0x80 && n < 0) {
      this.buf[this.len++] = 0xd0;
      this.view.setInt8(this.len, n);
      this.len += 1;
    } else if (n >= -0x8000 && n < 0x8000) {
      this.buf[this.len++] = 0xd1;
      this.view.setInt16(this.len, n);
      this.len += 2;
    } else if (n >= -0x80000000 && n < 0x80000000) {
      this.buf[this.len++] = 0xd2;
      this.view.setInt32(this.len, n);
      this.len += 4;
    } else {
      this.buf[this.len++] = 0xd3;
      this.view.setBigInt64(this.len, BigInt(n));
      this.len += 8;
    }
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Thrown when bytes are not valid msgpack (as opposed to merely incomplete). */
export class MsgpackFormatError extends Error {
  override name = 'MsgpackFormatError';
}

/**
 * The offset just past the msgpack value that starts at `offset`, or undefined when `buf` ends
 * before the value does (more stream bytes needed). Throws MsgpackFormatError on a reserved byte.
 */
export function msgpackValueEnd(buf: Uint8Array, offset: number): number | undefined {
  // Iterative: `pending` counts values still to skip, so deep nesting cannot blow the stack.
  let pos = offset;
  let pending = 1;
  const len = buf.length;
  const need = (n: number): boolean => pos + n <= len;
  const u16 = (at: number): number => ((buf[at]! << 8) | buf[at + 1]!) >>> 0;
  const u32 = (at: number): number =>
    ((buf[at]! << 24) >>> 0) + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
  while (pending > 0) {
    if (!need(1)) return undefined;
    const b = buf[pos]!;
    pos += 1;
    pending -= 1;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
    if ((b & 0xe0) === 0xa0) {
      pos += b & 0x1f;
      continue;
    }
    if ((b & 0xf0) === 0x90) {
      pending += b & 0x0f;
      continue;
    }
    if ((b & 0xf0) === 0x80) {
      pending += 2 * (b & 0x0f);
      continue;
    }
    switch (b) {
      case 0xcc:
      case 0xd0:
        pos += 1;
        break;
      case 0xcd:
      case 0xd1:
        pos += 2;
        break;
      case 0xce:
      case 0xd2:
      case 0xca:
        pos += 4;
        break;
      case 0xcf:
      case 0xd3:
      case 0xcb:
        pos += 8;
        break;
      case 0xd4:
        pos += 2;
        break;
      case 0xd5:
        pos += 3;
        break;
      case 0xd6:
        pos += 5;
        break;
      case 0xd7:
        pos += 9;
        break;
      case 0xd8:
        pos += 17;
        break;
      case 0xc4:
      case 0xd9:
        if (!need(1)) return undefined;
        pos += 1 + buf[pos]!;
        break;
      case 0xc5:
      case 0xda:
        if (!need(2)) return undefined;
        pos += 2 + u16(pos);
        break;
      case 0xc6:
      case 0xdb:
        if (!need(4)) return undefined;
        pos += 4 + u32(pos);
        break;
      case 0xc7:
        if (!need(1)) return undefined;
        pos += 2 + buf[pos]!;
        break;
      case 0xc8:
        if (!need(2)) return undefined;
        pos += 3 + u16(pos);
        break;
      case 0xc9:
        if (!need(4)) return undefined;
        pos += 5 + u32(pos);
        break;
      case 0xdc:
        if (!need(2)) return undefined;
        pending += u16(pos);
        pos += 2;
        break;
      case 0xdd:
        if (!need(4)) return undefined;
        pending += u32(pos);
        pos += 4;
        break;
      case 0xde:
        if (!need(2)) return undefined;
        pending += 2 * u16(pos);
        pos += 2;
        break;
      case 0xdf:
        if (!need(4)) return undefined;
        pending += 2 * u32(pos);
        pos += 4;
        break;
      default:
        throw new MsgpackFormatError(`reserved msgpack byte 0x${b.toString(16)} at offset ${pos - 1}`);
    }
  }
  return pos <= len ? pos : undefined;
}

/** A decoded Go struct: keys are field names, raw strings stay bytes. */
export type MsgpackMap = Record<string, unknown>;

/**
 * Decodes the msgpack value at `offset`. Returns undefined if more bytes are needed.
 * Strings and []byte both come back as Uint8Array (rawStrings), map keys as strings.
 */
export function decodeMsgpackValue(buf: Uint8Array, offset: number): { value: unknown; end: number } | undefined {
  const end = msgpackValueEnd(buf, offset);
  if (end === undefined) return undefined;
  const value = libDecode(buf.subarray(offset, end), { rawStrings: true });
  return { value, end };
}

/** Decodes one msgpack map (a Go struct) at `offset`; throws if it is not a map. */
export function decodeStruct(buf: Uint8Array, offset: number, what: string): { value: MsgpackMap; end: number } | undefined {
  const r = decodeMsgpackValue(buf, offset);
  if (r === undefined) return undefined;
  if (r.value === null || typeof r.value !== 'object' || Array.isArray(r.value) || r.value instanceof Uint8Array) {
    throw new MsgpackFormatError(`${what}: expected a msgpack map`);
  }
  return { value: r.value as MsgpackMap, end: r.end };
}

/** Decodes a whole buffer that must hold exactly one struct. */
export function decodeWholeStruct(buf: Uint8Array, what: string): MsgpackMap {
  const r = decodeStruct(buf, 0, what);
  if (r === undefined) throw new MsgpackFormatError(`${what}: truncated msgpack`);
  return r.value;
}

// Field readers: Go's decoder is lenient (any int width, str or bin for bytes, nil for empty),
// so these are too. A wrong kind is an error, a missing field is the Go zero value.

const utf8 = new TextDecoder('utf-8');

export function fieldBytes(m: MsgpackMap, key: string): Uint8Array | null {
  const v = m[key];
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Uint8Array.from(v as number[]);
  throw new MsgpackFormatError(`field ${key}: expected bytes`);
}

export function fieldString(m: MsgpackMap, key: string): string {
  const v = m[key];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return utf8.decode(v);
  throw new MsgpackFormatError(`field ${key}: expected a string`);
}

export function fieldNumber(m: MsgpackMap, key: string): number {
  const v = m[key];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new MsgpackFormatError(`field ${key}: expected an integer`);
}

export function fieldBool(m: MsgpackMap, key: string): boolean {
  const v = m[key];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  throw new MsgpackFormatError(`field ${key}: expected a bool`);
}
