/**
 * Request-body decoding with go-swagger's outcomes: a body that does not decode into the model is a
 * 400 {"code":400,"message":"parsing <what> body from \"\" failed, because <why>"}; a decoded body that
 * breaks the schema is a 422 with the first validation error (fields checked in alphabetical order,
 * as the generated validators do). Messages imitate Go's where cheap; the shapes and codes are exact.
 */

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

/** JSON.parse with the Go decoder's error wording for the common cases. */
export function parseJsonBody(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (text.trim() === '') throw parseError(what, 'EOF');
    const m = /position (\d+)/.exec((e as Error).message);
    const pos = m ? Number(m[1]) : 0;
    const ch = text.trim()[0] === undefined ? '' : text[pos] ?? '';
    throw parseError(what, `invalid character '${ch}' looking for beginning of value`);
  }
}

export function typeError(what: string, v: unknown, goType: string, field?: string): SwaggerError {
  const where = field ? `Go struct field ${field} of type ${goType}` : `Go value of type ${goType}`;
  return parseError(what, `json: cannot unmarshal ${jsonKind(v)} into ${where}`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** Go's zero time in epoch ms; anything at or before it reads as "not set". */
const GO_ZERO_MS = -62135596800000;

/** strfmt.DateTime parsing → epoch ms (0 for Go's zero time). Throws the Go-style message. */
export function parseDateTime(s: unknown, what: string, field: string): number {
  if (typeof s !== 'string') throw typeError(what, s, 'strfmt.DateTime', field);
  if (!RFC3339.test(s)) {
    throw parseError(what, `parsing time ${JSON.stringify(s)} as "2006-01-02T15:04:05.000Z07:00": cannot parse ${JSON.stringify(s)} as "2006"`);
  }
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw parseError(what, `parsing time ${JSON.stringify(s)}: out of range`);
  return ms <= GO_ZERO_MS ? 0 : ms;
}

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
