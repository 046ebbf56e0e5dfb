import { badRequest } from '../errors.js';
import type { Transport } from '../types.js';
import { bandwidthToxic } from './bandwidth.js';
import { latencyToxic } from './latency.js';
import { limitDataToxic } from './limit-data.js';
import { blackholeToxic, lossToxic, noopToxic } from './passthrough.js';
import { resetPeerToxic } from './reset-peer.js';
import { slicerToxic } from './slicer.js';
import { slowCloseToxic } from './slow-close.js';
import { timeoutToxic } from './timeout.js';
import type { ToxicDefinition } from './toxic.js';

/** Toxiproxy 2.12's types (including its registered `noop`), then amchaos's UDP-oriented extensions. */
const DEFINITIONS: readonly ToxicDefinition[] = [
  latencyToxic,
  bandwidthToxic,
  slowCloseToxic,
  timeoutToxic,
  resetPeerToxic,
  slicerToxic,
  limitDataToxic,
  noopToxic,
  lossToxic,
  blackholeToxic,
];

const BY_TYPE = new Map(DEFINITIONS.map((d) => [d.type, d]));

export const TOXIC_TYPES: readonly string[] = DEFINITIONS.map((d) => d.type);

export function toxicDefinition(type: unknown): ToxicDefinition {
  const def = typeof type === 'string' ? BY_TYPE.get(type) : undefined;
  // Toxiproxy answers exactly this for unknown and missing types; the hint is ours.
  if (def === undefined) throw badRequest('invalid toxic type', `type must be one of: ${TOXIC_TYPES.join(', ')}`);
  return def;
}

/**
 * Decodes `attributes` over `base` (zeros on create, the current values on update, so a partial update
 * keeps the other attributes as Toxiproxy does). Unknown keys are ignored (Toxiproxy); `null` means "no
 * change" over the base. Unlike Toxiproxy every value is range-checked, because out-of-range values hang
 * streams (bandwidth 0) or crash the server (slicer 0/0) there.
 */
export function decodeAttributes(
  def: ToxicDefinition,
  raw: unknown,
  base?: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of def.attributes) out[spec.name] = base?.[spec.name] ?? 0;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw badRequest(`bad request body: attributes must be an object, got ${describeValue(raw)}`);
    }
    const given = raw as Record<string, unknown>;
    for (const spec of def.attributes) {
      const v = given[spec.name];
      // Go's decoder leaves a field untouched for a missing key and for `null`.
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw badRequest(
          `bad request body: ${def.type} attribute ${spec.name} must be a number (${spec.unit}), got ${describeValue(v)}`,
        );
      }
      out[spec.name] = v;
    }
  }
  for (const spec of def.attributes) {
    const v = out[spec.name] as number;
    if (spec.integer && !Number.isInteger(v)) {
      throw badRequest(`${def.type} attribute ${spec.name} must be a whole number of ${spec.unit}, got ${v}`);
    }
    if (v < spec.min || v > spec.max) {
      throw badRequest(
        `${def.type} attribute ${spec.name} must be between ${spec.min} and ${spec.max} ${spec.unit}, got ${v}`,
        minHint(def, spec.name),
      );
    }
  }
  const problem = def.check?.(out);
  if (problem !== undefined) throw badRequest(`${def.type}: ${problem}`);
  return out;
}

function minHint(def: ToxicDefinition, attr: string): string | undefined {
  if (def.type === 'bandwidth' && attr === 'rate') return 'to stop data entirely use a timeout or blackhole toxic';
  return undefined;
}

export function decodeToxicity(raw: unknown, current = 1): number {
  if (raw === undefined || raw === null) return current;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    throw badRequest(`bad request body: toxicity must be a number between 0 and 1, got ${describeValue(raw)}`);
  }
  // Toxiproxy accepts any float (7, -1); values outside 0..1 are always-or-never and almost surely typos.
  if (raw < 0 || raw > 1) throw badRequest(`toxicity must be between 0 and 1, got ${raw}`);
  return raw;
}

export function decodeTransport(def: ToxicDefinition, raw: unknown): Transport {
  if (raw === undefined || raw === null) return def.defaultTransport;
  if (raw !== 'tcp' && raw !== 'udp' && raw !== 'both') {
    throw badRequest(`transport must be "tcp", "udp" or "both", got ${describeValue(raw)}`);
  }
  const wantsTcp = raw !== 'udp';
  const wantsUdp = raw !== 'tcp';
  if ((wantsTcp && !def.supports.tcp) || (wantsUdp && !def.supports.udp)) {
    const only = def.supports.tcp ? 'tcp' : 'udp';
    throw badRequest(`toxic type ${def.type} acts on ${only} only; transport ${raw} is not possible`, `use transport "${only}" or leave it out`);
  }
  return raw;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return String(v);
  return `a ${typeof v}`;
}
