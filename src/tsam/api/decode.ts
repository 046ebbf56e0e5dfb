/**
 * Request-body decoding with go-swagger's outcomes: a body that does not decode into the model is a
 * 400 {"code":400,"message":"parsing <what> body from \"\" failed, because <why>"}; a decoded body that
 * breaks the schema is a 422 with the first validation error (fields checked in alphabetical order,
 * as the generated validators do). Messages imitate Go's where cheap; the shapes and codes are exact.
 */
import type { TimeDetail } from '../gojson/gojson.js';

export class SwaggerError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  body(): string {
    return JSON.stringify({ code: this.code, message: this.message });
  }
}

/** A handler error whose body is a JSON string, as Alertmanager's own 400/404 payloads are. */
export class PlainError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

export function parseError(what: string, why: string): SwaggerError {
  return new SwaggerError(400, 400, `parsing ${what} body from "" failed, because ${why}`);
}

/** Where the first JSON value starting at `start` ends (exclusive); undefined when the text ends first. */
function firstValueEnd(text: string, start: number): number | undefined {
  const c = text[start];
  if (c === '{' || c === '[') {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
    }
    return undefined;
  }
  if (c === '"') {
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') return i + 1;
    }
    return undefined;
  }
  const m = /^[^\s,\]}{["':]+/.exec(text.slice(start));
  return start + (m?.[0].length ?? 1);
}

/**
 * What go-swagger's JSON consumer (a json.Decoder) reads from a body: the first JSON value, whatever
 * follows it (`[...] x` is accepted). Errors carry the Go decoder's wording for the common cases.
 */
export function parseJsonBody(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const start = text.search(/\S/);
    if (start < 0) throw parseError(what, 'EOF');
    const end = firstValueEnd(text, start);
    if (end === undefined) throw parseError(what, 'unexpected EOF');
    try {
      return JSON.parse(text.slice(start, end));
    } catch (e2) {
      const m = /position (\d+)/.exec((e2 as Error).message);
      const pos = start + (m ? Number(m[1]) : 0);
      throw parseError(what, `invalid character '${text[pos] ?? ''}' looking for beginning of value`);
    }
  }
}

export function typeError(what: string, v: unknown, goType: string, field?: string): SwaggerError {
  const where = field ? `Go struct field ${field} of type ${goType}` : `Go value of type ${goType}`;
  return parseError(what, `json: cannot unmarshal ${jsonKind(v)} into ${where}`);
}

/**
 * A parsed strfmt.DateTime: epoch ms (0 = Go's zero time, "not set"), or, when the client wrote an
 * offset or sub-millisecond digits, ms plus what Go keeps beyond them. The plain number is the common
 * case and allocates nothing (ingest parses two of these per alert).
 */
export type ClientTime = number | { ms: number; detail: TimeDetail };

export function timeMs(t: ClientTime): number {
  return typeof t === 'number' ? t : t.ms;
}

export function timeDetail(t: ClientTime): TimeDetail | undefined {
  return typeof t === 'number' ? undefined : t.detail;
}

const DATE = String.raw`(\d{4})-(\d{2})-(\d{2})`;
const FRAC = String.raw`(?:[.,](\d+))?`;
/**
 * strfmt.ParseDateTime tries these layouts in turn (RFC3339 with a fraction of any length and a
 * `Z`/`±hh:mm` zone; `±hhmm` only with exactly 3 or 6 fraction digits; local time (read as UTC) with
 * seconds, without seconds, with a space instead of `T`; 0.28+ also a bare date). `T` and `Z` are
 * upper case only.
 */
