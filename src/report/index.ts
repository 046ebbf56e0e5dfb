/** The report's public surface: see README.md. */
export { renderRunReport, renderRunIndex, renderParentIndex, reportCommand, type ReportCommandResult } from './render.js';
export type { AmchaosTaskMeta } from './vitest-reporter.js';
