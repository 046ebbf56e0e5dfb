/**
 * notify.hashAlert: XXH64 (seed 0) over the alert's labels sorted by name, each written as
 * name 0xFF value 0xFF. This, not the fingerprint, is what nflog entries store in firing_alerts and
 * resolved_alerts, so it must match Go bit for bit for dedup to work across real and tsam nodes.
 */
import xxhash from 'xxhash-wasm';
import { sortedNames, type LabelSet } from '../labels/labelset.js';

const { h64Raw } = await xxhash();
const enc = new TextEncoder();

export function xxh64(data: Uint8Array): bigint {
  return h64Raw(data, 0n);
}

export function hashAlert(labels: LabelSet): bigint {
  const parts: Uint8Array[] = [];
  let len = 0;
  for (const n of sortedNames(labels)) {
    const nb = enc.encode(n);
    const vb = enc.encode(labels[n]!);
    parts.push(nb, vb);
    len += nb.length + vb.length + 2;
  }
  const buf = new Uint8Array(len);
  let off = 0;
  for (let i = 0; i < parts.length; i += 2) {
    buf.set(parts[i]!, off);
    off += parts[i]!.length;
    buf[off++] = 0xff;
    buf.set(parts[i + 1]!, off);
    off += parts[i + 1]!.length;
    buf[off++] = 0xff;
  }
  return xxh64(buf);
}