const LAYOUTS: { re: RegExp; dateOnly?: boolean }[] = [
  { re: new RegExp(String.raw`^${DATE}T(\d{2}):(\d{2}):(\d{2})${FRAC}(Z|[+-]\d{2}:\d{2})$`) },
  { re: new RegExp(String.raw`^${DATE}T(\d{2}):(\d{2}):(\d{2})\.(\d{3}|\d{6})(Z|[+-]\d{4})$`) },
  { re: new RegExp(String.raw`^${DATE}T(\d{2}):(\d{2}):(\d{2})${FRAC}()$`) },
  { re: new RegExp(String.raw`^${DATE}T(\d{2}):(\d{2})()()(Z?)$`) },
  { re: new RegExp(String.raw`^${DATE} (\d{2}):(\d{2}):(\d{2})${FRAC}()$`) },
  { re: new RegExp(String.raw`^${DATE}()()()()()$`), dateOnly: true },
];

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * strfmt.DateTime parsing. `newer` = the 0.28+ build (Go and strfmt of 2024+): a bare date is a
 * time, and a zone offset past ±24 h is an error. Throws the decoder's 400 (its text after
 * "because" approximates Go's).
 */
export function parseDateTime(s: unknown, what: string, field: string, newer: boolean): ClientTime {
  if (typeof s !== 'string') throw typeError(what, s, 'strfmt.DateTime', field);
  // Fast path for what clients send nearly always (UTC, at most milliseconds): Date.parse, with the
  // day checked against the month (V8 rolls 02-30 over into March; Go rejects it).
  if (UTC_MS.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms) && new Date(ms).getUTCDate() === Number(s.slice(8, 10)) && ms > GO_ZERO_MS) return ms;
  }
  const bad = (why: string): SwaggerError => parseError(what, `parsing time ${JSON.stringify(s)}${why}`);
  for (const layout of LAYOUTS) {
    if (layout.dateOnly && !newer) continue;
    const m = layout.re.exec(s);
    if (!m) continue;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [h, mi, sec] = [Number(m[4] || 0), Number(m[5] || 0), Number(m[6] || 0)];
    if (mo < 1 || mo > 12) throw bad(': month out of range');
    if (d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59) continue;
    const frac = (m[7] ?? '').slice(0, 9).padEnd(9, '0');
    const nanos = Number(frac);
    let offsetMinutes = 0;
    const zone = m[8] ?? '';
    if (zone !== '' && zone !== 'Z') {
      const hh = Number(zone.slice(1, 3));
      const mm = Number(zone.slice(zone.length - 2));
      if (newer && (hh > 24 || mm > 60)) continue;
      offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hh * 60 + mm);
    }
    const ms = Date.UTC(y, mo - 1, d, h, mi, sec) + Math.floor(nanos / 1_000_000) - offsetMinutes * 60_000;
    if (ms <= GO_ZERO_MS) return 0;
    const subMsNanos = nanos % 1_000_000;
    return subMsNanos === 0 && offsetMinutes === 0 ? ms : { ms, detail: { subMsNanos, offsetMinutes } };
  }
  if (s === '') return 0;
  const date = new RegExp(`^${DATE}`).exec(s);
  if (date && newer) throw bad(`: extra text: ${JSON.stringify(s.slice(10))}`);
  throw bad(` as "${newer ? '2006-01-02' : '2006-01-02 15:04:05'}": cannot parse ${JSON.stringify(s)} as "2006"`);
}

/** Go's zero time in epoch ms; anything at or before it reads as "not set". */
const GO_ZERO_MS = -62135596800000;
const UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** A JSON object of strings (model.LabelSet); undefined when absent or null. */
export function stringMap(v: unknown, what: string, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw typeError(what, v, 'models.LabelSet', field);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw typeError(what, x, 'string', `${field}.${k}`);
    out[k] = x;
  }
  return out;
}

/** go-openapi swag.ConvertBool: a small set of words is true, everything else false. */
export function convertBool(s: string | null, dflt: boolean): boolean {
  if (s === null) return dflt;
  return ['true', '1', 'yes', 'ok', 'y', 'on', 'selected', 'checked', 'enabled'].includes(s.toLowerCase());
}

export const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
