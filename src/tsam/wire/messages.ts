/**
 * memberlist's wire structs (net.go) with Go's field names. Encoders write the keys sorted
 * byte-wise (go-msgpack's sfiSortedByEncName) and drop `omitempty` fields when empty, so the
 * bytes equal what a Go node sends. Decoders accept any key order, unknown keys and any int width.
 */
import {
  GoMsgpackWriter,
  type MsgpackIntStyle,
  type MsgpackMap,
  decodeWholeStruct,
  fieldBool,
  fieldBytes,
  fieldNumber,
  fieldString,
} from './msgpack.js';
import { MessageType, type NodeStateValue } from './types.js';

export interface Ping {
  seqNo: number;
  /** Name of the intended target; the receiver ignores a ping for another name. */
  node: string;
  sourceAddr: Uint8Array | null;
  sourcePort: number;
  sourceNode: string;
}

export interface IndirectPingReq {
  seqNo: number;
  target: Uint8Array | null;
  port: number;
  node: string;
  nack: boolean;
  sourceAddr: Uint8Array | null;
  sourcePort: number;
  sourceNode: string;
}

export interface AckResp {
  seqNo: number;
  /** Alertmanager's ping delegate answers an empty non-nil payload (0xa0); relays and TCP pings send nil. */
  payload: Uint8Array | null;
}

export interface NackResp {
  seqNo: number;
}

export interface ErrResp {
  error: string;
}

export interface Suspect {
  incarnation: number;
  node: string;
  from: string;
}

export interface Alive {
  incarnation: number;
  node: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array | null;
  vsn: Uint8Array;
}

/** A dead message with from === node means the node left on purpose. */
export interface Dead {
  incarnation: number;
  node: string;
  from: string;
}

export interface PushPullHeader {
  nodes: number;
  userStateLen: number;
  join: boolean;
}

export interface PushNodeState {
  name: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array | null;
  incarnation: number;
  state: NodeStateValue;
  vsn: Uint8Array;
}

export interface UserMsgHeader {
  userMsgLen: number;
}

export interface Compress {
  algo: number;
  buf: Uint8Array;
}

const nonEmpty = (b: Uint8Array | null): b is Uint8Array => b !== null && b.length > 0;

// ---- struct writers (keys in sorted order; each comment lists them) ----

/** Node, SeqNo, SourceAddr*, SourceNode*, SourcePort* (* = omitempty). */
export function writePing(w: GoMsgpackWriter, p: Ping): void {
  const n = 2 + (nonEmpty(p.sourceAddr) ? 1 : 0) + (p.sourceNode !== '' ? 1 : 0) + (p.sourcePort !== 0 ? 1 : 0);
  w.mapHeader(n).str('Node').str(p.node).str('SeqNo').uint(p.seqNo);
  if (nonEmpty(p.sourceAddr)) w.str('SourceAddr').raw(p.sourceAddr);
  if (p.sourceNode !== '') w.str('SourceNode').str(p.sourceNode);
  if (p.sourcePort !== 0) w.str('SourcePort').uint(p.sourcePort);
}

/** Nack, Node, Port, SeqNo, SourceAddr*, SourceNode*, SourcePort*, Target. */
export function writeIndirectPingReq(w: GoMsgpackWriter, p: IndirectPingReq): void {
  const n = 5 + (nonEmpty(p.sourceAddr) ? 1 : 0) + (p.sourceNode !== '' ? 1 : 0) + (p.sourcePort !== 0 ? 1 : 0);
  w.mapHeader(n).str('Nack').bool(p.nack).str('Node').str(p.node).str('Port').uint(p.port).str('SeqNo').uint(p.seqNo);
  if (nonEmpty(p.sourceAddr)) w.str('SourceAddr').raw(p.sourceAddr);
  if (p.sourceNode !== '') w.str('SourceNode').str(p.sourceNode);
  if (p.sourcePort !== 0) w.str('SourcePort').uint(p.sourcePort);
  w.str('Target').raw(p.target);
}

