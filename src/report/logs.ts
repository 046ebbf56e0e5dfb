import { readFile } from 'node:fs/promises';

/**
 * Node logs next to evidence: the report embeds only the lines around evidence times, never whole
 * logs (they reach megabytes in long runs and would bloat a file people mail around).
 *
 * Alertmanager ≤0.27 logs go-kit logfmt (`ts=2026-11-22T04:22:02.991Z caller=… level=info …`);
 * ≥0.28 logs slog text (`time=2026-11-22T04:22:03.075Z level=INFO source=… msg=…`), both checked
 * against the Debian 0.25.0, 0.28.1 and 0.33.1 binaries. slog's JSON handler (`"time":"…"`) is
 * accepted too. Lines without a timestamp (panics, stack traces) take the previous line's time.
 */

export interface TimedLine {
  /** Epoch milliseconds; NaN for lines before the first timestamped line. */
  ms: number;
  /** 1-based line number in the file. */
  no: number;
  text: string;
}

const LOGFMT_TIME = /(?:^|\s)(?:ts|time)=("?)(\d{4}-\d\d-\d\d[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?)\1(?=\s|$)/;
const JSON_TIME = /"(?:ts|time)"\s*:\s*"(\d{4}-\d\d-\d\d[T ][^"]+)"/;

export function lineTime(line: string): number {
  const m = LOGFMT_TIME.exec(line) ?? JSON_TIME.exec(line);
  if (!m) return Number.NaN;
  const iso = (m[2] ?? m[1] ?? '').replace(' ', 'T');
  return Date.parse(iso);
}

export function parseLog(text: string): TimedLine[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: TimedLine[] = [];
  let last = Number.NaN;
  lines.forEach((text, i) => {
    const ms = lineTime(text);
    if (!Number.isNaN(ms)) last = ms;
    out.push({ ms: Number.isNaN(ms) ? last : ms, no: i + 1, text });
  });
  return out;
}

export interface Excerpt {
  lines: TimedLine[];
  /** Lines inside the window that were left out to keep the excerpt short. */
  omitted: number;
  /** Lines in the whole file. */
  total: number;
}

/**
 * The lines whose time lies in [fromMs, toMs]. When there are more than `maxLines`, keeps the ones
 * nearest to `focusMs` (the evidence time) — those explain what the node did at that moment.
 */
export function excerpt(lines: readonly TimedLine[], fromMs: number, toMs: number, focusMs: number, maxLines: number): Excerpt {
  const first = lowerBound(lines, fromMs);
  let end = first;
  while (end < lines.length && !((lines[end]?.ms ?? 0) > toMs)) end++;
  const inWindow = lines.slice(first, end).filter((l) => !Number.isNaN(l.ms));
  if (inWindow.length <= maxLines) return { lines: inWindow, omitted: 0, total: lines.length };
  // Centre the kept block on the focus time.
  const focusIdx = Math.max(0, lowerBound(inWindow, focusMs));
  let from = Math.max(0, focusIdx - Math.floor(maxLines / 2));
  from = Math.min(from, inWindow.length - maxLines);
  return { lines: inWindow.slice(from, from + maxLines), omitted: inWindow.length - maxLines, total: lines.length };
}

/** First index whose ms ≥ value (lines are in file order, which is time order for one process). */
function lowerBound(lines: readonly TimedLine[], value: number): number {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const ms = lines[mid]?.ms ?? Number.NaN;
    // Untimed leading lines sort before everything.
    if (Number.isNaN(ms) || ms < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Reads and parses each log once per render (evidence items share files). */
export class LogCache {
  private readonly cache = new Map<string, Promise<TimedLine[] | Error>>();

  get(path: string): Promise<TimedLine[] | Error> {
    let p = this.cache.get(path);
    if (!p) {
      p = readFile(path, 'utf8').then(parseLog, (e: Error) => e);
      this.cache.set(path, p);
    }
    return p;
  }
}
