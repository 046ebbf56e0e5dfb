/**
 * Protobuf codecs for the replicated state (nflogpb and silencepb), written against protobufjs'
 * Reader/Writer so every byte is under control: Go omits proto3 default values (protobufjs' reflection
 * encoder would write `idx: 0` and `type: EQUAL`), fields are emitted in field-number order, repeated
 * uint64 are packed, and the gogo era (≤0.31) always writes timestamps while google protobuf (0.32+)
 * omits nil ones. Times are bigint nanoseconds since the Unix epoch so a Go timestamp survives a
 * decode/encode round trip bit for bit.
 */
import protobuf from 'protobufjs/minimal.js';

const { Reader, Writer } = protobuf;
type ReaderT = protobuf.Reader;
type WriterT = protobuf.Writer;

/** Nanoseconds since 1970-01-01 UTC. */
export type GoTime = bigint;

/** Go's zero time.Time (0001-01-01) as seconds since the epoch, what gogo writes for an unset time. */
export const GO_ZERO_SECONDS = -62135596800n;
export const GO_ZERO_TIME: GoTime = GO_ZERO_SECONDS * 1_000_000_000n;

export function msToGoTime(ms: number): GoTime {
  return BigInt(Math.round(ms * 1e6));
}

export function goTimeToMs(t: GoTime): number {
  return Number(t / 1_000_000n);
}

// Wall clock at start plus a monotonic nanosecond counter: Go stamps nflog entries and silences with
// nanosecond times, and two changes in the same millisecond must still be ordered.
const CLOCK_BASE = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowGoTime(): GoTime {
  return process.hrtime.bigint() + CLOCK_BASE;
}

function readLong(r: ReaderT, signed: boolean): bigint {
  const v = (signed ? r.int64() : r.uint64()) as unknown as { low: number; high: number } | number;
  if (typeof v === 'number') return BigInt(v);
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return signed ? BigInt.asIntN(64, u) : u;
}

function longBits(v: bigint): { low: number; high: number } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}

// ---------------------------------------------------------------- google.protobuf.Timestamp

function decodeTimestamp(r: ReaderT, end: number): GoTime {
  let seconds = 0n;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: seconds = readLong(r, true); break;
      case 2: nanos = r.int32(); break;
      default: r.skipType(tag & 7);
    }
  }
  return seconds * 1_000_000_000n + BigInt(nanos);
}

function writeTimestamp(w: WriterT, field: number, t: GoTime | undefined, gogo: boolean): void {
  if (t === undefined) {
    if (!gogo) return;
    t = GO_ZERO_TIME;
  }
  let seconds = t / 1_000_000_000n;
  let nanos = t % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  w.uint32((field << 3) | 2).fork();
  if (seconds !== 0n) w.uint32(8).int64(longBits(seconds) as unknown as number);
  if (nanos !== 0n) w.uint32(16).int32(Number(nanos));
  w.ldelim();
}

// ---------------------------------------------------------------- delimited streams

/** Splits a buffer of uvarint-length-delimited messages (pbutil.WriteDelimited / protodelim). */
export function splitDelimited(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const r = Reader.create(buf);
  while (r.pos < r.len) {
    const len = r.uint32();
    if (r.pos + len > r.len) throw new Error(`delimited message of ${len} bytes overruns the buffer`);
    out.push(buf.subarray(r.pos, r.pos + len));
    r.pos += len;
  }
  return out;
}

export function joinDelimited(msgs: readonly Uint8Array[]): Uint8Array {
  const w = Writer.create();
  for (const m of msgs) w.bytes(m);
  return w.finish();
}

// ---------------------------------------------------------------- nflogpb

export interface NflogReceiver {
  groupName: string;
  integration: string;
  idx: number;
}

export type ReceiverDataValue = { str: string } | { int: bigint } | { double: number };

export interface NflogEntry {
  groupKey: Uint8Array;
  receiver: NflogReceiver;
  groupHash?: Uint8Array;
  resolved?: boolean;
  timestamp: GoTime | undefined;
  firingAlerts: bigint[];
  resolvedAlerts: bigint[];
  receiverData: Map<string, ReceiverDataValue>;
}

