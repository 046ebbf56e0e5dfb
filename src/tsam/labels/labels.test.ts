import { describe, expect, it } from 'vitest';
import { compareGo, goQuote } from './gostring.js';
import { fingerprint, labelSetBefore, labelSetString } from './labelset.js';
import { Matcher, matchersString, MatcherError, sortMatchers } from './matcher.js';
import { parseMatcher, parseMatchers } from './parse.js';

describe('Go strings', () => {
  it('quotes like strconv.Quote', () => {
    expect(goQuote('x y')).toBe('"x y"');
    expect(goQuote('h"1\\')).toBe('"h\\"1\\\\"');
    expect(goQuote('a\nb\tc\x07\x00\x7f')).toBe('"a\\nb\\tc\\a\\x00\\x7f"');
    expect(goQuote('é€😀')).toBe('"é€😀"'); // printable runes stay raw
    expect(goQuote('\u00a0\u200b')).toBe('"\\u00a0\\u200b"'); // non-printable: \u escapes
    expect(goQuote('<&>')).toBe('"<&>"'); // not JSON's escaping
  });

  it('compares by UTF-8 bytes, not UTF-16 units', () => {
    expect(compareGo('a', 'b')).toBeLessThan(0);
    expect(compareGo('a', 'a1')).toBeLessThan(0);
    // U+FF61 < U+1F600 in UTF-8, but the surrogate 0xD83D sorts below 0xFF61 in UTF-16.
    expect(compareGo('\uff61', '😀')).toBeLessThan(0);
    expect(['😀', '\uff61'].sort()).toEqual(['😀', '\uff61']); // JS default order is different
  });
});

describe('LabelSet', () => {
  // Fingerprints read from a real Alertmanager 0.33.1's /api/v2/alerts.
  it.each([
    [{ alertname: 'X' }, 'd2aeefc389ca7746'],
    [{ 'a b': 'x' }, '246aa979d44404a6'],
    [{ alertname: 'A', severity: 'critical' }, 'b807e636403824b5'],
    [{ alertname: 'A', severity: 'warning' }, '25c2cdb12d31dc50'],
    [{ a: '1', a1: '2', alertname: 'W', team: 'x y' }, 'cfc5bd07d5d2333b'],
    [{ alertname: 'Foo', a: '1', a1: '2' }, '027d6a217e40e104'],
  ])('fingerprint of %j is %s (as Alertmanager)', (ls, fp) => {
    expect(fingerprint(ls)).toBe(fp);
  });

  it('fingerprint of the empty set is the FNV-64a offset basis', () => {
    expect(fingerprint({})).toBe('cbf29ce484222325');
    expect(fingerprint({ a: '1' })).not.toBe(fingerprint({ a: '2' }));
  });

  it('String() orders labels per prometheus/common version', () => {
    const ls = { alertname: 'Foo', a: '1', a1: '2' };
    expect(labelSetString(ls, true)).toBe('{a1="2", a="1", alertname="Foo"}'); // 0.25
    expect(labelSetString(ls, false)).toBe('{a="1", a1="2", alertname="Foo"}'); // 0.28+
    expect(labelSetString({}, false)).toBe('{}');
    expect(labelSetString({ x: 'a"b\n' }, false)).toBe('{x="a\\"b\\n"}');
  });

  it('Before orders by size, then by the first differing value', () => {
    expect(labelSetBefore({ a: '1' }, { a: '1', b: '1' })).toBe(true);
    expect(labelSetBefore({ a: '1', b: '2' }, { a: '1', b: '1' })).toBe(false);
    expect(labelSetBefore({ a: '1', b: '1' }, { a: '1', b: '2' })).toBe(true);
    expect(labelSetBefore({ a: '1' }, { b: '1' })).toBe(false); // b missing on the left → o has it
    expect(labelSetBefore({ a: '1' }, { a: '1' })).toBe(false);
  });
});

