/**
 * The stream path (one TCP connection per exchange): push/pull, TCP ping and reliable user
 * messages. `parseStreamMessage` is incremental: feed it everything received so far and it says
 * "incomplete" until one whole message is there, because TCP delivers in arbitrary pieces and an
 * uncompressed push/pull only reveals its length as it is parsed.
 */
import { LabelRejectedError, WireFormatError, compressMessage, readCompressed, stripLabelHeader } from './framing.js';
import type { WireCompat } from './compat.js';
import { GoMsgpackWriter, decodeStruct, type MsgpackIntStyle } from './msgpack.js';
import {
  type AckResp,
  type ErrResp,
  type Ping,
  type PushNodeState,
  type PushPullHeader,
  readAckResp,
  readErrResp,
  readPing,
  readPushNodeState,
  readPushPullHeader,
  readUserMsgHeader,
  writeAckResp,
  writeErrResp,
  writePing,
  writePushNodeState,
  writePushPullHeader,
  writeUserMsgHeader,
} from './messages.js';
import { MessageType } from './types.js';

export type StreamMessage =
  | { kind: 'ping'; ping: Ping }
  | { kind: 'ack'; ack: AckResp }
  | { kind: 'pushPull'; header: PushPullHeader; nodes: PushNodeState[]; userState: Uint8Array | null }
  | { kind: 'user'; payload: Uint8Array }
  | { kind: 'err'; err: ErrResp }
  | { kind: 'unknown'; type: number };

export type StreamParse =
  | { status: 'incomplete' }
  | { status: 'done'; message: StreamMessage; end: number; compressed: boolean; label: string };

/** memberlist >= 0.6 limits; older versions have none, but a peer must not make us allocate GiBs. */
export const MAX_PUSH_PULL_NODES = 1 << 20;
export const MAX_USER_STATE_BYTES = 20 * 1024 * 1024;

export interface StreamParseOptions {
  compat: WireCompat;
  /** Only the dialling side writes a label, so only a server strips one. */
  serverSide: boolean;
}

/**
 * Parses the one message a stream carries. Throws WireFormatError (or a msgpack/LZW error) when
 * the bytes can never become a valid message.
 */
export function parseStreamMessage(buf: Uint8Array, opts: StreamParseOptions): StreamParse {
  let label = '';
  let at = buf;
  if (opts.serverSide) {
    const l = stripLabelHeader(buf, opts.compat.labelSupport);
    if (l.kind === 'incomplete') return { status: 'incomplete' };
    if (l.kind === 'error') throw new LabelRejectedError(l.reason);
    label = l.label;
    at = l.rest;
    if (label !== '') throw new LabelRejectedError(`discarding stream with unacceptable label "${label}"`);
  }
  const consumedBefore = buf.length - at.length;
  if (at.length < 1) return { status: 'incomplete' };
  if (at[0] === MessageType.compress) {
    const c = readCompressed(at, 1);
    if (c === undefined) return { status: 'incomplete' };
    // A compressed stream message is complete in itself: anything missing is corruption.
    const inner = parseBody(c.inner);
    if (inner === undefined) throw new WireFormatError('compressed stream message is truncated');
    return { status: 'done', message: inner.message, end: consumedBefore + c.end, compressed: true, label };
  }
  const r = parseBody(at);
  if (r === undefined) return { status: 'incomplete' };
  return { status: 'done', message: r.message, end: consumedBefore + r.end, compressed: false, label };
}

