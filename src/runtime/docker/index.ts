/** Public surface of the docker runtime. Import from here. */
export {
  DockerRuntime,
  DockerCluster,
  DockerNode,
  DEFAULT_DOCKER_SUBNET_POOL,
  DEFAULT_DOCKER_RECEIVER_IP,
  DOCKER_WEB_PORT,
  DOCKER_CLUSTER_PORT,
  type DockerRuntimeOptions,
} from './docker-runtime.js';
export { sweepDocker } from './sweep.js';
export { requireEngine, docker, LABEL } from './engine.js';
export { nodeImage, planVersionImage, planInfraImage, ensureImage, hasImage, NODE_CONFIG_PATH, NODE_STORAGE_PATH } from './images.js';
