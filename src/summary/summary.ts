import type { Outcome } from '../checkers/outcome.js';
import type { CheckResult, Verdict } from '../checkers/types.js';
import type { ClaimResult, ClaimSummary, FailureMode } from '../claims/types.js';
import type { NodeDescriptor, Timers } from '../history/types.js';

/**
 * summary.json: what a run concluded. Written by `amchaos run` and by the vitest reporter; read by
 * the report (`amchaos report DIR` re-renders from summary.json + history.jsonl).
 */
export interface RunSummary {
  /** 2: scenarios and the run carry `outcome`; a scenario's `verdict` is verdictOf(outcome). 1: older runs (outcome derived on load). */
  schema: 1 | 2;
  runId: string;
  /** runOutcome(scenarios) — src/checkers/outcome.ts decides; the exit code follows it. */
  outcome: Outcome;
  /** verdictOf(outcome): pass (also for an expected failure), fail or unknown. */
  verdict: Verdict;
  /** The run was stopped (Ctrl-C, SIGTERM, vitest interrupted) before every scenario ran. */
  interrupted?: boolean;
  /** Set by `amchaos check`: when the stored history was last re-judged with the current checkers. */
  rejudgedAt?: string;
  /** The exact command that replays this run (argv, with --seed pinned). */
  command: string[];
  seed: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  machine: { hostname: string; platform: string; arch: string; cpus: number; memoryBytes: number; node: string; kernel: string };
  scenarios: ScenarioSummary[];
  /** Relative paths inside the run directory. */
  files: { history: string; junit?: string; html?: string; logsDir: string; catalogue?: string };
  /** Written by `amchaos catalogue` (and kept by `amchaos report merge`): the failure mode × version matrix. */
  catalogue?: CatalogueSummary;
}

/** The catalogue's matrix: one cell per failure mode and version, each a claim result. */
export interface CatalogueSummary {
  /** The columns, as asked (`--versions`). */
  versions: string[];
  /** The rows: every mode a cell names, in the reference's order. */
  modes: FailureMode[];
  cells: CatalogueCell[];
  /** `--shard i/n` of the run that wrote it (absent after a merge of every shard). */
  shard?: string;
}

export interface CatalogueCell {
  mode: string;
  version: string;
  suite: string;
  /** The scenario that decided it (its id in `scenarios`), or absent when none could run. */
  scenario?: string;
  /** The cluster it ran (e.g. tsam@0.25.0+0.25.0+0.25.0, or 0.25.0→0.33.1 for an upgrade). */
  cluster: string;
  result: ClaimResult;
  /** One sentence of what was seen, or why it is unknown. */
  summary: string;
}

export interface ScenarioSummary {
  /** Unique in the run: "<suite>/<cluster label>", e.g. "exactly-once/0.25.0+0.28.1+0.33.1". */
  id: string;
  suite: string;
  /** The cluster as asked for, one entry per node ("0.25.0", "tsam", ...). */
  versions: string[];
  runtime: string;
  clustered: boolean;
  seed: number;
  /** scenarioOutcome(checks, error) — src/checkers/outcome.ts decides. */
  outcome: Outcome;
  /** verdictOf(outcome): pass (also for an expected failure), fail or unknown. */
  verdict: Verdict;
  /** With outcome `expected-failure`: the injected faults that explain every failing piece of evidence. */
  expectedFailure?: string;
  nodes: NodeDescriptor[];
  timers: Timers;
  checks: CheckSummary[];
  startedAt: string;
  durationMs: number;
  /** Seq range of this scenario's events in history.jsonl (scenario.start .. last event). */
  historyRange: [number, number];
  /** Per node, the log file (relative to the run dir). */
  logs: Record<string, string>;
  /** Figures of the scenario as a whole (notifications received, per-link bytes, ...). */
  figures: Record<string, unknown>;
  /** A scenario that could not run says why (the error code and message). */
  error?: { code: string; message: string; hint?: string };
  /**
   * The suite's upstream claim (src/claims), when it has one: reproduced / not reproduced / unknown
   * with evidence. A finding beside the checks: it never enters `outcome`.
   */
  claim?: ClaimSummary;
}

export interface CheckSummary extends Omit<CheckResult, 'evidence'> {
  evidenceCount: number;
  /** The first evidence items (the report loads the rest from history). */
  evidence: CheckResult['evidence'];
}

