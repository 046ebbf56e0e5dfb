export { CaptureReceiver, normaliseExternalURL } from './capture.js';
export type { CaptureAddress, CaptureOptions, CaptureStats, ReceiverFault } from './capture.js';
export { parseWebhook } from './payload.js';
export type { WebhookAlert, WebhookMessage } from './payload.js';
