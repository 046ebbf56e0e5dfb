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

/**
 * What a Go time.Time parsed from a client keeps beyond epoch milliseconds: the nanoseconds below the
 * millisecond and the UTC offset it was written with (`+02:00` stays `+02:00` in the API and the
 * webhook). Absent = a UTC time on a whole millisecond, the common case, which costs nothing.
 */
export interface TimeDetail {
  /** 0..999_999 */
  readonly subMsNanos: number;
  /** Minutes east of UTC; 0 prints as `Z`, as Go prints a UTC-offset time parsed in UTC. */
  readonly offsetMinutes: number;
}

/** a before b, to the nanosecond (time.Time.Before). */
export function timeBefore(aMs: number, a: TimeDetail | undefined, bMs: number, b: TimeDetail | undefined): boolean {
  if (aMs !== bMs) return aMs < bMs;
  return (a?.subMsNanos ?? 0) < (b?.subMsNanos ?? 0);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Wall clock fields in the time's own offset, and the offset suffix. */
function wall(ms: number, d: TimeDetail | undefined): { head: string; msPart: number; zone: string } {
  const off = d?.offsetMinutes ?? 0;
  const local = new Date(ms + off * 60_000);
  const y = local.getUTCFullYear();
  const head =
    `${y < 0 ? '-' + pad(-y, 4) : pad(y, 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}` +
    `T${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}`;
  let zone = 'Z';
  if (off !== 0) {
    const a = Math.abs(off);
    zone = `${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60), 2)}:${pad(a % 60, 2)}`;
  }
  return { head, msPart: local.getUTCMilliseconds(), zone };
}

/** time.Time.MarshalJSON (RFC3339Nano: trailing zeros trimmed, Go's zero time for 0), in the time's offset. */
export function rfc3339Nano(ms: number, d?: TimeDetail): string {
  if (ms === 0 && d === undefined) return GO_ZERO_TIME_JSON;
  if (d === undefined) {
    const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.670Z
    return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac === '' ? 'Z' : `.${frac}Z`));
  }
  const w = wall(ms, d);
  const frac = (pad(w.msPart, 3) + pad(d.subMsNanos, 6)).replace(/0+$/, '');
  return `${w.head}${frac === '' ? '' : '.' + frac}${w.zone}`;
}

/** go-openapi strfmt.DateTime (what the v2 API returns): always milliseconds, in the time's offset. */
export function strfmtDateTime(ms: number, d?: TimeDetail): string {
  if (d !== undefined) {
    const w = wall(ms, d);
    return `${w.head}.${pad(w.msPart, 3)}${w.zone}`;
  }
  if (ms === 0) return '0001-01-01T00:00:00.000Z';
  return new Date(ms).toISOString();
}