export interface MeshEntry {
  entry: NflogEntry;
  expiresAt: GoTime | undefined;
}

function decodeReceiver(r: ReaderT, end: number): NflogReceiver {
  const rec: NflogReceiver = { groupName: '', integration: '', idx: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: rec.groupName = r.string(); break;
      case 2: rec.integration = r.string(); break;
      case 3: rec.idx = r.uint32(); break;
      default: r.skipType(tag & 7);
    }
  }
  return rec;
}

function readUint64List(r: ReaderT, tag: number, into: bigint[]): void {
  if ((tag & 7) === 2) {
    const end = r.uint32() + r.pos;
    while (r.pos < end) into.push(readLong(r, false));
  } else {
    into.push(readLong(r, false));
  }
}

function decodeReceiverData(r: ReaderT, end: number): [string, ReceiverDataValue | undefined] {
  let key = '';
  let value: ReceiverDataValue | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: key = r.string(); break;
      case 2: {
        const vend = r.uint32() + r.pos;
        while (r.pos < vend) {
          const vt = r.uint32();
          switch (vt >>> 3) {
            case 1: value = { str: r.string() }; break;
            case 2: value = { int: readLong(r, true) }; break;
            case 3: value = { double: r.double() }; break;
            default: r.skipType(vt & 7);
          }
        }
        break;
      }
      default: r.skipType(tag & 7);
    }
  }
  return [key, value];
}

function decodeEntry(r: ReaderT, end: number): NflogEntry {
  const e: NflogEntry = {
    groupKey: new Uint8Array(0),
    receiver: undefined as unknown as NflogReceiver,
    timestamp: undefined,
    firingAlerts: [],
    resolvedAlerts: [],
    receiverData: new Map(),
  };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: e.groupKey = r.bytes(); break;
      case 2: { const l = r.uint32(); e.receiver = decodeReceiver(r, r.pos + l); break; }
      case 3: e.groupHash = r.bytes(); break;
      case 4: e.resolved = r.bool(); break;
      case 5: { const l = r.uint32(); e.timestamp = decodeTimestamp(r, r.pos + l); break; }
      case 6: readUint64List(r, tag, e.firingAlerts); break;
      case 7: readUint64List(r, tag, e.resolvedAlerts); break;
      case 8: {
        const l = r.uint32();
        const [k, v] = decodeReceiverData(r, r.pos + l);
        if (v !== undefined) e.receiverData.set(k, v);
        break;
      }
      default: r.skipType(tag & 7);
    }
  }
  return e;
}

/** Decodes one MeshEntry; throws when the entry or its receiver is missing (Go's ErrInvalidState). */
export function decodeMeshEntry(buf: Uint8Array): MeshEntry {
  const r = Reader.create(buf);
  let entry: NflogEntry | undefined;
  let expiresAt: GoTime | undefined;
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: { const l = r.uint32(); entry = decodeEntry(r, r.pos + l); break; }
      case 2: { const l = r.uint32(); expiresAt = decodeTimestamp(r, r.pos + l); break; }
      default: r.skipType(tag & 7);
    }
  }
  if (!entry || !entry.receiver) throw new Error('invalid state: nflog entry without entry or receiver');
  return { entry, expiresAt };
}

function writeUint64Packed(w: WriterT, field: number, xs: readonly bigint[]): void {
  if (xs.length === 0) return;
  w.uint32((field << 3) | 2).fork();
  for (const x of xs) w.uint64(longBits(x) as unknown as number);
  w.ldelim();
}

