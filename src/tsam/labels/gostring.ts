/**
 * Go string semantics that Alertmanager's keys and fingerprints depend on: byte-wise (UTF-8) ordering
 * and strconv.Quote. JavaScript compares UTF-16 code units, which disagrees with UTF-8 byte order for
 * code points above U+FFFF versus U+E000–U+FFFF, so sorting must go through compareGo.
 */

/** Maps a UTF-16 code unit so that comparing mapped units gives code-point (= UTF-8 byte) order. */
function fixUnit(u: number): number {
  if (u >= 0xe000) return u - 0x800;
  if (u >= 0xd800) return u + 0x2000;
  return u;
}

/** Compares two strings the way Go compares them (UTF-8 bytes). */
export function compareGo(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixUnit(x) - fixUnit(y);
  }
  return a.length - b.length;
}

export function sortGo(xs: string[]): string[] {
  return xs.sort(compareGo);
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's strconv.Quote (JSON.stringify differs: it escapes differently and leaves some runes raw). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') {
      out += '\\' + ch;
      continue;
    }
    if (cp < 0x80) {
      if (cp >= 0x20 && cp < 0x7f) {
        out += ch;
        continue;
      }
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // Go's JSON decoder turns a lone surrogate into U+FFFD, which strconv.Quote prints raw.
      out += '\ufffd';
      continue;
    } else if (PRINTABLE.test(ch)) {
      out += ch;
      continue;
    }
    switch (cp) {
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x0b: out += '\\v'; break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
        else if (cp < 0x10000) out += '\\u' + hex(cp, 4);
        else out += '\\U' + hex(cp, 8);
    }
  }
  return out + '"';
}

/** The escaping of prometheus/common's openMetricsEscape, used by Matcher.String for values. */
export function openMetricsEscape(s: string): string {
  return s.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}
