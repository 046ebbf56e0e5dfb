/**
 * Alertmanager's pkg/labels Matcher: the classic parser (grammar and error wording; which parser a
 * version uses is decided in parse.ts), matching with Go RE2 semantics (re2js, anchored `^(?:…)$` like
 * Go), and String()/sorting exactly as they enter route keys.
 */
import { RE2JS } from 're2js';
import { compareGo, goQuote, openMetricsEscape } from './gostring.js';
import type { LabelSet } from './labelset.js';

export type MatchType = '=' | '!=' | '=~' | '!~';
/** Go's enum order (MatchEqual, MatchNotEqual, MatchRegexp, MatchNotRegexp): used when sorting. */
const TYPE_ORDER: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

export class MatcherError extends Error {}

/** Compiles a Go RE2 pattern; throws with Go's message ("error parsing regexp: …"). */
export function compileGoRegexp(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new MatcherError(e instanceof Error ? e.message : String(e));
  }
}

export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  private readonly re: RE2JS | undefined;

  /** labels.NewMatcher: regex matchers compile `^(?:value)$`, the error is Go's regexp error. */
  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    this.re = type === '=~' || type === '!~' ? compileGoRegexp(`^(?:${value})$`) : undefined;
  }

  matches(v: string): boolean {
    switch (this.type) {
      case '=':
        return v === this.value;
      case '!=':
        return v !== this.value;
      case '=~':
        return this.re!.matches(v);
      case '!~':
        return !this.re!.matches(v);
    }
  }

  /** Matches a label set; a missing label counts as the empty value, as in Go. */
  matchesSet(ls: LabelSet): boolean {
    return this.matches(ls[this.name] ?? '');
  }

  /** Matcher.String(); `quoteReserved` = 0.27+ behaviour for names with reserved characters. */
  toString(quoteReserved = true): string {
    if (quoteReserved && RESERVED.test(this.name)) {
      return `${goQuote(this.name)}${this.type}${goQuote(this.value)}`;
    }
    return `${this.name}${this.type}"${openMetricsEscape(this.value)}"`;
  }
}

// Go isReserved: unicode.IsSpace or one of {}!=~,\"'`
const RESERVED = /[\s{}!=~,\\"'`\u0085\u00a0]/u;

export function matchesAll(ms: readonly Matcher[], ls: LabelSet): boolean {
  for (const m of ms) if (!m.matchesSet(ls)) return false;
  return true;
}

/** labels.Matchers sort order: name, then value, then type. */
export function sortMatchers(ms: Matcher[]): Matcher[] {
  return ms.sort((a, b) => {
    const n = compareGo(a.name, b.name);
    if (n !== 0) return n;
    const v = compareGo(a.value, b.value);
    if (v !== 0) return v;
    return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
  });
}

/** labels.Matchers.String(): `{a="b",c=~"d"}` (comma, no space). */
export function matchersString(ms: readonly Matcher[], quoteReserved = true): string {
  return `{${ms.map((m) => m.toString(quoteReserved)).join(',')}}`;
}

// The classic parser's regexp; \s in Go RE2 is ASCII whitespace only.
const CLASSIC = /^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*([\s\S]*?)[\t\n\f\r ]*$/;

function unescapeValue(raw: string, whole: string): string {
  let rawValue = raw;
  let expectTrailingQuote = false;
  if (rawValue.startsWith('"')) {
    rawValue = rawValue.slice(1);
    expectTrailingQuote = true;
  }
  let out = '';
  let escaped = false;
  const chars = [...rawValue];
  for (let i = 0; i < chars.length; i++) {
    const r = chars[i]!;
    if (escaped) {
      escaped = false;
      if (r === 'n') out += '\n';
      else if (r === '"' || r === '\\') out += r;
      else out += '\\' + r; // a spurious escape stays literal, as in Go
      continue;
    }
    if (r === '\\') {
      if (i < chars.length - 1) {
        escaped = true;
        continue;
      }
      out += '\\';
    } else if (r === '"') {
      if (!expectTrailingQuote || i < chars.length - 1) {
        throw new MatcherError(`matcher value contains unescaped double quote: ${whole}`);
      }
      expectTrailingQuote = false;
    } else {
      out += r;
    }
  }
  if (expectTrailingQuote) throw new MatcherError(`matcher value contains unescaped double quote: ${whole}`);
  return out;
}

/** pkg/labels ParseMatcher (the classic parser), e.g. `team="x y"` or `job=~"a|b"`. */
export function parseClassicMatcher(s: string): Matcher {
  const m = CLASSIC.exec(s);
  if (!m) throw new MatcherError(`bad matcher format: ${s}`);
  const value = unescapeValue(m[3]!, m[3]!);
  return new Matcher(m[2] as MatchType, m[1]!, value);
}

/** labels.ParseMatchers: optional braces, comma-separated, commas inside quotes kept. */
export function parseClassicMatchers(s: string): Matcher[] {
  let body = s;
  if (body.startsWith('{')) body = body.slice(1);
  if (body.endsWith('}')) body = body.slice(0, -1);
  const tokens: string[] = [];
  let token = '';
  let insideQuotes = false;
  let escaped = false;
  for (const r of body) {
    if (r === ',' && !insideQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (r === '"') {
      if (!escaped) insideQuotes = !insideQuotes;
      else escaped = false;
    } else if (r === '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += r;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map((t) => parseClassicMatcher(t));
}