export function encodeMeshEntry(m: MeshEntry, gogo: boolean): Uint8Array {
  const w = Writer.create();
  const e = m.entry;
  w.uint32(0x0a).fork();
  if (e.groupKey.length > 0) w.uint32(0x0a).bytes(e.groupKey);
  w.uint32(0x12).fork();
  if (e.receiver.groupName !== '') w.uint32(0x0a).string(e.receiver.groupName);
  if (e.receiver.integration !== '') w.uint32(0x12).string(e.receiver.integration);
  if (e.receiver.idx !== 0) w.uint32(0x18).uint32(e.receiver.idx);
  w.ldelim();
  if (e.groupHash && e.groupHash.length > 0) w.uint32(0x1a).bytes(e.groupHash);
  if (e.resolved) w.uint32(0x20).bool(true);
  writeTimestamp(w, 5, e.timestamp, gogo);
  writeUint64Packed(w, 6, e.firingAlerts);
  writeUint64Packed(w, 7, e.resolvedAlerts);
  // Go marshals map entries in key order (deterministic marshalling is what snapshots use).
  for (const k of [...e.receiverData.keys()].sort()) {
    const v = e.receiverData.get(k)!;
    w.uint32(0x42).fork();
    w.uint32(0x0a).string(k);
    w.uint32(0x12).fork();
    if ('str' in v) w.uint32(0x0a).string(v.str);
    else if ('int' in v) w.uint32(0x10).int64(longBits(v.int) as unknown as number);
    else w.uint32(0x19).double(v.double);
    w.ldelim();
    w.ldelim();
  }
  w.ldelim();
  writeTimestamp(w, 2, m.expiresAt, gogo);
  return w.finish();
}

// ---------------------------------------------------------------- silencepb

/** silencepb.Matcher.Type: EQUAL=0, REGEXP=1, NOT_EQUAL=2, NOT_REGEXP=3 (not the labels.MatchType order). */
export type PbMatcherType = 0 | 1 | 2 | 3;

export interface PbMatcher {
  type: PbMatcherType;
  name: string;
  pattern: string;
}

export interface PbComment {
  author: string;
  comment: string;
  timestamp: GoTime | undefined;
}

export interface PbSilence {
  id: string;
  /** Field 2: the legacy matchers (what ≤0.31 nodes use). */
  matchers: PbMatcher[];
  startsAt: GoTime | undefined;
  endsAt: GoTime | undefined;
  updatedAt: GoTime | undefined;
  comments: PbComment[];
  createdBy: string;
  comment: string;
  annotations: Map<string, string>;
  /** Field 11 (0.32+): OR across sets. */
  matcherSets: PbMatcher[][];
  /** Field 12 (0.34+); kept so tsam re-emits it like gogo keeps unknown fields. */
  receiverMatcherSets: PbMatcher[][];
}

export interface MeshSilence {
  silence: PbSilence;
  expiresAt: GoTime | undefined;
}

function decodeMatcher(r: ReaderT, end: number): PbMatcher {
  const m: PbMatcher = { type: 0, name: '', pattern: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: m.type = (r.int32() & 3) as PbMatcherType; break;
      case 2: m.name = r.string(); break;
      case 3: m.pattern = r.string(); break;
      default: r.skipType(tag & 7);
    }
  }
  return m;
}

function decodeMatcherSet(r: ReaderT, end: number): PbMatcher[] {
  const out: PbMatcher[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      const l = r.uint32();
      out.push(decodeMatcher(r, r.pos + l));
    } else {
      r.skipType(tag & 7);
    }
  }
  return out;
}

function decodeComment(r: ReaderT, end: number): PbComment {
  const c: PbComment = { author: '', comment: '', timestamp: undefined };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: c.author = r.string(); break;
      case 2: c.comment = r.string(); break;
      case 3: { const l = r.uint32(); c.timestamp = decodeTimestamp(r, r.pos + l); break; }
      default: r.skipType(tag & 7);
    }
  }
  return c;
}

function decodeStringMapEntry(r: ReaderT, end: number): [string, string] {
  let k = '';
  let v = '';
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: k = r.string(); break;
      case 2: v = r.string(); break;
      default: r.skipType(tag & 7);
    }
  }
  return [k, v];
}

