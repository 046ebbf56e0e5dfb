/**
 * Go's compress/lzw with LSB bit order and litWidth 8 (the GIF flavour), which memberlist uses for
 * its compress envelope. Written from the algorithm (codes 0..255 literals, 256 CLEAR, 257 EOF,
 * 9..12-bit codes packed LSB first) because no npm package reproduces Go's exact code stream:
 * Go's writer opens with a CLEAR, re-CLEARs when the next code would be 4095, always ends with
 * EOF, and its reader refuses a stream without EOF.
 */

const LIT_WIDTH = 8;
const CLEAR = 1 << LIT_WIDTH; // 256
const EOF = CLEAR + 1; // 257
const MAX_WIDTH = 12;
const MAX_CODE = (1 << MAX_WIDTH) - 1; // 4095
const INVALID = 0xffff;

export class LzwError extends Error {
  override name = 'LzwError';
}

/** Decompresses a complete Go LZW stream. Throws LzwError like Go's reader would return an error. */
export function lzwDecompress(input: Uint8Array): Uint8Array {
  const prefix = new Uint16Array(1 << MAX_WIDTH);
  const suffix = new Uint8Array(1 << MAX_WIDTH);
  const scratch = new Uint8Array(1 << MAX_WIDTH);
  let out = new Uint8Array(Math.max(64, input.length * 3));
  let o = 0;
  const ensure = (n: number): void => {
    if (o + n <= out.length) return;
    let size = out.length * 2;
    while (size < o + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(out.subarray(0, o));
    out = next;
  };

  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = 1 << width;
  let last = INVALID;
  let bits = 0;
  let nBits = 0;
  let pos = 0;

  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) throw new LzwError('lzw: unexpected end of input (no EOF code)');
      bits |= input[pos++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code < CLEAR) {
      ensure(1);
      out[o++] = code;
      if (last !== INVALID) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === CLEAR) {
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = 1 << width;
      last = INVALID;
      continue;
    } else if (code === EOF) {
      return out.slice(0, o);
    } else if (code <= hi) {
      // Expand backwards into scratch, then copy forwards.
      let c = code;
      let i = scratch.length - 1;
      if (code === hi && last !== INVALID) {
        // KwKwK: the code being defined right now = expansion(last) + first byte of it.
        c = last;
        while (c >= CLEAR) c = prefix[c]!;
        scratch[i--] = c;
        c = last;
      } else if (code === hi) {
        throw new LzwError('lzw: invalid code');
      }
      while (c >= CLEAR) {
        scratch[i--] = suffix[c]!;
        c = prefix[c]!;
      }
      scratch[i] = c;
      const n = scratch.length - i;
      ensure(n);
      out.set(scratch.subarray(i), o);
      o += n;
      if (last !== INVALID) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new LzwError('lzw: invalid code');
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = INVALID;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
}

/** Compresses like Go's lzw.NewWriter(w, lzw.LSB, 8): same codes, same bytes. */
export function lzwCompress(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = CLEAR << 1;
  // (prefix code << 8 | next byte) -> code; a Map is plenty for packet-sized inputs.
  let table = new Map<number, number>();

  const write = (c: number): void => {
    bits |= c << nBits;
    nBits += width;
    while (nBits >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
  };
  // Returns true when the code space ran out and the state was reset (Go's errOutOfCodes).
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = CLEAR << 1;
      table = new Map();
      return true;
    }
    return false;
  };

  write(CLEAR);
  if (input.length === 0) {
    write(EOF);
  } else {
    let code = input[0]!;
    for (let i = 1; i < input.length; i++) {
      const lit = input[i]!;
      const key = (code << 8) | lit;
      const hit = table.get(key);
      if (hit !== undefined) {
        code = hit;
        continue;
      }
      write(code);
      code = lit;
      if (incHi()) continue;
      table.set(key, hi);
    }
    write(code);
    incHi();
    write(EOF);
  }
  if (nBits > 0) out.push(bits & 0xff);
  return Uint8Array.from(out);
}
