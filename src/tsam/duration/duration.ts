/**
 * The two duration syntaxes Alertmanager uses: Go's time.ParseDuration for command-line flags
 * ("200ms", "1m0s", "1.5h") and Prometheus' model.Duration for the YAML config ("30s", "1h30m", "1d").
 * Values are milliseconds (fractions allowed for sub-millisecond Go durations).
 */

const GO_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5
  'μs': 1e-3, // U+03BC
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration; throws with Go's own message so flag errors read like the real binary's. */
export function parseGoDuration(input: string): number {
  const orig = input;
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  while (s !== '') {
    const num = /^([0-9]*)(\.[0-9]*)?/.exec(s);
    const whole = num?.[1] ?? '';
    const frac = num?.[2] ?? '';
    if (whole === '' && (frac === '' || frac === '.')) throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
    s = s.slice(whole.length + frac.length);
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (!unitMatch) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const unit = unitMatch[0];
    const mult = GO_UNITS[unit];
    if (mult === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(orig)}`);
    }
    s = s.slice(unit.length);
    total += Number(`${whole === '' ? '0' : whole}${frac === '.' ? '' : frac}`) * mult;
  }
  return neg ? -total : total;
}

/** Go's time.Duration.String for whole-millisecond values ("1m0s", "200ms", "0s", "6h0m0s"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let v = Math.abs(ms);
  let out: string;
  if (v < 1000) {
    out = `${trimFloat(v)}ms`;
  } else {
    const h = Math.floor(v / 3_600_000);
    v -= h * 3_600_000;
    const m = Math.floor(v / 60_000);
    v -= m * 60_000;
    const s = trimFloat(v / 1000);
    out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  }
  return neg ? `-${out}` : out;
}

function trimFloat(x: number): string {
  return String(Number(x.toFixed(9)));
}

const PROM_RE = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const PROM_UNITS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** prometheus/common model.ParseDuration (the YAML config's durations). */
export function parsePromDuration(s: string): number {
  if (s === '') throw new Error('empty duration string');
  if (s === '0') return 0;
  const m = PROM_RE.exec(s);
  if (!m) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  let total = 0;
  for (let i = 0; i < PROM_UNITS.length; i++) {
    const g = m[i + 1];
    if (g !== undefined) total += Number(g) * PROM_UNITS[i]!;
  }
  return total;
}

/** prometheus/common model.Duration.String ("5m", "1h30m", "0s"). */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s';
  let v = ms;
  let out = '';
  const units: [string, number][] = [
    ['y', 365 * 86_400_000],
    ['w', 7 * 86_400_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  for (const [name, size] of units) {
    const n = Math.floor(v / size);
    if (n > 0) {
      out += `${n}${name}`;
      v -= n * size;
    }
  }
  return out;
}
