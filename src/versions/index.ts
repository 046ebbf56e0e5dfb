export * from './types.js';
export { resolveVersion, listVersions, defaultProviders, defaultResolveOptions } from './resolve.js';
export { DebianProvider, DEBIAN_SUITES, DEBIAN_TEMPLATES_PATH } from './debian.js';
export { PathProvider, SystemProvider, resolveLocalBinary } from './local.js';
export { UpstreamProvider, DEFAULT_UPSTREAM_URL } from './upstream.js';
export { TsamProvider, TSAM_FAULTS, TSAM_COMPAT, tsamEntry } from './tsam.js';
export { probeBinary, normaliseVersion, compareSemver } from './probe.js';
export {
  resolvePrometheus,
  listPrometheusVersions,
  probePrometheus,
  PROMETHEUS_DEBIAN_SUITES,
  PrometheusDebianProvider,
  PrometheusUpstreamProvider,
  PrometheusPathProvider,
  PrometheusSystemProvider,
  type ResolvedPrometheus,
  type PrometheusFeatures,
} from './prometheus.js';
