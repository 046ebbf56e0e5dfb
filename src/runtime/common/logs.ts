import { open } from 'node:fs/promises';

/**
 * Alertmanager logs in two formats: go-kit logfmt up to 0.27 (`ts=... level=info msg=...`) and
 * log/slog from 0.28 (`time=... level=INFO msg=...`). tsam writes logfmt like 0.25. One parser
 * for both, so readiness detection, bind-failure detection and report excerpts work everywhere.
 */
export interface LogRecord {
  time?: string;
  level?: string;
  msg?: string;
  fields: Record<string, string>;
  raw: string;
}

const PAIR = /([A-Za-z0-9_.\-/]+)=("(?:[^"\\]|\\.)*"|\S*)/g;

export function parseLogLine(line: string): LogRecord {
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(PAIR)) {
    let v = m[2]!;
    if (v.startsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    fields[m[1]!] = v;
  }
  const rec: LogRecord = { fields, raw: line };
  const time = fields['ts'] ?? fields['time'];
  if (time) rec.time = time;
  if (fields['level']) rec.level = fields['level'].toLowerCase();
  if (fields['msg']) rec.msg = fields['msg'];
  return rec;
}

/** Reads the last `n` lines of a (possibly large) log file without loading it all. */
export async function tailFile(file: string, n: number, maxBytes = 256 * 1024): Promise<string[]> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(-n);
  } finally {
    await fh.close();
  }
}

/** The log says the node could not bind one of its addresses (a lost port race). */
export function isBindFailure(line: string): boolean {
  return /address already in use/.test(line);
}