describe('matchers', () => {
  it('parses the classic forms', () => {
    const m = parseMatcher('team="x y"', true);
    expect([m.name, m.type, m.value]).toEqual(['team', '=', 'x y']);
    expect(parseMatcher(' job =~ "a|b" ', true).type).toBe('=~');
    expect(parseMatcher('a!=b', true).type).toBe('!=');
    expect(parseMatcher('a!~b', true).type).toBe('!~');
    expect(parseMatcher('severity=', true).value).toBe('');
    expect(parseMatcher('x="a\\"b\\\\c\\nd"', true).value).toBe('a"b\\c\nd');
    expect(parseMatcher('x="a\\qb"', true).value).toBe('a\\qb'); // a spurious escape stays
    expect(parseMatcher('"a b"="x"', true).name).toBe('a b'); // UTF-8 names (0.27+)
  });

  it.each([
    ['foo', 'bad matcher format: foo'],
    ['1a=b', 'bad matcher format: 1a=b'],
    ['"a b"="x"', 'bad matcher format: "a b"="x"'],
    ['a="b"c"', 'matcher value contains unescaped double quote: "b"c"'],
    ['a="b', 'matcher value contains unescaped double quote: "b'],
    ['a=~"["', 'error parsing regexp: missing closing ]: `[)$`'],
  ])('rejects %s', (s, msg) => {
    expect(() => parseMatcher(s, false)).toThrow(MatcherError);
    expect(() => parseMatcher(s, false)).toThrow(msg);
  });

  // What the real binaries answered to GET /api/v2/silences?filter=<input> (0.25.0 | 0.28.1 and 0.33.1):
  // a name/value pair when accepted, the 400 text when not.
  it.each([
    ['a-b="x"', 'bad matcher format: a-b="x"', ['a-b', 'x']],
    ['1abc="x"', 'bad matcher format: 1abc="x"', ['1abc', 'x']],
    ['ünï="x"', 'bad matcher format: ünï="x"', ['ünï', 'x']],
    ['"a b"="x"', 'bad matcher format: "a b"="x"', ['a b', 'x']],
    ['a-b=x', 'bad matcher format: a-b=x', ['a-b', 'x']],
    ['a.b="c"', 'bad matcher format: a.b="c"', ['a.b', 'c']],
    ['a b="x"', 'bad matcher format: a b="x"', 'bad matcher format: a b="x"'],
    ['foo', 'bad matcher format: foo', 'bad matcher format: foo'],
    ['a{b="x"', 'bad matcher format: a{b="x"', 'bad matcher format: a{b="x"'],
    ['{a="b"}', 'bad matcher format: {a="b"}', 'unexpected open or close brace: {a="b"}'],
    ['a="b",c="d"', 'matcher value contains unescaped double quote: "b",c="d"', 'matcher value contains unescaped double quote: "b",c="d"'],
    ['a=b"c', 'matcher value contains unescaped double quote: b"c', 'matcher value contains unescaped double quote: b"c'],
    ['a=~"["', 'error parsing regexp: missing closing ]: `[)$`', 'error parsing regexp: missing closing ]: `[)$`'],
    ['a:b="c"', ['a:b', 'c'], ['a:b', 'c']],
    ['a="\\x"', ['a', '\\x'], ['a', '\\x']],
  ])('filter %s: classic %j, fallback %j', (input, classic, fallback) => {
    for (const [utf8, want] of [[false, classic], [true, fallback]] as const) {
      if (typeof want === 'string') {
        expect(() => parseMatcher(input, utf8)).toThrow(new MatcherError(want));
      } else {
        const m = parseMatcher(input, utf8);
        expect([m.name, m.value]).toEqual(want);
      }
    }
  });

  it('fallback lists: the UTF-8 parser only where the classic one fails', () => {
    expect(parseMatchers('{a-b="x", "c d"=~"e.*"}', true).map((m) => [m.name, m.type, m.value])).toEqual([
      ['a-b', '=', 'x'],
      ['c d', '=~', 'e.*'],
    ]);
    expect(() => parseMatchers('a-b="x"', false)).toThrow('bad matcher format: a-b="x"');
    // Go escapes in quoted UTF-8 tokens; invalid ones make the UTF-8 parser reject (classic error shown).
    expect(parseMatchers('"\\u00e9"="\\t"', true).map((m) => [m.name, m.value])).toEqual([['é', '\t']]);
    expect(() => parseMatchers('"a\\qb"="x"', true)).toThrow('bad matcher format: "a\\qb"="x"');
  });

  it('splits lists, keeping commas inside quotes', () => {
    const ms = parseMatchers('{a="1,2", b=~"x|y",c!="z"}', true);
    expect(ms.map((m) => m.toString())).toEqual(['a="1,2"', 'b=~"x|y"', 'c!="z"']);
    expect(() => parseMatchers('a=1,,b=2', true)).toThrow('bad matcher format');
  });

  it('matches with anchored RE2 semantics, missing labels as empty', () => {
    const re = new Matcher('=~', 'job', 'foo|bar');
    expect(re.matches('foo')).toBe(true);
    expect(re.matches('foox')).toBe(false);
    expect(re.matches('a\nfoo')).toBe(false);
    expect(new Matcher('!~', 'job', 'foo').matchesSet({})).toBe(true);
    expect(new Matcher('=', 'job', '').matchesSet({})).toBe(true);
    expect(new Matcher('!=', 'job', '').matchesSet({ job: 'x' })).toBe(true);
  });

  it('formats and sorts like labels.Matchers (route keys)', () => {
    const ms = sortMatchers([
      new Matcher('=', 'team', 'x y'),
      new Matcher('=~', 'service', '^(?:foo|bar)$'),
      new Matcher('!=', 'service', '^(?:foo|bar)$'),
    ]);
    expect(matchersString(ms)).toBe('{service!="^(?:foo|bar)$",service=~"^(?:foo|bar)$",team="x y"}');
    const reserved = new Matcher('=', 'a b', 'v"');
    expect(reserved.toString(true)).toBe('"a b"="v\\""'); // 0.27+
    expect(reserved.toString(false)).toBe('a b="v\\""'); // 0.25
  });
});
