/**
 * Alertmanager's clusterpb (cluster/clusterpb/cluster.proto), built with protobufjs reflection:
 *   message Part      { string key = 1; bytes data = 2; }
 *   message FullState { repeated Part parts = 1; }
 * A Part is the payload of every gossiped user message; a FullState is the push/pull user state.
 * The bytes equal gogo's (<= 0.31) and google's (>= 0.32) output: proto3 leaves empty fields out,
 * so empty key/data are not set on the protobufjs object (protobufjs writes any field that is set).
 */
import protobuf from 'protobufjs';

const root = new protobuf.Root();
const PartType = new protobuf.Type('Part').add(new protobuf.Field('key', 1, 'string')).add(new protobuf.Field('data', 2, 'bytes'));
const FullStateType = new protobuf.Type('FullState').add(new protobuf.Field('parts', 1, 'Part', 'repeated'));
root.define('clusterpb').add(PartType).add(FullStateType);
root.resolveAll();

export interface Part {
  key: string;
  data: Uint8Array;
}

function partObject(p: Part): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (p.key !== '') o['key'] = p.key;
  if (p.data.length > 0) o['data'] = p.data;
  return o;
}

function toPart(o: unknown): Part {
  const m = o as { key?: string; data?: Uint8Array };
  return { key: m.key ?? '', data: m.data ? new Uint8Array(m.data) : new Uint8Array(0) };
}

export function encodePart(p: Part): Uint8Array {
  return PartType.encode(PartType.create(partObject(p))).finish();
}

/** Throws (protobufjs error) on malformed bytes; Alertmanager then warns and drops the message. */
export function decodePart(buf: Uint8Array): Part {
  return toPart(PartType.decode(buf));
}

export function encodeFullState(parts: readonly Part[]): Uint8Array {
  return FullStateType.encode(FullStateType.create({ parts: parts.map((p) => PartType.create(partObject(p))) })).finish();
}

export function decodeFullState(buf: Uint8Array): Part[] {
  const m = FullStateType.decode(buf) as unknown as { parts?: unknown[] };
  return (m.parts ?? []).map(toPart);
}
