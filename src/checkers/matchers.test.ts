import { describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import { compileGoRegex, matchesAll, parseMatcher, parseMatchers } from './matchers.js';

const m = (input: unknown, labels: Record<string, string>): boolean => matchesAll([parseMatcher(input)], labels);

describe('Alertmanager matcher semantics', () => {
  it('= and != compare strings; a missing label is the empty string', () => {
    expect(m('alertname="A"', { alertname: 'A' })).toBe(true);
    expect(m('alertname="A"', { alertname: 'AB' })).toBe(false);
    expect(m('team!="ops"', { alertname: 'A' })).toBe(true);
    expect(m('team=""', { alertname: 'A' })).toBe(true);
    expect(m('team=""', { team: 'x' })).toBe(false);
  });

  it('=~ and !~ are anchored at both ends', () => {
    expect(m('alertname=~"A.*"', { alertname: 'Abc' })).toBe(true);
    expect(m('alertname=~"b"', { alertname: 'abc' })).toBe(false);
    expect(m('alertname=~"A|B"', { alertname: 'B' })).toBe(true);
    expect(m('alertname=~"A|B"', { alertname: 'AB' })).toBe(false);
    expect(m('alertname!~"A|B"', { alertname: 'AB' })).toBe(true);
    expect(m('team=~".*"', {})).toBe(true);
    expect(m('team=~".+"', {})).toBe(false);
  });

  it('reads API v2 matcher objects (isEqual defaults to true)', () => {
    expect(m({ name: 'a', value: 'x', isRegex: false }, { a: 'x' })).toBe(true);
    expect(m({ name: 'a', value: 'x', isRegex: false, isEqual: false }, { a: 'x' })).toBe(false);
    expect(m({ name: 'a', value: 'x|y', isRegex: true, isEqual: true }, { a: 'y' })).toBe(true);
    expect(m({ name: 'a', value: 'x|y', isRegex: true, isEqual: false }, { a: 'y' })).toBe(false);
  });

  it('parses quoted values with escapes and unquoted values', () => {
    expect(parseMatcher('a="x\\"y"').value).toBe('x"y');
    expect(parseMatcher('a = x').value).toBe('x');
    expect(parseMatcher('a!~x').op).toBe('!~');
  });

  it('parses {..} lists, and all matchers must match', () => {
    const list = parseMatchers('{alertname="A", severity=~"crit|warn"}');
    expect(list).toHaveLength(2);
    expect(matchesAll(list, { alertname: 'A', severity: 'warn' })).toBe(true);
    expect(matchesAll(list, { alertname: 'A', severity: 'info' })).toBe(false);
    expect(matchesAll([], { any: 'thing' })).toBe(true);
  });

  it('translates the RE2 features JavaScript lacks, and refuses what it cannot translate', () => {
    expect(compileGoRegex('(?i)abc').test('ABC')).toBe(true);
    expect(compileGoRegex('[[:digit:]]+').test('123')).toBe(true);
    expect(compileGoRegex('[[:digit:]]+').test('12a')).toBe(false);
    expect(compileGoRegex('(?P<x>a)b').test('ab')).toBe(true);
    for (const bad of ['(?U)a', 'a(?i)b', '\\Qa.b\\E', '[[:nope:]]', '(']) {
      try {
        compileGoRegex(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect(isAmchaosError(e, 'AMCHAOS_BAD_ARGUMENT')).toBe(true);
      }
    }
  });

  it('rejects things that are not matchers', () => {
    for (const bad of [42, { name: 'a' }, 'no operator', '="x"']) {
      expect(() => parseMatcher(bad)).toThrow();
    }
  });
});
