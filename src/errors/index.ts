/**
 * Typed errors with stable codes (the vitest style): every error a user can act on says what failed,
 * where (node, command), and what to do. The CLI maps them to exit codes; tests match on `code`.
 */

export type ErrorCode =
  | 'AMCHAOS_BAD_ARGUMENT'
  | 'AMCHAOS_UNKNOWN_VERSION'
  | 'AMCHAOS_VERSION_FETCH_FAILED'
  | 'AMCHAOS_INVALID_CONFIG'
  | 'AMCHAOS_INVALID_ALERTS_FILE'
  | 'AMCHAOS_INVALID_SCENARIO'
  | 'AMCHAOS_PORT_IN_USE'
  | 'AMCHAOS_NODE_START_FAILED'
  | 'AMCHAOS_CLUSTER_NOT_READY'
  | 'AMCHAOS_NODE_API'
  | 'AMCHAOS_NEEDS_ROOT'
  | 'AMCHAOS_RUNTIME_UNSUPPORTED'
  | 'AMCHAOS_TEMPLATES_CONFLICT'
  | 'AMCHAOS_FAULT_NOT_VERIFIED'
  /** A host network command (ip, iptables) failed while building or removing a runtime's network. */
  | 'AMCHAOS_NETWORK_SETUP_FAILED'
  | 'AMCHAOS_TIMEOUT'
  | 'AMCHAOS_INTERRUPTED'
  /** A named thing (e.g. a proxy or toxic) does not exist. */
  | 'AMCHAOS_NOT_FOUND'
  /** A named thing (e.g. a proxy or toxic) already exists. */
  | 'AMCHAOS_CONFLICT'
  /** A run directory (summary.json, history.jsonl) the report cannot read. */
  | 'AMCHAOS_INVALID_RUN_DIR'
  /** `--out` names a directory that holds an earlier run (or other files): refused without --force. */
  | 'AMCHAOS_OUT_DIR_EXISTS'
  | 'AMCHAOS_INTERNAL';

export class AmchaosError extends Error {
  readonly code: ErrorCode;
  /** What the user should do about it; printed on its own line by the CLI. */
  readonly hint: string | undefined;
  /** Extra context (node id, command line, last log lines) for reports and debugging. */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AmchaosError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details ?? {};
  }

  /** The message, the hint and the most useful details, as printed to a terminal. */
  format(): string {
    const lines = [`${this.code}: ${this.message}`];
    const logTail = this.details['logTail'];
    if (Array.isArray(logTail) && logTail.length > 0) {
      lines.push('last log lines:', ...logTail.map((l) => `  ${String(l)}`));
    }
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }
}

export function isAmchaosError(e: unknown, code?: ErrorCode): e is AmchaosError {
  return e instanceof AmchaosError && (code === undefined || e.code === code);
}

/** Errors that mean "the user's input is wrong": the CLI exits 254 for these, before anything starts. */
export const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AMCHAOS_BAD_ARGUMENT',
  'AMCHAOS_UNKNOWN_VERSION',
  'AMCHAOS_INVALID_CONFIG',
  'AMCHAOS_INVALID_ALERTS_FILE',
  'AMCHAOS_INVALID_SCENARIO',
  'AMCHAOS_PORT_IN_USE',
  'AMCHAOS_RUNTIME_UNSUPPORTED',
  'AMCHAOS_TEMPLATES_CONFLICT',
  'AMCHAOS_NEEDS_ROOT',
  'AMCHAOS_INVALID_RUN_DIR',
  'AMCHAOS_OUT_DIR_EXISTS',
]);