/** Payload, SeqNo. */
export function writeAckResp(w: GoMsgpackWriter, a: AckResp): void {
  w.mapHeader(2).str('Payload').raw(a.payload).str('SeqNo').uint(a.seqNo);
}

export function writeNackResp(w: GoMsgpackWriter, a: NackResp): void {
  w.mapHeader(1).str('SeqNo').uint(a.seqNo);
}

export function writeErrResp(w: GoMsgpackWriter, e: ErrResp): void {
  w.mapHeader(1).str('Error').str(e.error);
}

/** From, Incarnation, Node. */
export function writeSuspect(w: GoMsgpackWriter, s: Suspect): void {
  w.mapHeader(3).str('From').str(s.from).str('Incarnation').uint(s.incarnation).str('Node').str(s.node);
}

/** From, Incarnation, Node. */
export function writeDead(w: GoMsgpackWriter, d: Dead): void {
  w.mapHeader(3).str('From').str(d.from).str('Incarnation').uint(d.incarnation).str('Node').str(d.node);
}

/** Addr, Incarnation, Meta, Node, Port, Vsn. */
export function writeAlive(w: GoMsgpackWriter, a: Alive): void {
  w.mapHeader(6)
    .str('Addr')
    .raw(a.addr)
    .str('Incarnation')
    .uint(a.incarnation)
    .str('Meta')
    .raw(a.meta)
    .str('Node')
    .str(a.node)
    .str('Port')
    .uint(a.port)
    .str('Vsn')
    .raw(a.vsn);
}

/** Join, Nodes, UserStateLen (Nodes and UserStateLen are Go ints). */
export function writePushPullHeader(w: GoMsgpackWriter, h: PushPullHeader): void {
  w.mapHeader(3).str('Join').bool(h.join).str('Nodes').int(h.nodes).str('UserStateLen').int(h.userStateLen);
}

/** Addr, Incarnation, Meta, Name, Port, State (Go int), Vsn. */
export function writePushNodeState(w: GoMsgpackWriter, s: PushNodeState): void {
  w.mapHeader(7)
    .str('Addr')
    .raw(s.addr)
    .str('Incarnation')
    .uint(s.incarnation)
    .str('Meta')
    .raw(s.meta)
    .str('Name')
    .str(s.name)
    .str('Port')
    .uint(s.port)
    .str('State')
    .int(s.state)
    .str('Vsn')
    .raw(s.vsn);
}

export function writeUserMsgHeader(w: GoMsgpackWriter, h: UserMsgHeader): void {
  w.mapHeader(1).str('UserMsgLen').int(h.userMsgLen);
}

/** Algo, Buf. */
export function writeCompress(w: GoMsgpackWriter, c: Compress): void {
  w.mapHeader(2).str('Algo').uint(c.algo).str('Buf').raw(c.buf);
}

// ---- whole messages: type byte + body ----

function message<T>(type: number, write: (w: GoMsgpackWriter, v: T) => void, v: T, intStyle: MsgpackIntStyle = 'unsigned'): Uint8Array {
  const w = new GoMsgpackWriter(96, intStyle);
  w.byte(type);
  write(w, v);
  return w.finish();
}

export const encodePing = (p: Ping): Uint8Array => message(MessageType.ping, writePing, p);
export const encodeIndirectPingReq = (p: IndirectPingReq): Uint8Array =>
  message(MessageType.indirectPing, writeIndirectPingReq, p);
export const encodeAckResp = (a: AckResp): Uint8Array => message(MessageType.ackResp, writeAckResp, a);
export const encodeNackResp = (a: NackResp): Uint8Array => message(MessageType.nackResp, writeNackResp, a);
export const encodeErrResp = (e: ErrResp): Uint8Array => message(MessageType.err, writeErrResp, e);
export const encodeSuspect = (s: Suspect): Uint8Array => message(MessageType.suspect, writeSuspect, s);
export const encodeAlive = (a: Alive): Uint8Array => message(MessageType.alive, writeAlive, a);
export const encodeDead = (d: Dead): Uint8Array => message(MessageType.dead, writeDead, d);
/** A packet user message: type byte 8, then the raw payload (no msgpack header on UDP). */
export function encodeUserPacket(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = MessageType.user;
  out.set(payload, 1);
  return out;
}

