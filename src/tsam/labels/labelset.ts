/**
 * prometheus/common model.LabelSet behaviour that must be byte-identical with Go: Fingerprint
 * (FNV-1a 64 over sorted name/value pairs, shown in the API and used for alert identity), String
 * (the group-label part of nflog group keys, whose ordering differs by version) and Before (sort order
 * of alerts and groups in API answers and webhooks).
 */
import { compareGo, goQuote } from './gostring.js';

export type LabelSet = Record<string, string>;

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;

/** FNV-1a 64 state kept as two uint32 halves; prime = 2^40 + 0x1b3. */
class Fnv64a {
  hi = OFFSET_HI;
  lo = OFFSET_LO;

  addByte(b: number): void {
    const lo = (this.lo ^ b) >>> 0;
    const lp = lo * 0x1b3;
    const carry = Math.floor(lp / 4294967296);
    this.lo = lp >>> 0;
    this.hi = (this.hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
  }

  addString(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        this.addByte(c);
      } else {
        // Rare path: hash the UTF-8 bytes of the rest of the string and stop.
        for (const b of Buffer.from(s.slice(i), 'utf8')) this.addByte(b);
        return;
      }
    }
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

export function sortedNames(ls: LabelSet): string[] {
  return Object.keys(ls).sort(compareGo);
}

/** model.LabelSet.Fingerprint().String(): 16 lowercase hex digits. */
export function fingerprint(ls: LabelSet): string {
  const h = new Fnv64a();
  for (const name of sortedNames(ls)) {
    h.addString(name);
    h.addByte(0xff);
    h.addString(ls[name]!);
    h.addByte(0xff);
  }
  return h.hex();
}

/**
 * model.LabelSet.String(). `sortFormatted` = the ordering of prometheus/common ≤0.5x (Alertmanager 0.25):
 * sort the formatted `name="value"` strings; newer versions sort by name. They differ when one name is a
 * prefix of another followed by a byte below '=' (`a1` vs `a`).
 */
export function labelSetString(ls: LabelSet, sortFormatted: boolean): string {
  if (sortFormatted) {
    const parts = Object.keys(ls).map((n) => `${n}=${goQuote(ls[n]!)}`);
    return `{${parts.sort(compareGo).join(', ')}}`;
  }
  return `{${sortedNames(ls)
    .map((n) => `${n}=${goQuote(ls[n]!)}`)
    .join(', ')}}`;
}

/** model.LabelSet.Before: smaller sets first, then by the first differing value over the union of names. */
export function labelSetBefore(a: LabelSet, b: LabelSet): boolean {
  const an = Object.keys(a);
  const bn = Object.keys(b);
  if (an.length < bn.length) return true;
  if (an.length > bn.length) return false;
  const names = [...an, ...bn].sort(compareGo);
  for (const n of names) {
    const av = a[n];
    if (av === undefined) return true;
    const bv = b[n];
    if (bv === undefined) return false;
    const c = compareGo(av, bv);
    if (c < 0) return true;
    if (c > 0) return false;
  }
  return false;
}

export function labelSetEqual(a: LabelSet, b: LabelSet): boolean {
  const an = Object.keys(a);
  if (an.length !== Object.keys(b).length) return false;
  for (const n of an) if (a[n] !== b[n]) return false;
  return true;
}

/** model.LabelName.IsValid under the legacy (pre-UTF-8) scheme. */
export function isLegacyLabelName(n: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n);
}

const LONE_SURROGATE = /\p{Cs}/u;

/** Label-name validity as the imitated version checks it (UTF-8 names from 0.27 on: any non-empty valid UTF-8). */
export function isValidLabelName(n: string, utf8: boolean): boolean {
  if (n === '') return false;
  return utf8 ? !LONE_SURROGATE.test(n) : isLegacyLabelName(n);
}
