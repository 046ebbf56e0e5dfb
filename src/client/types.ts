/**
 * JSON shapes of the Alertmanager API v2 (the OpenAPI spec in upstream `api/v2/openapi.yaml`), as
 * the versions amchaos runs (0.25.0 … 0.33.1) send and accept them. Fields a version may omit are
 * optional; fields added by later versions are optional and marked with the version.
 */
import type { LabelSet } from '../history/types.js';

export interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false = negative matcher (`!=`, `!~`). Absent means true. */
  isEqual?: boolean;
}

/** What POST /api/v2/alerts accepts (a list of these). */
export interface PostableAlert {
  labels: LabelSet;
  annotations?: LabelSet;
  /** RFC 3339. Absent = now (the node fills it in). */
  startsAt?: string;
  /** RFC 3339. Absent = startsAt + resolve_timeout. A time in the past resolves the alert. */
  endsAt?: string;
  generatorURL?: string;
}

export type AlertState = 'unprocessed' | 'active' | 'suppressed';

export interface AlertStatus {
  state: AlertState;
  silencedBy: string[];
  inhibitedBy: string[];
  /** Time intervals muting the alert (0.27+). */
  mutedBy?: string[];
}

export interface ReceiverRef {
  name: string;
}

/** One entry of GET /api/v2/receivers. */
export interface Receiver extends ReceiverRef {
  /** Receiver labels (0.33.1 lists them; 0.25.0 does not). */
  labels?: LabelSet;
}

/** One alert as GET /api/v2/alerts lists it. */
export interface GettableAlert {
  labels: LabelSet;
  annotations: LabelSet;
  receivers: ReceiverRef[];
  fingerprint: string;
  startsAt: string;
  updatedAt: string;
  endsAt: string;
  generatorURL?: string;
  status: AlertStatus;
}

/** One aggregation group as GET /api/v2/alerts/groups lists it. */
export interface AlertGroup {
  labels: LabelSet;
  receiver: ReceiverRef;
  alerts: GettableAlert[];
}

/** What POST /api/v2/silences accepts. With `id` set, the node replaces that silence. */
export interface PostableSilence {
  id?: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export type SilenceState = 'expired' | 'active' | 'pending';

export interface GettableSilence {
  id: string;
  status: { state: SilenceState };
  updatedAt: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface ClusterPeer {
  name: string;
  address: string;
}

export type ClusterState = 'ready' | 'settling' | 'disabled';

/** GET /api/v2/status. */
export interface AlertmanagerStatus {
  cluster: {
    /** This node's own peer name; absent when clustering is disabled. */
    name?: string;
    status: ClusterState;
    /** Alive and suspect members, self included, sorted by name. */
    peers?: ClusterPeer[];
  };
  config: { original: string };
  uptime: string;
  versionInfo: {
    branch: string;
    buildDate: string;
    buildUser: string;
    goVersion: string;
    revision: string;
    version: string;
  };
}

/** Query parameters of GET /api/v2/alerts and /api/v2/alerts/groups (absent = the node's default). */
export interface AlertFilter {
  active?: boolean;
  silenced?: boolean;
  inhibited?: boolean;
  /** Only for GET /api/v2/alerts. */
  unprocessed?: boolean;
  /** Label matchers in Alertmanager syntax, e.g. `alertname="A"`, `severity=~"crit.*"`. All must match. */
  filter?: string[];
  /** Regular expression on receiver names. */
  receiver?: string;
}

export interface SilenceFilter {
  /** Label matchers in Alertmanager syntax; a silence is listed when its matchers equal these. */
  filter?: string[];
}
