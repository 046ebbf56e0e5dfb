/**
 * Go's encoding/json output, for bodies that must look like the real binary's: map keys sorted
 * byte-wise (JavaScript puts integer-like keys first), <, >, & and U+2028/2029 escaped as \u00XX,
 * and time.Time as RFC3339Nano (trailing zeros trimmed, Go's zero time as 0001-01-01T00:00:00Z).
 */
import { compareGo } from '../labels/gostring.js';

const HTML = /[<>&\u2028\u2029]/g;

export function goString(s: string): string {
  return JSON.stringify(s).replace(HTML, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A map[string]string with sorted keys. */
export function goStringMap(m: Record<string, string>): string {
  const keys = Object.keys(m).sort(compareGo);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ',';
    out += goString(keys[i]!) + ':' + goString(m[keys[i]!]!);
  }
  return out + '}';
}

export const GO_ZERO_TIME_JSON = '0001-01-01T00:00:00Z';

/** time.Time.MarshalJSON for a UTC time in epoch ms; 0 is Go's zero time. */
export function rfc3339Nano(ms: number): string {
  if (ms === 0) return GO_ZERO_TIME_JSON;
  const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.670Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac === '' ? 'Z' : `.${frac}Z`));
}

/** go-openapi strfmt.DateTime (what the v2 API returns): always milliseconds. */
export function strfmtDateTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00.000Z';
  return new Date(ms).toISOString();
}
