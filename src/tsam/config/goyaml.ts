/**
 * A YAML emitter in the style of Go's gopkg.in/yaml.v2 Marshal, which Alertmanager uses for
 * `config.original`: two-space indentation, sequences at their key's indentation, `{}`/`[]` for empty
 * collections, plain scalars where YAML 1.1 allows them, double quotes for strings that would read as
 * another type (`"1"`, `"y"`, `""`), single quotes for the rest that cannot be plain (`'...'`,
 * `'{{ template "x" . }}'`). Maps are ordered as built (Go structs) — callers sort Go maps themselves.
 */

/** An ordered mapping (a Go struct or a sorted Go map). */
export class YMap {
  readonly entries: [string, YValue][] = [];

  set(key: string, value: YValue | undefined): this {
    if (value !== undefined) this.entries.push([key, value]);
    return this;
  }
}

export type YValue = string | number | boolean | null | YValue[] | YMap;

// YAML 1.1 words yaml.v2 resolves to bool or null.
const NON_STRING_WORDS = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  'on', 'On', 'ON', 'off', 'Off', 'OFF', 'null', 'Null', 'NULL', '~', '',
]);
const NUMBER = /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?0x[0-9a-fA-F_]+$|^[-+]?0b[01_]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/;

function readsAsOtherType(s: string): boolean {
  return NON_STRING_WORDS.has(s) || NUMBER.test(s);
}

/** Whether the emitter may write s as a plain scalar (the usual indicator and whitespace rules). */
function plainAllowed(s: string): boolean {
  if (s === '' || /^\s|\s$/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !(/^[-?:]/.test(s) && s.length > 1 && !/^[-?:][\s]/.test(s))) return false;
  if (s.startsWith('---') || s.startsWith('...')) return false;
  if (/: |:$| #|[\n\r\t]/.test(s)) return false;
  // Non-printable or non-ASCII control characters need escapes.
  return !/[\u0000-\u001f\u007f-\u009f\ufeff]/.test(s);
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfeff) out += `\\x${c.toString(16).padStart(2, '0').toUpperCase()}`;
    else out += ch;
  }
  return out + '"';
}

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (readsAsOtherType(v)) return doubleQuoted(v);
  if (plainAllowed(v)) return v;
  if (/[\u0000-\u001f\u007f-\u009f\ufeff]/.test(v)) return doubleQuoted(v);
  return `'${v.replace(/'/g, "''")}'`;
}

function emit(v: YValue, indent: string, out: string[], prefix: string): void {
  if (v instanceof YMap) {
    if (v.entries.length === 0) {
      out.push(`${prefix}{}`);
      return;
    }
    v.entries.forEach(([k, x], i) => {
      const head = (i === 0 ? prefix : indent) + scalar(k) + ':';
      emitValue(x, indent, out, head, true);
    });
    return;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(`${prefix}[]`);
      return;
    }
    v.forEach((x, i) => {
      const dash = (i === 0 ? prefix : indent) + '- ';
      if (x instanceof YMap && x.entries.length > 0) emit(x, indent + '  ', out, dash);
      else if (Array.isArray(x) && x.length > 0) emit(x, indent + '  ', out, dash);
      else emitValue(x, indent, out, dash.trimEnd(), false);
    });
    return;
  }
  out.push(prefix + scalar(v));
}

/** A mapping value or sequence item after `head` (`key:` or `-`). */
function emitValue(x: YValue, indent: string, out: string[], head: string, isKey: boolean): void {
  if (x instanceof YMap && x.entries.length > 0) {
    out.push(head);
    emit(x, indent + '  ', out, indent + '  ');
  } else if (Array.isArray(x) && x.length > 0) {
    out.push(head);
    // yaml.v2 writes a mapping's sequence at the key's own indentation.
    emit(x, isKey ? indent : indent + '  ', out, isKey ? indent : indent + '  ');
  } else {
    emit(x, indent, out, head + ' ');
  }
}

/** yaml.Marshal of a document. */
export function marshalGoYaml(doc: YMap): string {
  const out: string[] = [];
  emit(doc, '', out, '');
  return out.join('\n') + '\n';
}
