export { AlertmanagerClient, nodeApiErrorDetails } from './client.js';
export type { AlertmanagerClientOptions, FailureKind, NodeApiErrorDetails, RequestOptions } from './client.js';
export { OpRecorder, RecordingClient, failedOutcome } from './recording.js';
export type * from './types.js';
