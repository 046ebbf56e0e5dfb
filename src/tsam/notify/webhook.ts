/**
 * The webhook integration: payload version "4" exactly as notify/webhook builds it (template.Data
 * fields, then version, groupKey, truncatedAlerts), encoded like Go's json.Encoder (sorted map keys,
 * HTML escaping, trailing newline), with User-Agent "Alertmanager/<version>". The retrier semantics
 * are Go's: 2xx is success, 5xx is retried, any other status fails for good, transport errors retry.
 */
import http from 'node:http';
import https from 'node:https';
import type { Compat } from '../compat/compat.js';
import type { WebhookConfig } from '../config/config.js';
import { resolvedAt, type Alert } from '../alerts/alerts.js';
import { goString, goStringMap, rfc3339Nano } from '../gojson/gojson.js';
import type { LabelSet } from '../labels/labelset.js';

export interface NotifyResult {
  ok: boolean;
  /** Whether a failure may be retried. */
  retry: boolean;
  error?: string;
  /** The HTTP status when the receiver answered (no status: a transport error). */
  status?: number;
}

export interface WebhookMessageInput {
  receiver: string;
  alerts: Alert[];
  groupLabels: LabelSet;
  groupKey: string;
  externalURL: string;
  maxAlerts: number;
  /** Written only by versions that have it (0.32+). */
  notificationReason: string | undefined;
  now: number;
}

/** regexp.QuoteMeta, which template.Data applies to the receiver name. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, (c) => '\\' + c);
}

/** The request body, byte for byte as Go would send it. */
export function webhookBody(m: WebhookMessageInput): string {
  let alerts = m.alerts;
  let truncated = 0;
  if (m.maxAlerts !== 0 && alerts.length > m.maxAlerts) {
    truncated = alerts.length - m.maxAlerts;
    alerts = alerts.slice(0, m.maxAlerts);
  }
  const firing = alerts.some((a) => !resolvedAt(a, m.now));
  let commonLabels: LabelSet = {};
  let commonAnnotations: LabelSet = {};
  if (alerts.length > 0) {
    commonLabels = { ...alerts[0]!.labels };
    commonAnnotations = { ...alerts[0]!.annotations };
    for (const a of alerts.slice(1)) {
      for (const [k, v] of Object.entries(commonLabels)) if (a.labels[k] !== v) delete commonLabels[k];
      for (const [k, v] of Object.entries(commonAnnotations)) if (a.annotations[k] !== v) delete commonAnnotations[k];
    }
  }
  const alertJson = alerts.map((a) => {
    const isResolved = resolvedAt(a, m.now);
    return (
      `{"status":${isResolved ? '"resolved"' : '"firing"'},"labels":${goStringMap(a.labels)},` +
      `"annotations":${goStringMap(a.annotations)},"startsAt":"${rfc3339Nano(a.startsAt, a.startsAtDetail)}",` +
      // types.Alerts hides the end of an alert that has not ended yet.
      `"endsAt":"${isResolved ? rfc3339Nano(a.endsAt, a.endsAtDetail) : rfc3339Nano(0)}","generatorURL":${goString(a.generatorURL)},` +
      `"fingerprint":"${a.fingerprint}"}`
    );
  });
  let body =
    `{"receiver":${goString(quoteMeta(m.receiver))},"status":${firing ? '"firing"' : '"resolved"'},` +
    `"alerts":[${alertJson.join(',')}],`;
  if (m.notificationReason !== undefined) body += `"notification_reason":${goString(m.notificationReason)},`;
  body +=
    `"groupLabels":${goStringMap(m.groupLabels)},"commonLabels":${goStringMap(commonLabels)},` +
    `"commonAnnotations":${goStringMap(commonAnnotations)},"externalURL":${goString(m.externalURL)},` +
    `"version":"4","groupKey":${goString(m.groupKey)},"truncatedAlerts":${truncated}}\n`;
  return body;
}

// One keep-alive agent per process, like Go's shared http.Transport per integration.
const httpAgent = new http.Agent({ keepAlive: true });
const httpsAgent = new https.Agent({ keepAlive: true });

/**
 * One delivery attempt over node:http (not fetch, which adds browser headers): the request carries
 * what Go's client sends — Host, User-Agent, Content-Length, Content-Type (no Accept-Encoding:
 * the real binaries send none, checked by webhook-differential.test.ts).
 */
export function postWebhook(conf: WebhookConfig, body: string, compat: Compat, signal: AbortSignal): Promise<NotifyResult> {
  const s = conf.timeoutMs > 0 ? AbortSignal.any([signal, AbortSignal.timeout(conf.timeoutMs)]) : signal;
  return new Promise<NotifyResult>((resolve) => {
    let url: URL;
    try {
      url = new URL(conf.url);
    } catch {
      resolve({ ok: false, retry: false, error: `invalid URL ${conf.url}` });
      return;
    }
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method: 'POST',
        agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
        signal: s,
        headers: {
          'User-Agent': `Alertmanager/${compat.version}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        // Drain the body so the connection can be reused.
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ ok: true, retry: false, status });
          else resolve({ ok: false, retry: status >= 500, error: `unexpected status code ${status}: ${conf.url}`, status });
        });
        res.on('error', (e) => resolve({ ok: false, retry: true, error: `Post "${conf.url}": ${e.message}` }));
      },
    );
    req.on('error', (e) => resolve({ ok: false, retry: true, error: `Post "${conf.url}": ${e.message}` }));
    req.end(body);
  });
}
