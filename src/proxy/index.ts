/**
 * Public surface of the link proxy. Import from here (src/proxy/index.js), not from the files inside.
 */
export { ProxyServer, API_VERSION, type ApiAddress, type ProxyServerOptions } from './server.js';
export { ProxyCollection } from './collection.js';
export { runProxyCommand, type ProxyCommandOptions } from './cli.js';
export { TOXIC_TYPES } from './toxics/registry.js';
export { statsDelta } from './types.js';
export type {
  CreateProxyInput,
  CreateToxicInput,
  ProxyJson,
  ProxyStats,
  StreamDirection,
  TcpDirectionStats,
  ToxicJson,
  Transport,
  UdpDirectionStats,
  UpdateProxyInput,
  UpdateToxicInput,
} from './types.js';
