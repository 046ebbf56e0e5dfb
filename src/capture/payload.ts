/**
 * The Alertmanager webhook payload (version "4", the same in every version amchaos runs; 0.32+
 * adds `notification_reason`, 0.34 `routeLabels`, both ignored here) and its validation. The
 * capture is strict on purpose: a payload missing a field is a bug in the sender (tsam, usually)
 * that a suite should see, so it is answered 400 and noted, never guessed at.
 */
import type { LabelSet } from '../history/types.js';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookMessage {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: LabelSet;
  commonLabels: LabelSet;
  commonAnnotations: LabelSet;
  externalURL: string;
  alerts: WebhookAlert[];
}

export type ParseResult = { ok: true; message: WebhookMessage } | { ok: false; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isLabelSet(v: unknown): v is LabelSet {
  if (!isRecord(v)) return false;
  for (const k in v) if (typeof v[k] !== 'string') return false;
  return true;
}

function isStatus(v: unknown): v is 'firing' | 'resolved' {
  return v === 'firing' || v === 'resolved';
}

/** Parses and checks a webhook body; the error says which field is wrong. */
export function parseWebhook(body: string): ParseResult {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  if (!isRecord(v)) return { ok: false, error: 'the body is not a JSON object' };
  for (const f of ['version', 'groupKey', 'receiver', 'externalURL'] as const) {
    if (typeof v[f] !== 'string') return { ok: false, error: `field "${f}" must be a string` };
  }
  if (!isStatus(v['status'])) return { ok: false, error: 'field "status" must be "firing" or "resolved"' };
  // truncatedAlerts is always sent by the real binaries; absent is tolerated as 0 for senders that
  // omit zero values, anything else must be a non-negative integer.
  const trunc = v['truncatedAlerts'] ?? 0;
  if (typeof trunc !== 'number' || !Number.isInteger(trunc) || trunc < 0) {
    return { ok: false, error: 'field "truncatedAlerts" must be a non-negative integer' };
  }
  for (const f of ['groupLabels', 'commonLabels', 'commonAnnotations'] as const) {
    if (!isLabelSet(v[f])) return { ok: false, error: `field "${f}" must be an object of strings` };
  }
  const alerts = v['alerts'];
  if (!Array.isArray(alerts)) return { ok: false, error: 'field "alerts" must be a list' };
  for (let i = 0; i < alerts.length; i++) {
    const a: unknown = alerts[i];
    if (!isRecord(a)) return { ok: false, error: `alerts[${i}] is not an object` };
    if (!isStatus(a['status'])) return { ok: false, error: `alerts[${i}].status must be "firing" or "resolved"` };
    if (!isLabelSet(a['labels'])) return { ok: false, error: `alerts[${i}].labels must be an object of strings` };
    if (!isLabelSet(a['annotations'])) return { ok: false, error: `alerts[${i}].annotations must be an object of strings` };
    for (const f of ['startsAt', 'endsAt', 'fingerprint', 'generatorURL'] as const) {
      if (typeof a[f] !== 'string') return { ok: false, error: `alerts[${i}].${f} must be a string` };
    }
  }
  return { ok: true, message: { ...(v as unknown as WebhookMessage), truncatedAlerts: trunc } };
}
