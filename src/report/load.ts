import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { runOutcome, scenarioOutcome, verdictOf } from '../checkers/outcome.js';
import { AmchaosError } from '../errors/index.js';
import type { HistoryEvent, ScenarioStartEvent } from '../history/types.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';

/**
 * Reading a run directory for the report. The report must render partial runs too (a crashed run
 * is exactly the one people need to look at), so only an unusable summary.json is an error; a
 * missing or damaged history.jsonl becomes a warning shown in the report.
 */

export interface LoadedRun {
  runDir: string;
  summary: RunSummary;
  /** One entry per summary.scenarios[i], in the same order. */
  scenarios: LoadedScenario[];
  /** Problems found while reading (shown at the top of the report). */
  warnings: string[];
}

export interface LoadedScenario {
  summary: ScenarioSummary;
  /** This scenario's events, in seq order; empty when the history is missing. */
  events: HistoryEvent[];
  start: ScenarioStartEvent | undefined;
  bySeq: Map<number, HistoryEvent>;
}

export async function loadRun(runDir: string): Promise<LoadedRun> {
  const summary = await readSummary(runDir);
  const warnings: string[] = [];
  const historyPath = safeJoin(runDir, summary.files?.history ?? 'history.jsonl');
  let events: HistoryEvent[] = [];
  if (historyPath === undefined) {
    warnings.push(`summary.json names a history file outside the run directory (${String(summary.files?.history)}); it was not read.`);
  } else {
    try {
      const parsed = parseHistory(await readFile(historyPath, 'utf8'));
      events = parsed.events;
      for (const bad of parsed.badLines.slice(0, 5)) warnings.push(`history.jsonl line ${bad.line} is not a JSON event (${bad.reason}); skipped.`);
      if (parsed.badLines.length > 5) warnings.push(`${parsed.badLines.length - 5} more malformed history lines skipped.`);
    } catch (e) {
      warnings.push(`history not readable (${(e as Error).message}): timelines and evidence events are missing; verdicts come from summary.json.`);
    }
  }
  const scenarios = splitScenarios(events, summary.scenarios, warnings);
  return { runDir, summary, scenarios, warnings };
}