function parseBody(buf: Uint8Array): { message: StreamMessage; end: number } | undefined {
  if (buf.length < 1) return undefined;
  const type = buf[0]!;
  switch (type) {
    case MessageType.ping: {
      const r = decodeStruct(buf, 1, 'ping');
      return r && { message: { kind: 'ping', ping: readPing(r.value) }, end: r.end };
    }
    case MessageType.ackResp: {
      const r = decodeStruct(buf, 1, 'ackResp');
      return r && { message: { kind: 'ack', ack: readAckResp(r.value) }, end: r.end };
    }
    case MessageType.err: {
      const r = decodeStruct(buf, 1, 'errResp');
      return r && { message: { kind: 'err', err: readErrResp(r.value) }, end: r.end };
    }
    case MessageType.user: {
      const r = decodeStruct(buf, 1, 'userMsgHeader');
      if (!r) return undefined;
      const n = readUserMsgHeader(r.value).userMsgLen;
      if (n < 0 || n > MAX_USER_STATE_BYTES) throw new WireFormatError(`user message length ${n} out of range`);
      if (buf.length < r.end + n) return undefined;
      return { message: { kind: 'user', payload: buf.slice(r.end, r.end + n) }, end: r.end + n };
    }
    case MessageType.pushPull: {
      const h = decodeStruct(buf, 1, 'pushPullHeader');
      if (!h) return undefined;
      const header = readPushPullHeader(h.value);
      if (header.nodes < 0 || header.nodes > MAX_PUSH_PULL_NODES) {
        throw new WireFormatError(`remote node count ${header.nodes} out of range`);
      }
      if (header.userStateLen < 0 || header.userStateLen > MAX_USER_STATE_BYTES) {
        throw new WireFormatError(`remote user state length ${header.userStateLen} out of range`);
      }
      let at = h.end;
      const nodes: PushNodeState[] = [];
      for (let i = 0; i < header.nodes; i++) {
        const n = decodeStruct(buf, at, 'pushNodeState');
        if (!n) return undefined;
        nodes.push(readPushNodeState(n.value));
        at = n.end;
      }
      // Go passes user state to the delegate only when UserStateLen > 0 (nil otherwise).
      let userState: Uint8Array | null = null;
      if (header.userStateLen > 0) {
        if (buf.length < at + header.userStateLen) return undefined;
        userState = buf.slice(at, at + header.userStateLen);
        at += header.userStateLen;
      }
      return { message: { kind: 'pushPull', header, nodes, userState }, end: at };
    }
    default:
      return { message: { kind: 'unknown', type }, end: 1 };
  }
}

// ---- encoders (whole stream messages, before the optional compress envelope) ----

export function encodePushPull(
  join: boolean,
  nodes: readonly PushNodeState[],
  userState: Uint8Array | null,
  intStyle: MsgpackIntStyle = 'unsigned',
): Uint8Array {
  const w = new GoMsgpackWriter(128 + nodes.length * 96 + (userState?.length ?? 0), intStyle);
  w.byte(MessageType.pushPull);
  writePushPullHeader(w, { join, nodes: nodes.length, userStateLen: userState?.length ?? 0 });
  for (const n of nodes) writePushNodeState(w, n);
  if (userState) w.bytes(userState);
  return w.finish();
}

/** A reliable (TCP) user message: 8, msgpack {UserMsgLen}, payload. */
export function encodeUserStream(payload: Uint8Array, intStyle: MsgpackIntStyle = 'unsigned'): Uint8Array {
  const w = new GoMsgpackWriter(payload.length + 24, intStyle);
  w.byte(MessageType.user);
  writeUserMsgHeader(w, { userMsgLen: payload.length });
  w.bytes(payload);
  return w.finish();
}

export function encodePingStream(p: Ping): Uint8Array {
  const w = new GoMsgpackWriter(96);
  w.byte(MessageType.ping);
  writePing(w, p);
  return w.finish();
}

export function encodeAckStream(a: AckResp): Uint8Array {
  const w = new GoMsgpackWriter(32);
  w.byte(MessageType.ackResp);
  writeAckResp(w, a);
  return w.finish();
}

export function encodeErrStream(e: ErrResp): Uint8Array {
  const w = new GoMsgpackWriter(64);
  w.byte(MessageType.err);
  writeErrResp(w, e);
  return w.finish();
}

/** Go's rawSendMsgStream compresses every stream message when compression is on (no size check). */
export function frameStreamMessage(raw: Uint8Array, compress: boolean): Uint8Array {
  return compress ? compressMessage(raw) : raw;
}