function decodeSilence(r: ReaderT, end: number): PbSilence {
  const s = emptySilence();
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: s.id = r.string(); break;
      case 2: { const l = r.uint32(); s.matchers.push(decodeMatcher(r, r.pos + l)); break; }
      case 3: { const l = r.uint32(); s.startsAt = decodeTimestamp(r, r.pos + l); break; }
      case 4: { const l = r.uint32(); s.endsAt = decodeTimestamp(r, r.pos + l); break; }
      case 5: { const l = r.uint32(); s.updatedAt = decodeTimestamp(r, r.pos + l); break; }
      case 7: { const l = r.uint32(); s.comments.push(decodeComment(r, r.pos + l)); break; }
      case 8: s.createdBy = r.string(); break;
      case 9: s.comment = r.string(); break;
      case 10: { const l = r.uint32(); const [k, v] = decodeStringMapEntry(r, r.pos + l); s.annotations.set(k, v); break; }
      case 11: { const l = r.uint32(); s.matcherSets.push(decodeMatcherSet(r, r.pos + l)); break; }
      case 12: { const l = r.uint32(); s.receiverMatcherSets.push(decodeMatcherSet(r, r.pos + l)); break; }
      default: r.skipType(tag & 7);
    }
  }
  return s;
}

export function emptySilence(): PbSilence {
  return {
    id: '',
    matchers: [],
    startsAt: undefined,
    endsAt: undefined,
    updatedAt: undefined,
    comments: [],
    createdBy: '',
    comment: '',
    annotations: new Map(),
    matcherSets: [],
    receiverMatcherSets: [],
  };
}

/** Decodes one MeshSilence; throws when the silence is missing (Go fails the whole payload). */
export function decodeMeshSilence(buf: Uint8Array): MeshSilence {
  const r = Reader.create(buf);
  let silence: PbSilence | undefined;
  let expiresAt: GoTime | undefined;
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: { const l = r.uint32(); silence = decodeSilence(r, r.pos + l); break; }
      case 2: { const l = r.uint32(); expiresAt = decodeTimestamp(r, r.pos + l); break; }
      default: r.skipType(tag & 7);
    }
  }
  if (!silence) throw new Error('invalid state: mesh silence without silence');
  return { silence, expiresAt };
}

function writeMatcher(w: WriterT, field: number, m: PbMatcher): void {
  w.uint32((field << 3) | 2).fork();
  if (m.type !== 0) w.uint32(0x08).int32(m.type);
  if (m.name !== '') w.uint32(0x12).string(m.name);
  if (m.pattern !== '') w.uint32(0x1a).string(m.pattern);
  w.ldelim();
}

function writeMatcherSet(w: WriterT, field: number, set: readonly PbMatcher[]): void {
  w.uint32((field << 3) | 2).fork();
  for (const m of set) writeMatcher(w, 1, m);
  w.ldelim();
}

export function encodeMeshSilence(m: MeshSilence, gogo: boolean): Uint8Array {
  const w = Writer.create();
  const s = m.silence;
  w.uint32(0x0a).fork();
  if (s.id !== '') w.uint32(0x0a).string(s.id);
  for (const mt of s.matchers) writeMatcher(w, 2, mt);
  writeTimestamp(w, 3, s.startsAt, gogo);
  writeTimestamp(w, 4, s.endsAt, gogo);
  writeTimestamp(w, 5, s.updatedAt, gogo);
  for (const c of s.comments) {
    w.uint32(0x3a).fork();
    if (c.author !== '') w.uint32(0x0a).string(c.author);
    if (c.comment !== '') w.uint32(0x12).string(c.comment);
    writeTimestamp(w, 3, c.timestamp, gogo);
    w.ldelim();
  }
  if (s.createdBy !== '') w.uint32(0x42).string(s.createdBy);
  if (s.comment !== '') w.uint32(0x4a).string(s.comment);
  for (const k of [...s.annotations.keys()].sort()) {
    w.uint32(0x52).fork();
    w.uint32(0x0a).string(k);
    w.uint32(0x12).string(s.annotations.get(k)!);
    w.ldelim();
  }
  for (const set of s.matcherSets) writeMatcherSet(w, 11, set);
  for (const set of s.receiverMatcherSets) writeMatcherSet(w, 12, set);
  w.ldelim();
  writeTimestamp(w, 2, m.expiresAt, gogo);
  return w.finish();
}