export async function readSummary(runDir: string): Promise<RunSummary> {
  const file = join(runDir, 'summary.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const isDir = await stat(runDir).then((s) => s.isDirectory(), () => false);
    throw new AmchaosError('AMCHAOS_INVALID_RUN_DIR', `${file} is missing or unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      hint: isDir
        ? 'pass a run directory written by `amchaos run` or the vitest reporter (it holds summary.json and history.jsonl), e.g. reports/<run-id>/'
        : `${runDir} does not exist; pass an existing run directory, e.g. reports/<run-id>/`,
      details: { runDir },
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INVALID_RUN_DIR', `${file} is not JSON: ${(e as Error).message}`, {
      hint: 'the run was probably interrupted while writing it; re-run the scenario (the command is in the CI log) or restore the file',
    });
  }
  return validateSummary(raw, file);
}

/** Checks the fields the report relies on; everything else is rendered defensively. */
export function validateSummary(raw: unknown, where: string): RunSummary {
  const problems: string[] = [];
  const o = raw as Partial<RunSummary> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) problems.push('not a JSON object');
  else {
    if (o.schema !== 1 && o.schema !== 2) problems.push(`schema is ${JSON.stringify(o.schema)}, this amchaos reads schemas 1 and 2`);
    if (typeof o.runId !== 'string') problems.push('runId is not a string');
    if (!isVerdict(o.verdict)) problems.push(`verdict ${JSON.stringify(o.verdict)} is not pass/fail/unknown`);
    if (!Array.isArray(o.scenarios)) problems.push('scenarios is not an array');
    else
      o.scenarios.forEach((s, i) => {
        if (typeof s !== 'object' || s === null) return problems.push(`scenarios[${i}] is not an object`);
        if (typeof s.id !== 'string') problems.push(`scenarios[${i}].id is not a string`);
        if (!isVerdict(s.verdict)) problems.push(`scenarios[${i}].verdict is not pass/fail/unknown`);
        if (!Array.isArray(s.checks)) problems.push(`scenarios[${i}].checks is not an array`);
        else
          s.checks.forEach((c, j) => {
            if (typeof c?.name !== 'string' || !isVerdict(c.verdict)) problems.push(`scenarios[${i}].checks[${j}] needs a name and a verdict`);
          });
        return undefined;
      });
  }
  if (problems.length > 0) {
    throw new AmchaosError('AMCHAOS_INVALID_RUN_DIR', `${where} is not an amchaos run summary: ${problems.slice(0, 5).join('; ')}`, {
      hint: 'pass a run directory written by `amchaos run` or the vitest reporter; summary.json must follow src/summary/summary.ts',
      details: { problems },
    });
  }
  return withOutcomes(raw as RunSummary);
}

/**
 * Every outcome recomputed from the checks by the one rule (src/checkers/outcome.ts): a schema-1
 * summary (whose scenario verdict was `fail` for an expected failure) and a hand-edited one read
 * the same as a fresh run.
 */
function withOutcomes(s: RunSummary): RunSummary {
  const scenarios = s.scenarios.map((sc) => {
    const outcome = scenarioOutcome(sc.checks, sc.error);
    return { ...sc, outcome, verdict: verdictOf(outcome) };
  });
  const outcome = runOutcome(scenarios, { interrupted: s.interrupted === true });
  return { ...s, scenarios, outcome, verdict: verdictOf(outcome) };
}

function isVerdict(v: unknown): boolean {
  return v === 'pass' || v === 'fail' || v === 'unknown';
}

/** Tolerant JSONL parsing: a crashed run may leave a truncated last line. */
export function parseHistory(text: string): { events: HistoryEvent[]; badLines: { line: number; reason: string }[] } {
  const events: HistoryEvent[] = [];
  const badLines: { line: number; reason: string }[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as HistoryEvent;
      if (typeof e !== 'object' || e === null || typeof e.seq !== 'number' || typeof e.t !== 'number' || typeof e.type !== 'string') {
        badLines.push({ line: lineNo, reason: 'missing seq, t or type' });
        continue;
      }
      events.push(e);
    } catch (err) {
      badLines.push({ line: lineNo, reason: (err as Error).message });
    }
  }
  return { events, badLines };
}

/**
 * Assigns history events to scenarios. Two layouts are accepted, because a run may use one History
 * for all scenarios (seqs unique in the file: `historyRange` selects) or one History per scenario
 * appended to the same file (seqs restart at 0: the scenario.start events delimit, matched by id
 * in order).
 */
export function splitScenarios(events: HistoryEvent[], scenarios: ScenarioSummary[], warnings: string[]): LoadedScenario[] {
  const seqs = new Set<number>();
  let unique = true;
  for (const e of events) {
    if (seqs.has(e.seq)) {
      unique = false;
      break;
    }
    seqs.add(e.seq);
  }
  // Segments start at each scenario.start; events before the first one belong to no scenario.
  const segments: HistoryEvent[][] = [];
  for (const e of events) {
    if (e.type === 'scenario.start') segments.push([e]);
    else segments[segments.length - 1]?.push(e);
  }
  const usedSegments = new Set<number>();
  return scenarios.map((summary, i) => {
    let mine: HistoryEvent[] = [];
    const range = summary.historyRange;
    if (unique && Array.isArray(range) && range.length === 2) {
      const [from, to] = range;
      mine = events.filter((e) => e.seq >= from && e.seq <= to);
    }
    if (mine.length === 0 && segments.length > 0) {
      let k = segments.findIndex((seg, j) => !usedSegments.has(j) && (seg[0] as ScenarioStartEvent).scenario === summary.id);
      if (k < 0 && segments.length === scenarios.length && !usedSegments.has(i)) k = i;
      if (k >= 0) {
        usedSegments.add(k);
        mine = segments[k] ?? [];
      }
    }
    if (mine.length === 0 && events.length > 0) warnings.push(`no history events found for scenario ${summary.id} (historyRange ${JSON.stringify(range)}).`);
    mine.sort((a, b) => a.seq - b.seq);
    const start = mine.find((e): e is ScenarioStartEvent => e.type === 'scenario.start');
    return { summary, events: mine, start, bySeq: new Map(mine.map((e) => [e.seq, e])) };
  });
}

/** Resolves a path from summary.json inside the run dir; undefined if it would escape it. */
export function safeJoin(runDir: string, rel: string): string | undefined {
  if (typeof rel !== 'string' || rel === '' || isAbsolute(rel)) return undefined;
  const root = resolve(runDir);
  const full = resolve(root, rel);
  const r = relative(root, full);
  if (r === '' || r.startsWith('..') || isAbsolute(r)) return undefined;
  return full;
}
