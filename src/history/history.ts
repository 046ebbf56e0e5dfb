import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { HistoryEvent, NewEvent } from './types.js';

/**
 * The scenario clock: monotonic milliseconds from an origin, plus the wall-clock time of the same
 * instant. Wall time is derived from the origin (not re-read) so the two never disagree in order.
 */
export class Clock {
  private readonly originMono = performance.now();
  private readonly originWall = Date.now();

  now(): number {
    return performance.now() - this.originMono;
  }

  wallAt(t: number): Date {
    return new Date(this.originWall + t);
  }

  /** Converts an Alertmanager wall-clock timestamp into scenario time. */
  fromWall(wall: Date | string | number): number {
    return new Date(wall).getTime() - this.originWall;
  }
}

/**
 * The append-only history. Events are kept in memory (checkers need them all) and streamed to a
 * JSONL file as they come, so a crashed run still leaves evidence on disk. The file is truncated
 * first: one history file holds one run.
 */
export class History {
  readonly clock: Clock;
  private readonly events: HistoryEvent[] = [];
  private readonly out: WriteStream | undefined;
  private readonly listeners = new Set<(e: HistoryEvent) => void>();

  constructor(opts: { file?: string; clock?: Clock } = {}) {
    this.clock = opts.clock ?? new Clock();
    this.out = opts.file ? createWriteStream(opts.file, { flags: 'w' }) : undefined;
  }

  append<E extends NewEvent>(event: E, at?: number): HistoryEvent {
    const t = at ?? this.clock.now();
    const full = { seq: this.events.length, t, wall: this.clock.wallAt(t).toISOString(), ...event } as HistoryEvent;
    this.events.push(full);
    this.out?.write(JSON.stringify(full) + '\n');
    for (const l of this.listeners) l(full);
    return full;
  }

  /** Called for every appended event (the CLI's progress line, live report hooks). */
  subscribe(listener: (e: HistoryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  all(): readonly HistoryEvent[] {
    return this.events;
  }

  async close(): Promise<void> {
    const out = this.out;
    if (!out) return;
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/**
 * The event type(s) whose `type` can be T. Distributes over the union, so events that carry
 * several types (AlertIntentEvent: alert.fire | alert.resolve) narrow too; a plain
 * Extract<HistoryEvent, { type: T }> gives never for those.
 */
export type EventOfType<T extends HistoryEvent['type'], E = HistoryEvent> = E extends { type: infer U }
  ? T extends U
    ? E & { type: T }
    : never
  : never;

export function ofType<T extends HistoryEvent['type']>(events: readonly HistoryEvent[], type: T): EventOfType<T>[] {
  return events.filter((e): e is EventOfType<T> => e.type === type);
}

/** Reads a history.jsonl; a history may hold several scenarios, each starting with scenario.start. */
export async function readHistoryFile(file: string): Promise<HistoryEvent[]> {
  const text = await readFile(file, 'utf8');
  const events: HistoryEvent[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as HistoryEvent);
    } catch (e) {
      throw new Error(`${file}:${lineNo}: not a JSON history event (${(e as Error).message})`);
    }
  }
  return events;
}
