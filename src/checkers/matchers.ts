import { AmchaosError } from '../errors/index.js';
import type { LabelSet } from '../history/types.js';

/**
 * Alertmanager's label-matcher semantics, for deciding whether a silence covers an alert:
 *
 * - `=` / `!=` compare the label's value as a string; a label the alert lacks has the value ""
 *   (so `foo=""` matches alerts without `foo`, and `foo!="x"` matches them too);
 * - `=~` / `!~` use a regex anchored at both ends, exactly as Alertmanager compiles it:
 *   `^(?:<value>)$` (pkg/labels/matcher.go);
 * - a silence applies when ALL its matchers match.
 *
 * Alertmanager uses Go's RE2. The common subset is translated to a JavaScript RegExp with the `u`
 * flag. Constructs whose meaning would silently differ in JavaScript are refused with an error
 * rather than guessed, so a checker can say `unknown` instead of judging with a wrong matcher.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled, anchored regex for `=~` and `!~`. */
  regex?: RegExp;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function badMatcher(message: string, input: unknown): AmchaosError {
  return new AmchaosError('AMCHAOS_BAD_ARGUMENT', message, {
    hint: 'Silence matchers must be {name, value, isRegex, isEqual} objects or strings like name="value", name=~"re.*".',
    details: { matcher: input },
  });
}

/** Translates an RE2 pattern into an anchored JavaScript RegExp, or throws when it cannot do so faithfully. */
export function compileGoRegex(pattern: string): RegExp {
  let source = pattern;
  let flags = 'u';
  // Go allows flags only as a group; a leading one applies to the whole anchored pattern.
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 's' || f === 'm') {
        if (!flags.includes(f)) flags += f;
      } else {
        throw badMatcher(`regex flag (?${f}) has no JavaScript equivalent: ${pattern}`, pattern);
      }
    }
    source = source.slice(lead[0].length);
  }
  // `(?:` and `(?P<name>` are fine; any other `(?flags)` / `(?flags:...)` would be a mid-pattern flag.
  if (/\(\?[a-zA-Z-]+[:)]/.test(source)) {
    throw badMatcher(`inline regex flags inside the pattern are not supported: ${pattern}`, pattern);
  }
  if (source.includes('\\Q') || source.includes('\\C')) {
    throw badMatcher(`regex escapes \\Q/\\C are not supported: ${pattern}`, pattern);
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\[:(\^?)([a-z]+):\]/g, (whole, neg: string, name: string) => {
      const cls = POSIX_CLASSES[name];
      if (cls === undefined || neg !== '') throw badMatcher(`unsupported POSIX class ${whole} in ${pattern}`, pattern);
      return cls;
    });
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (e) {
    throw badMatcher(`regex ${JSON.stringify(pattern)} does not compile as JavaScript: ${(e as Error).message}`, pattern);
  }
}

export function compileMatcher(name: string, op: MatchOp, value: string): LabelMatcher {
  if (name === '') throw badMatcher('a matcher needs a label name', { name, op, value });
  const m: LabelMatcher = { name, op, value };
  if (op === '=~' || op === '!~') m.regex = compileGoRegex(value);
  return m;
}

function unquote(raw: string, input: unknown): string {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      throw badMatcher(`cannot unquote ${raw}`, input);
    }
  }
  return raw;
}

const MATCHER_STRING = /^\s*("(?:[^"\\]|\\.)*"|[^\s=!~"]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Parses one matcher: an API v2 object `{name, value, isRegex, isEqual}` or a string `name="v"`. */
export function parseMatcher(input: unknown): LabelMatcher {
  if (typeof input === 'string') {
    const m = MATCHER_STRING.exec(input);
    if (!m) throw badMatcher(`not a matcher: ${JSON.stringify(input)}`, input);
    return compileMatcher(unquote(m[1]!, input), m[2] as MatchOp, unquote(m[3]!, input));
  }
  if (typeof input === 'object' && input !== null) {
    const o = input as Record<string, unknown>;
    if (typeof o['name'] !== 'string' || typeof o['value'] !== 'string') {
      throw badMatcher('a matcher object needs string "name" and "value"', input);
    }
    const isRegex = o['isRegex'] === true;
    // API v2 made isEqual optional (default true) in 0.22; absent means equality.
    const isEqual = o['isEqual'] !== false;
    const op: MatchOp = isRegex ? (isEqual ? '=~' : '!~') : isEqual ? '=' : '!=';
    return compileMatcher(o['name'], op, o['value']);
  }
  throw badMatcher(`not a matcher: ${JSON.stringify(input)}`, input);
}

/** Parses a matcher list: an array of matchers, or one string like `{a="b", c=~"d.*"}`. */
export function parseMatchers(input: unknown): LabelMatcher[] {
  if (Array.isArray(input)) return input.map((m) => parseMatcher(m));
  if (typeof input === 'string') {
    const body = input.trim().replace(/^\{/, '').replace(/\}$/, '');
    const parts = body.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
    return parts.filter((p) => p.trim() !== '').map((p) => parseMatcher(p));
  }
  throw badMatcher('matchers must be an array or a {..} string', input);
}

export function matcherMatches(m: LabelMatcher, labels: LabelSet): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.regex!.test(v);
    case '!~':
      return !m.regex!.test(v);
  }
}

/** A silence mutes an alert when every one of its matchers matches (an empty list matches all). */
export function matchesAll(matchers: readonly LabelMatcher[], labels: LabelSet): boolean {
  for (const m of matchers) if (!matcherMatches(m, labels)) return false;
  return true;
}

export function formatMatchers(matchers: readonly LabelMatcher[]): string {
  return '{' + matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ') + '}';
}
