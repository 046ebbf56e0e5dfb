/**
 * tsam's logger writes the same line shapes as the binary it imitates, so amchaos' log parser (which
 * looks for msg="Listening on" address=…) treats tsam like any node:
 *   0.28+ (log/slog): time=… level=INFO source=file.go:1 msg="…" k=v
 *   0.25 (go-kit):    ts=… caller=file.go:1 level=info msg="…" k=v
 * and --log.format=json gives one JSON object per line.
 */
import type { Compat } from '../compat/compat.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  level: Level;
  format: 'logfmt' | 'json';
  compat: Compat;
  write?: (line: string) => void;
}

function needsQuote(s: string): boolean {
  return s === '' || /[\s"=\\]|[^\x21-\x7e]/.test(s);
}

function fmtValue(v: unknown): string {
  let s: string;
  if (v instanceof Error) s = v.message;
  else if (typeof v === 'string') s = v;
  else if (v === undefined || v === null) s = 'null';
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  return needsQuote(s) ? JSON.stringify(s) : s;
}

export class Logger {
  private readonly opts: LoggerOptions;
  private readonly fields: Record<string, unknown>;
  private readonly write: (line: string) => void;

  constructor(opts: LoggerOptions, fields: Record<string, unknown> = {}) {
    this.opts = opts;
    this.fields = fields;
    this.write = opts.write ?? ((line) => process.stderr.write(line + '\n'));
  }

  /** A logger that adds these fields to every line (Go's log.With / slog.With). */
  with(fields: Record<string, unknown>): Logger {
    return new Logger(this.opts, { ...this.fields, ...fields });
  }

  debug(msg: string, fields?: Record<string, unknown>): void { this.log('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.log('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.log('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.log('error', msg, fields); }

  enabled(level: Level): boolean {
    return ORDER[level] >= ORDER[this.opts.level];
  }

  log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const ts = new Date().toISOString();
    const all = { ...this.fields, ...fields };
    const slog = this.opts.compat.slogLogs;
    const source = 'tsam';
    if (this.opts.format === 'json') {
      const obj: Record<string, unknown> = slog
        ? { time: ts, level: level.toUpperCase(), source, msg }
        : { ts, caller: source, level, msg };
      for (const [k, v] of Object.entries(all)) obj[k] = v instanceof Error ? v.message : v;
      this.write(JSON.stringify(obj));
      return;
    }
    const head = slog
      ? `time=${ts} level=${level.toUpperCase()} source=${source} msg=${fmtValue(msg)}`
      : `ts=${ts} caller=${source} level=${level} msg=${fmtValue(msg)}`;
    let line = head;
    for (const [k, v] of Object.entries(all)) line += ` ${k}=${fmtValue(v)}`;
    this.write(line);
  }
}
