/**
 * Alertmanager's UTF-8 matchers parser (matcher/parse, 0.27+): a lexer of `{ } , = != =~ !~`,
 * double-quoted strings (Go string escapes) and unquoted runs of non-reserved runes, and the parser's
 * state machine (optional braces, comma-separated matchers, an optional trailing comma).
 *
 * Alertmanager runs it in "fallback" mode by default (matcher/compat): the classic parser decides
 * whenever it accepts the input, this one only when the classic one fails, and when both fail the
 * classic error is what the user sees. So this module answers only "which matchers, or none": its
 * own error texts are never shown and are not imitated.
 */
import { Matcher, MatcherError, type MatchType } from './matcher.js';

type Kind = '{' | '}' | ',' | '=' | '!=' | '=~' | '!~' | 'quoted' | 'unquoted' | 'eof';

interface Token {
  kind: Kind;
  value: string;
}

class Reject extends Error {}

/** unicode.IsSpace: ASCII spaces, U+0085, U+00A0 and the Unicode White_Space runes. */
function isSpace(r: string): boolean {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
  }
  return r >= '\u2000' && r <= '\u200a';
}

function isReserved(r: string): boolean {
  return isSpace(r) || '{}!=~,\\"\'`'.includes(r);
}

class Lexer {
  private readonly runes: string[];
  private pos = 0;
  private failed = false;

  constructor(input: string) {
    this.runes = [...input];
  }

  /** The next token without consuming it. */
  peek(): Token {
    const at = this.pos;
    try {
      return this.scan();
    } finally {
      this.pos = at;
    }
  }

  scan(): Token {
    if (this.failed) throw new Reject();
    const rs = this.runes;
    while (this.pos < rs.length) {
      const r = rs[this.pos]!;
      if (r === '{' || r === '}' || r === ',') {
        this.pos++;
        return { kind: r, value: r };
      }
      if (r === '=' || r === '!') return this.operator();
      if (r === '"') return this.quoted();
      if (!isReserved(r)) {
        const start = this.pos;
        while (this.pos < rs.length && !isReserved(rs[this.pos]!)) this.pos++;
        return { kind: 'unquoted', value: rs.slice(start, this.pos).join('') };
      }
      if (isSpace(r)) {
        this.pos++;
        continue;
      }
      return this.fail();
    }
    return { kind: 'eof', value: '' };
  }

  private fail(): never {
    this.failed = true;
    throw new Reject();
  }

  private operator(): Token {
    const r = this.runes[this.pos++]!;
    const next = this.runes[this.pos];
    if (r === '!') {
      if (next === '=' || next === '~') {
        this.pos++;
        return next === '=' ? { kind: '!=', value: '!=' } : { kind: '!~', value: '!~' };
      }
      return this.fail();
    }
    if (next === '~') {
      this.pos++;
      return { kind: '=~', value: '=~' };
    }
    return { kind: '=', value: '=' };
  }

  private quoted(): Token {
    const start = this.pos++;
    let escaped = false;
    while (this.pos < this.runes.length) {
      const r = this.runes[this.pos]!;
      if (escaped) escaped = false;
      else if (r === '\\') escaped = true;
      else if (r === '"') {
        this.pos++;
        return { kind: 'quoted', value: this.runes.slice(start, this.pos).join('') };
      }
      this.pos++;
    }
    return this.fail();
  }
}

const HEX = /^[0-9a-fA-F]+$/;

/** strconv.Unquote of a double-quoted Go string literal, plus the parser's valid-UTF-8 check. */
export function goUnquote(quoted: string): string {
  const body = quoted.slice(1, -1);
  const bytes: number[] = [];
  const push = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  const runes = [...body];
  for (let i = 0; i < runes.length; i++) {
    const r = runes[i]!;
    if (r === '"' || r === '\n') throw new Reject();
    if (r !== '\\') {
      push(r);
      continue;
    }
    const e = runes[++i];
    if (e === undefined) throw new Reject();
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
    if (simple[e] !== undefined) {
      bytes.push(simple[e]!);
      continue;
    }
    const take = (n: number): string => {
      const s = runes.slice(i + 1, i + 1 + n).join('');
      if (s.length !== n) throw new Reject();
      i += n;
      return s;
    };
    if (e === 'x') {
      const h = take(2);
      if (!HEX.test(h)) throw new Reject();
      bytes.push(parseInt(h, 16));
    } else if (e === 'u' || e === 'U') {
      const h = take(e === 'u' ? 4 : 8);
      if (!HEX.test(h)) throw new Reject();
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Reject();
      push(String.fromCodePoint(cp));
    } else if (e >= '0' && e <= '7') {
      i--;
      const o = take(3);
      if (!/^[0-7]{3}$/.test(o)) throw new Reject();
      const v = parseInt(o, 8);
      if (v > 255) throw new Reject();
      bytes.push(v);
    } else {
      throw new Reject();
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw new Reject();
  }
}

function unquote(t: Token): string {
  return t.kind === 'quoted' ? goUnquote(t.value) : t.value;
}

function parse(input: string): Matcher[] {
  const l = new Lexer(input);
  const out: Matcher[] = [];
  const expect = (...kinds: Kind[]): Token => {
    const t = l.scan();
    if (!kinds.includes(t.kind)) throw new Reject();
    return t;
  };
  let first = l.peek();
  const hasOpenBrace = first.kind === '{';
  if (hasOpenBrace) {
    l.scan();
    first = l.peek();
  }
  const closeAndEnd = (): Matcher[] => {
    const t = l.scan();
    if (hasOpenBrace) {
      if (t.kind !== '}') throw new Reject();
      if (l.scan().kind !== 'eof') throw new Reject();
    } else if (t.kind !== 'eof') {
      throw new Reject();
    }
    return out;
  };
  if (first.kind === 'eof' || first.kind === '}') return closeAndEnd();
  for (;;) {
    const name = unquote(expect('quoted', 'unquoted'));
    const op = expect('=', '!=', '=~', '!~').kind as MatchType;
    const value = unquote(expect('quoted', 'unquoted'));
    try {
      out.push(new Matcher(op, name, value));
    } catch (e) {
      if (e instanceof MatcherError) throw new Reject();
      throw e;
    }
    const end = l.peek();
    if (end.kind === 'eof' || end.kind === '}') return closeAndEnd();
    if (end.kind !== ',') throw new Reject();
    l.scan();
    const after = l.peek();
    if (after.kind === 'eof' || after.kind === '}') return closeAndEnd();
    if (after.kind !== 'quoted' && after.kind !== 'unquoted') throw new Reject();
  }
}

/** parse.Matchers: the matchers, or undefined when this parser rejects the input. */
export function utf8Matchers(input: string): Matcher[] | undefined {
  try {
    return parse(input);
  } catch (e) {
    if (e instanceof Reject) return undefined;
    throw e;
  }
}

/** parse.Matcher: exactly one matcher, or undefined. */
export function utf8Matcher(input: string): Matcher | undefined {
  const ms = utf8Matchers(input);
  return ms?.length === 1 ? ms[0] : undefined;
}
