import { describe, expect, it } from 'vitest';
import { formatGoDuration, formatPromDuration, parseGoDuration, parsePromDuration } from './duration.js';

describe('Go durations (flags)', () => {
  it.each([
    ['200ms', 200],
    ['1m0s', 60_000],
    ['1m', 60_000],
    ['15s', 15_000],
    ['6h0m0s', 6 * 3_600_000],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['0s', 0],
    ['500us', 0.5],
    ['-1s', -1000],
    ['1h2m3s4ms', 3_723_004],
  ])('parses %s', (s, ms) => expect(parseGoDuration(s)).toBeCloseTo(ms, 9));

  it.each([
    ['xx', 'time: invalid duration "xx"'],
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['5 s', 'time: unknown unit " s" in duration "5 s"'],
  ])('rejects %j with Go wording', (s, msg) => expect(() => parseGoDuration(s)).toThrow(msg));

  it('formats like time.Duration.String', () => {
    expect(formatGoDuration(60_000)).toBe('1m0s');
    expect(formatGoDuration(200)).toBe('200ms');
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(6 * 3_600_000)).toBe('6h0m0s');
    expect(formatGoDuration(1500)).toBe('1.5s');
  });
});

describe('Prometheus durations (config)', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['100ms', 100],
    ['0', 0],
  ])('parses %s', (s, ms) => expect(parsePromDuration(s)).toBe(ms));

  it.each(['1.5h', '5', 'm', '1m1h', '', '-1s'])('rejects %j', (s) => expect(() => parsePromDuration(s)).toThrow());

  it('formats like model.Duration.String', () => {
    expect(formatPromDuration(300_000)).toBe('5m');
    expect(formatPromDuration(5_400_000)).toBe('1h30m');
    expect(formatPromDuration(0)).toBe('0s');
  });
});
