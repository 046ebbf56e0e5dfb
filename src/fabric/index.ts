/** Public surface of the fabric. Import from here. */
export { Fabric, peerLinkName, clientLinkName, receiverLinkName, receiverBaseURL, type CutResult, type FlowResult } from './fabric.js';
export { judgeCut, judgeFlow, cutProven, flowProven, linkDeltas, traffic, delivered, attempted, type LinkDelta, type CutVerdict, type FlowVerdict } from './verify.js';
export * from './types.js';
export type { LinkControl } from './link-control.js';
