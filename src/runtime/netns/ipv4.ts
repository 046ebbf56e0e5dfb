import { AmchaosError } from '../../errors/index.js';

/** IPv4 arithmetic for subnet planning (the runtime uses IPv4 only: memberlist binds one address). */
export interface Cidr {
  network: number;
  prefix: number;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string, what: string): Cidr {
  const bad = (why: string) =>
    new AmchaosError('AMCHAOS_BAD_ARGUMENT', `${what} ${JSON.stringify(text)}: ${why}`, {
      hint: 'Give an IPv4 network in CIDR form, e.g. 10.213.0.0/16 (pool) or 10.213.7.0/24 (one cluster).',
    });
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw bad('not in a.b.c.d/prefix form');
  const ip = ipToInt(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined) throw bad('not an IPv4 address');
  if (prefix < 8 || prefix > 30) throw bad('prefix must be between /8 and /30');
  const network = ip & maskOf(prefix);
  if (network >>> 0 !== ip >>> 0) throw bad(`host bits are set (did you mean ${intToIp(network >>> 0)}/${prefix}?)`);
  return { network: network >>> 0, prefix };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.network)}/${c.prefix}`;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.network;
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(p);
  return ((a.network & m) >>> 0) === ((b.network & m) >>> 0);
}
