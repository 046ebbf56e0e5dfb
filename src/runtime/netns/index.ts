/** Public surface of the netns runtime. Import from here. */
export {
  NetnsRuntime,
  NetnsCluster,
  NetnsNode,
  requireRoot,
  visibleNetnsResources,
  DEFAULT_SUBNET_POOL,
  DEFAULT_RECEIVER_IP,
  NETNS_WEB_PORT,
  NETNS_CLUSTER_PORT,
  type NetnsRuntimeOptions,
} from './netns-runtime.js';
export { sweepNetns } from './sweep.js';
export { DEFAULT_STATE_DIR } from './state.js';
