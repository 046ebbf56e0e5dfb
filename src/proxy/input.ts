import { parseHostPort } from './address.js';
import { badRequest } from './errors.js';
import { describeValue } from './toxics/registry.js';
import type { UpdateProxyInput } from './types.js';

/**
 * Runtime validation of proxy bodies, shared by the HTTP API and the in-process API (a typed caller can
 * still pass values read from a file). Mirrors Toxiproxy's checks and messages, plus syntax checks on
 * addresses that Toxiproxy leaves to listen/dial time.
 */

export const DEFAULT_LISTEN = '127.0.0.1:0';

export interface ValidProxySpec {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  udp: boolean;
}

/** `suffix` is appended to "missing required field" messages, e.g. " at proxy 2" for /populate. */
export function decodeCreateProxy(raw: unknown, suffix = ''): ValidProxySpec {
  const body = asObject(raw);
  const name = optionalString(body, 'name');
  const listen = optionalString(body, 'listen');
  const upstream = optionalString(body, 'upstream');
  const enabled = optionalBoolean(body, 'enabled');
  const udp = optionalBoolean(body, 'udp');
  if (name === undefined || name === '') throw badRequest(`missing required field: name${suffix}`);
  if (upstream === undefined || upstream === '') throw badRequest(`missing required field: upstream${suffix}`);
  const spec: ValidProxySpec = {
    name,
    listen: listen === undefined || listen === '' ? DEFAULT_LISTEN : listen,
    upstream,
    enabled: enabled ?? true,
    udp: udp ?? false,
  };
  parseHostPort(spec.listen, 'listen');
  parseHostPort(spec.upstream, 'upstream');
  return spec;
}

export function decodeUpdateProxy(raw: unknown): UpdateProxyInput {
  const body = asObject(raw);
  const out: UpdateProxyInput = {};
  const listen = optionalString(body, 'listen');
  const upstream = optionalString(body, 'upstream');
  const enabled = optionalBoolean(body, 'enabled');
  const udp = optionalBoolean(body, 'udp');
  if (listen !== undefined) {
    parseHostPort(listen, 'listen');
    out.listen = listen;
  }
  if (upstream !== undefined) {
    parseHostPort(upstream, 'upstream');
    out.upstream = upstream;
  }
  if (enabled !== undefined) out.enabled = enabled;
  if (udp !== undefined) out.udp = udp;
  return out;
}

export function decodePopulate(raw: unknown): ValidProxySpec[] {
  if (raw === null) return [];
  if (!Array.isArray(raw)) throw badRequest(`bad request body: expected an array of proxies, got ${describeValue(raw)}`);
  return raw.map((entry, i) => decodeCreateProxy(entry, ` at proxy ${i + 1}`));
}

/** Go decodes `null` into a struct as "no fields"; anything else that is not an object is a 400. */
export function asObject(raw: unknown): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw badRequest(`bad request body: expected a JSON object, got ${describeValue(raw)}`);
  }
  return raw as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`bad request body: ${key} must be a string, got ${describeValue(v)}`);
  return v;
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`bad request body: ${key} must be true or false, got ${describeValue(v)}`);
  return v;
}

