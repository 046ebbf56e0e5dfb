/**
 * Which real Alertmanager version tsam imitates (--tsam.compat). Every behaviour that differs between
 * the versions amchaos runs is decided here, by name, so the rest of the code asks a question
 * ("does this version quote reserved matcher names?") instead of comparing version strings.
 */
import { AmchaosError } from '../../errors/index.js';

export const COMPAT_VERSIONS = ['0.25.0', '0.28.1', '0.33.1'] as const;
export type CompatVersion = (typeof COMPAT_VERSIONS)[number];
export const DEFAULT_COMPAT: CompatVersion = '0.33.1';

export interface Compat {
  readonly version: CompatVersion;
  /** prometheus/common ≤0.5x sorts formatted `k="v"` strings in LabelSet.String; 0.61+ sorts names. */
  readonly labelSetSortsFormatted: boolean;
  /** 0.27+: Matcher.String quotes names that contain reserved characters. */
  readonly quoteReservedMatcherNames: boolean;
  /** 0.27+: label names may be any UTF-8 (the API and the matcher parser accept them). */
  readonly utf8LabelNames: boolean;
  /** 0.32+: webhook payload carries notification_reason. */
  readonly webhookNotificationReason: boolean;
  /** 0.32+: silences carry matcher_sets (field 11), encoded with the legacy matchers copy. */
  readonly silenceMatcherSets: boolean;
  /** gogo-protobuf era (≤0.31): timestamps are non-nullable and always emitted. */
  readonly gogoTimestamps: boolean;
  /** 0.27+: /api/v2/alerts status has mutedBy. */
  readonly alertStatusMutedBy: boolean;
  /** 0.27+: /api/v1 answers 410 Gone (0.25 still serves it; tsam answers 404 there). */
  readonly apiV1Gone: boolean;
  /** 0.28+: log/slog output (`time=… level=INFO source=… msg=…`); 0.25 uses go-kit (`level=info ts=… caller=…`). */
  readonly slogLogs: boolean;
  /** Prefix of silence validation errors: "silence invalid" (0.25) or "invalid silence" (0.28+). */
  readonly silenceInvalidPrefix: string;
  /** How POST /api/v2/alerts joins several validation errors: "; " (≤0.28 MultiError) or "\n" (errors.Join). */
  readonly alertErrorSeparator: string;
  /** 0.25: DELETE of an unknown silence answers 500 "silence not found" (later: 404, empty body). */
  readonly deleteUnknownSilenceIs500: boolean;
  /** 0.33: /api/v2/receivers entries carry labels ({name}). */
  readonly receiverLabels: boolean;
  /** Silence validation errors name the matcher set (0.32+). */
  readonly silenceErrorsNameSet: boolean;
  /** 0.28+ (Go and strfmt of 2024+): a bare date parses as a time; a zone offset past ±24 h does not. */
  readonly newerTimeParsing: boolean;
  /** ≤0.28: API alert queries write the status they compute into the marker (0.33 predicts on a copy). */
  readonly apiQueriesMarkAlerts: boolean;
  /** versionInfo for /api/v2/status and the build line in the logs. */
  readonly versionInfo: Readonly<Record<string, string>>;
}

export function parseCompat(v: string): Compat {
  if (!(COMPAT_VERSIONS as readonly string[]).includes(v)) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--tsam.compat=${v} is not a version tsam imitates`, {
      hint: `use one of ${COMPAT_VERSIONS.join(', ')}`,
    });
  }
  const version = v as CompatVersion;
  const ge028 = version !== '0.25.0';
  const ge033 = version === '0.33.1';
  return {
    version,
    labelSetSortsFormatted: !ge028,
    quoteReservedMatcherNames: ge028,
    utf8LabelNames: ge028,
    webhookNotificationReason: ge033,
    silenceMatcherSets: ge033,
    gogoTimestamps: !ge033,
    alertStatusMutedBy: ge028,
    apiV1Gone: ge028,
    slogLogs: ge028,
    silenceInvalidPrefix: ge028 ? 'invalid silence' : 'silence invalid',
    receiverLabels: ge033,
    alertErrorSeparator: ge033 ? '\n' : '; ',
    deleteUnknownSilenceIs500: !ge028,
    silenceErrorsNameSet: ge033,
    newerTimeParsing: ge028,
    apiQueriesMarkAlerts: !ge033,
    versionInfo: {
      branch: 'tsam',
      buildDate: '',
      buildUser: 'amchaos',
      goVersion: `node${process.versions.node}`,
      revision: 'tsam',
      version,
    },
  };
}