// ---- struct readers ----

export function readPing(m: MsgpackMap): Ping {
  return {
    seqNo: fieldNumber(m, 'SeqNo'),
    node: fieldString(m, 'Node'),
    sourceAddr: fieldBytes(m, 'SourceAddr'),
    sourcePort: fieldNumber(m, 'SourcePort'),
    sourceNode: fieldString(m, 'SourceNode'),
  };
}

export function readIndirectPingReq(m: MsgpackMap): IndirectPingReq {
  return {
    seqNo: fieldNumber(m, 'SeqNo'),
    target: fieldBytes(m, 'Target'),
    port: fieldNumber(m, 'Port'),
    node: fieldString(m, 'Node'),
    nack: fieldBool(m, 'Nack'),
    sourceAddr: fieldBytes(m, 'SourceAddr'),
    sourcePort: fieldNumber(m, 'SourcePort'),
    sourceNode: fieldString(m, 'SourceNode'),
  };
}

export function readAckResp(m: MsgpackMap): AckResp {
  return { seqNo: fieldNumber(m, 'SeqNo'), payload: fieldBytes(m, 'Payload') };
}

export function readNackResp(m: MsgpackMap): NackResp {
  return { seqNo: fieldNumber(m, 'SeqNo') };
}

export function readErrResp(m: MsgpackMap): ErrResp {
  return { error: fieldString(m, 'Error') };
}

export function readSuspect(m: MsgpackMap): Suspect {
  return { incarnation: fieldNumber(m, 'Incarnation'), node: fieldString(m, 'Node'), from: fieldString(m, 'From') };
}

export function readDead(m: MsgpackMap): Dead {
  return { incarnation: fieldNumber(m, 'Incarnation'), node: fieldString(m, 'Node'), from: fieldString(m, 'From') };
}

export function readAlive(m: MsgpackMap): Alive {
  return {
    incarnation: fieldNumber(m, 'Incarnation'),
    node: fieldString(m, 'Node'),
    addr: fieldBytes(m, 'Addr') ?? new Uint8Array(0),
    port: fieldNumber(m, 'Port'),
    // Lossless (0xa0 -> empty, 0xc0 -> null); the membership table normalises empty to nil like Go.
    meta: fieldBytes(m, 'Meta'),
    vsn: fieldBytes(m, 'Vsn') ?? new Uint8Array(0),
  };
}

export function readPushPullHeader(m: MsgpackMap): PushPullHeader {
  return { nodes: fieldNumber(m, 'Nodes'), userStateLen: fieldNumber(m, 'UserStateLen'), join: fieldBool(m, 'Join') };
}

export function readPushNodeState(m: MsgpackMap): PushNodeState {
  const state = fieldNumber(m, 'State');
  return {
    name: fieldString(m, 'Name'),
    addr: fieldBytes(m, 'Addr') ?? new Uint8Array(0),
    port: fieldNumber(m, 'Port'),
    meta: fieldBytes(m, 'Meta'),
    incarnation: fieldNumber(m, 'Incarnation'),
    // Unknown states are kept as-is; mergeState ignores them like Go's switch does.
    state: state as NodeStateValue,
    vsn: fieldBytes(m, 'Vsn') ?? new Uint8Array(0),
  };
}

export function readUserMsgHeader(m: MsgpackMap): UserMsgHeader {
  return { userMsgLen: fieldNumber(m, 'UserMsgLen') };
}

export function readCompress(m: MsgpackMap): Compress {
  return { algo: fieldNumber(m, 'Algo'), buf: fieldBytes(m, 'Buf') ?? new Uint8Array(0) };
}

/** Decodes a message body (bytes after the type byte) that holds exactly one struct. */
export function decodeBody<T>(body: Uint8Array, what: string, read: (m: MsgpackMap) => T): T {
  return read(decodeWholeStruct(body, what));
}
