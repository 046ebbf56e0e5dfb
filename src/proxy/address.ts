import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { badRequest } from './errors.js';

/** A parsed `host:port`. `host` is an IP literal or a hostname, without IPv6 brackets. */
export interface HostPort {
  host: string;
  port: number;
}

// Hostnames as RFC 1123 allows them (plus `_`, which real deployments use); anything else is a typo.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Parses `host:port` / `[v6]:port` strictly. Toxiproxy hands these strings to Go's net package and
 * reports failures as 500 at listen/dial time; we reject malformed ones up front with a 400 that says
 * what is wrong, because a typo in a fabric spec should fail before anything binds.
 *
 * An empty host means 127.0.0.1 (Toxiproxy: all interfaces). Binding every interface must be asked for
 * explicitly with 0.0.0.0 or [::], so a forgotten host never exposes a proxy to the network.
 */
export function parseHostPort(value: string, field: 'listen' | 'upstream'): HostPort {
  const fail = (why: string): never => {
    throw badRequest(
      `invalid ${field} address ${JSON.stringify(value)}: ${why}`,
      `give ${field} as host:port, e.g. 127.0.0.1:${field === 'listen' ? '0' : '9094'} or [::1]:9094`,
    );
  };
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) fail('missing "]"');
    host = value.slice(1, close);
    if (value[close + 1] !== ':') fail('missing port');
    portText = value.slice(close + 2);
    if (isIP(host) !== 6) fail('brackets must hold an IPv6 address');
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) fail('missing port');
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(':')) fail('IPv6 addresses need brackets, e.g. [::1]:9094');
  }
  if (!/^\d{1,5}$/.test(portText)) fail('port must be a number 0-65535');
  const port = Number(portText);
  if (port > 65535) fail('port must be a number 0-65535');
  if (field === 'upstream' && port === 0) fail('upstream port must not be 0');
  if (host === '') host = '127.0.0.1';
  else if (isIP(host) === 0 && !HOSTNAME.test(host)) fail('host is neither an IP address nor a hostname');
  return { host, port };
}

/** `host:port` with brackets for IPv6, the way Go's net.JoinHostPort prints it. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Resolves a hostname to one IP literal, IPv4 first (Go's ResolveTCPAddr picks 127.0.0.1 for localhost,
 * and so do we, so `localhost:X` compares equal to `127.0.0.1:X` the way Toxiproxy's update rule needs).
 */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    try {
      return (await lookup(host)).address;
    } catch (e) {
      throw badRequest(`cannot resolve host ${JSON.stringify(host)}: ${(e as Error).message}`);
    }
  }
}
