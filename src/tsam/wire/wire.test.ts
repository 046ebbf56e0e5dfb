import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encode as libEncode } from '@msgpack/msgpack';
import {
  ALERTMANAGER_VSN,
  GoMsgpackWriter,
  LzwError,
  MessageType,
  MsgpackFormatError,
  addCrc,
  addLabelHeader,
  decodeBody,
  decodeFullState,
  decodePacket,
  decodePart,
  decodeStruct,
  encodeAckResp,
  encodeAlive,
  encodeDead,
  encodeFullState,
  encodePart,
  encodePing,
  encodePushPull,
  encodeSuspect,
  encodeUserStream,
  encodeIndirectPingReq,
  frameStreamMessage,
  lzwCompress,
  lzwDecompress,
  makeCompound,
  makeCompounds,
  msgpackValueEnd,
  parseStreamMessage,
  readAlive,
  readPing,
  readSuspect,
  splitCompound,
  stripCrc,
  stripLabelHeader,
  wireCompat,
  encodePacket,
  encodeErrStream,
  compressMessage,
} from './index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const fix = (s: string): string => (0xa0 | s.length).toString(16) + ascii(s);

interface Capture {
  version: string;
  stream: string;
  streamInner: string;
  packets: Record<string, string>;
}
const load = (name: string): Capture =>
  JSON.parse(readFileSync(new URL(`../../../test/support/tsam/testdata/wire/${name}`, import.meta.url), 'utf8')) as Capture;
const CAPTURES = ['am-0.25.0.json', 'am-0.28.1.json', 'am-0.33.1.json'].map(load);
const server = { compat: wireCompat('0.25.0'), serverSide: true };
const client = { compat: wireCompat('0.25.0'), serverSide: false };

describe('go-msgpack encoding', () => {
  it('writes strings and []byte as old-spec raw: fixstr, then str16, never str8 or bin', () => {
    const s31 = 'a'.repeat(31);
    const s32 = 'b'.repeat(32);
    expect(hex(new GoMsgpackWriter().str(s31).finish()).slice(0, 2)).toBe('bf');
    expect(hex(new GoMsgpackWriter().str(s32).finish()).slice(0, 6)).toBe('da0020');
    expect(hex(new GoMsgpackWriter().raw(new Uint8Array(40)).finish()).slice(0, 6)).toBe('da0028');
    expect(hex(new GoMsgpackWriter().str('x'.repeat(70000)).finish()).slice(0, 10)).toBe('db00011170');
    // Why the encoder is hand-written: the library picks str8 and bin here.
    expect(hex(libEncode(s32)).slice(0, 4)).toBe('d920');
    expect(hex(libEncode(new Uint8Array(40))).slice(0, 4)).toBe('c428');
  });

  it('writes nil and empty []byte differently (0xc0 / 0xa0)', () => {
    expect(hex(new GoMsgpackWriter().raw(null).raw(new Uint8Array(0)).finish())).toBe('c0a0');
  });

  it('writes uints in the smallest form and Go ints in either library style', () => {
    const u = new GoMsgpackWriter();
    for (const n of [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32]) u.uint(n);
    expect(hex(u.finish())).toBe('007fcc80ccffcd0100cdffffce00010000cf0000000100000000');
    const v1 = new GoMsgpackWriter(16, 'unsigned').int(213).int(40000).finish();
    const v2 = new GoMsgpackWriter(16, 'signed').int(213).int(40000).int(-1).finish();
    expect(hex(v1)).toBe('ccd5cd9c40');
    expect(hex(v2)).toBe('d100d5d200009c40ff');
    expect(() => new GoMsgpackWriter().uint(-1)).toThrow(RangeError);
  });

  it('measures values incrementally and rejects reserved bytes', () => {
    const m = new GoMsgpackWriter().mapHeader(2).str('Buf').raw(new Uint8Array(300)).str('N').uint(7).finish();
    expect(msgpackValueEnd(m, 0)).toBe(m.length);
    for (let cut = 0; cut < m.length; cut++) expect(msgpackValueEnd(m.subarray(0, cut), 0)).toBeUndefined();
    expect(() => msgpackValueEnd(bytes('c1'), 0)).toThrow(MsgpackFormatError);
    expect(() => decodeStruct(bytes('a3616263'), 0, 'x')).toThrow(MsgpackFormatError);
  });
});

describe('memberlist messages', () => {
  it('alive matches the bytes Alertmanager 0.25.0 re-gossips about a peer', () => {
    const got = encodeAlive({
      addr: bytes('7f000001'),
      incarnation: 1,
      meta: null,
      node: 'TSPEER2',
      port: 19194,
      vsn: Uint8Array.from(ALERTMANAGER_VSN),
    });
    const want =
      '0486' +
      fix('Addr') + 'a47f000001' +
      fix('Incarnation') + '01' +
      fix('Meta') + 'c0' +
      fix('Node') + fix('TSPEER2') +
      fix('Port') + 'cd4afa' +
      fix('Vsn') + 'a6010502000000';
    expect(hex(got)).toBe(want);
  });

  it('ping from a real node decodes, and re-encodes to the same bytes', () => {
    for (const cap of CAPTURES) {
      const raw = bytes(cap.packets['false:0']!);
      const d = decodePacket(raw, wireCompat(cap.version));
      expect(d.hadCrc).toBe(false);
      expect(d.messages).toHaveLength(1);
      const ping = decodeBody(d.messages[0]!.body, 'ping', readPing);
      expect(ping.node).toBe('TSX');
      expect(ping.sourceNode).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(hex(ping.sourceAddr!)).toBe('7f000001');
      expect(hex(encodePing(ping))).toBe(hex(raw));
    }
  });

  it('ping omits empty optional fields; ack writes nil vs empty payloads', () => {
    expect(hex(encodePing({ seqNo: 11, node: 'n', sourceAddr: null, sourcePort: 0, sourceNode: '' }))).toBe(
      '0082' + fix('Node') + fix('n') + fix('SeqNo') + '0b',
    );
    expect(hex(encodeAckResp({ seqNo: 300, payload: new Uint8Array(0) }))).toBe(
      '0282' + fix('Payload') + 'a0' + fix('SeqNo') + 'cd012c',
    );
    expect(hex(encodeAckResp({ seqNo: 1, payload: null }))).toBe('0282' + fix('Payload') + 'c0' + fix('SeqNo') + '01');
  });

  it('suspect, dead and indirect ping keep Go field order', () => {
    expect(hex(encodeSuspect({ from: 'a', incarnation: 2, node: 'b' }))).toBe(
      '0383' + fix('From') + fix('a') + fix('Incarnation') + '02' + fix('Node') + fix('b'),
    );
    expect(hex(encodeDead({ from: 'b', incarnation: 2, node: 'b' }))).toBe(
      '0583' + fix('From') + fix('b') + fix('Incarnation') + '02' + fix('Node') + fix('b'),
    );
    const ind = encodeIndirectPingReq({
      seqNo: 5, target: bytes('7f000001'), port: 9094, node: 'x', nack: true,
      sourceAddr: bytes('7f000002'), sourcePort: 9095, sourceNode: 'me',
    });
    expect(hex(ind)).toBe(
      '0188' + fix('Nack') + 'c3' + fix('Node') + fix('x') + fix('Port') + 'cd2386' + fix('SeqNo') + '05' +
        fix('SourceAddr') + 'a47f000002' + fix('SourceNode') + fix('me') + fix('SourcePort') + 'cd2387' +
        fix('Target') + 'a47f000001',
    );
  });

  it('decoders accept other widths, str8/bin and unknown keys', () => {
    const m = libEncode({ Zzz: [1, 2], Node: 'abc', Incarnation: 70000, From: new Uint8Array([0x61]) });
    const s = decodeBody(m, 'suspect', readSuspect);
    expect(s).toEqual({ node: 'abc', incarnation: 70000, from: 'a' });
    const a = decodeBody(libEncode({ Node: 'n', Vsn: new Uint8Array([1, 5, 2, 0, 0, 0]) }), 'alive', readAlive);
    expect(hex(a.vsn)).toBe('010502000000');
    expect(a.port).toBe(0);
    expect(() => decodeBody(libEncode({ Node: 5 }), 'alive', readAlive)).toThrow(/Node/);
  });
});

describe('push/pull stream', () => {
  it('header bytes as the reference gives them', () => {
    const raw = encodePushPull(true, [], bytes('0a050a036e666c0a050a0373696c'));
    expect(hex(raw)).toBe('0683' + fix('Join') + 'c3' + fix('Nodes') + '00' + fix('UserStateLen') + '0e' + '0a050a036e666c0a050a0373696c');
  });

  for (const cap of CAPTURES) {
    it(`${cap.version}: a real push/pull reply decodes and re-encodes to the identical stream bytes`, () => {
      const stream = bytes(cap.stream);
      const p = parseStreamMessage(stream, client);
      if (p.status !== 'done' || p.message.kind !== 'pushPull') throw new Error('not parsed');
      expect(p.compressed).toBe(true);
      expect(p.end).toBe(stream.length);
      const { header, nodes, userState } = p.message;
      expect(header).toEqual({ join: true, nodes: 1, userStateLen: userState!.length });
      expect(nodes[0]!.name).toMatch(/^[0-9A-Z]{26}$/);
      expect(hex(nodes[0]!.vsn)).toBe('010502000000');
      expect(nodes[0]!.meta).toEqual(new Uint8Array(0));
      const parts = decodeFullState(userState!);
      expect(parts.map((x) => x.key).sort()).toEqual(['nfl', 'sil']);
      expect(parts.find((x) => x.key === 'sil')!.data.length).toBeGreaterThan(50);
      // UserStateLen > 127 shows the int style: cc (go-msgpack v1) in every Debian build.
      expect(cap.streamInner.slice(0, 64)).toContain(ascii('UserStateLen') + 'cc');
      const raw = encodePushPull(header.join, nodes, userState);
      expect(hex(raw)).toBe(cap.streamInner);
      expect(hex(frameStreamMessage(raw, true))).toBe(cap.stream);
    });
  }

  it('is incomplete until the last byte of an uncompressed push/pull, then done', () => {
    const self = {
      name: 'n1', addr: bytes('7f000001'), port: 9094, meta: new Uint8Array(0), incarnation: 3, state: 0 as const,
      vsn: Uint8Array.from(ALERTMANAGER_VSN),
    };
    const raw = encodePushPull(false, [self, { ...self, name: 'n2', state: 2 }], bytes('0a050a03736f6d65'));
    for (let cut = 0; cut < raw.length; cut++) expect(parseStreamMessage(raw.subarray(0, cut), server).status).toBe('incomplete');
    const p = parseStreamMessage(raw, server);
    expect(p.status).toBe('done');
    if (p.status === 'done' && p.message.kind === 'pushPull') {
      expect(p.message.nodes.map((n) => [n.name, n.state])).toEqual([['n1', 0], ['n2', 2]]);
      expect(hex(p.message.userState!)).toBe('0a050a03736f6d65');
    }
  });

  it('reads user messages (TCP SendReliable), compressed or not', () => {
    const payload = encodePart({ key: 'sil', data: new Uint8Array(900).fill(7) });
    const raw = encodeUserStream(payload);
    expect(hex(raw.subarray(0, 16))).toBe('0881' + fix('UserMsgLen') + 'cd' + payload.length.toString(16).padStart(4, '0'));
    for (const framed of [raw, frameStreamMessage(raw, true)]) {
      const p = parseStreamMessage(framed, server);
      if (p.status !== 'done' || p.message.kind !== 'user') throw new Error('not parsed');
      expect(decodePart(p.message.payload).data.length).toBe(900);
    }
  });

  it('rejects a corrupt compressed stream and a label on 0.25.0, drops a label on 0.28.1', () => {
    const good = frameStreamMessage(encodeErrStream({ error: 'x' }), true);
    const bad = good.slice();
    bad[7] = 0x05; // 09 82 a4 'Algo' <7: value>: algorithm 5 does not exist
    expect(() => parseStreamMessage(bad, server)).toThrow(/unknown algorithm 5/);
    const cut = good.slice();
    cut[cut.length - 1] = 0; // garbles the final code: EOF is lost
    expect(() => parseStreamMessage(cut, server)).toThrow(/lzw/);
    const labelled = addLabelHeader('prod', encodePushPull(true, [], null));
    expect(() => parseStreamMessage(labelled, server)).toThrow(/invalid msgType \(244\)/);
    expect(() => parseStreamMessage(labelled, { compat: wireCompat('0.28.1'), serverSide: true })).toThrow(/unacceptable label "prod"/);
  });

  it('the large capture exercises LZW past 4095 codes', () => {
    const big = load('am-0.25.0-large.json');
    const stream = bytes(big.stream);
    const p = parseStreamMessage(stream, client);
    if (p.status !== 'done' || p.message.kind !== 'pushPull') throw new Error('not parsed');
    const raw = encodePushPull(p.message.header.join, p.message.nodes, p.message.userState);
    expect(raw.length).toBeGreaterThan(20000);
    expect(hex(frameStreamMessage(raw, true))).toBe(big.stream);
  });
});

describe('packets: CRC, compound, compress, label', () => {
  for (const cap of CAPTURES) {
    it(`${cap.version}: CRC-wrapped compound gossip decodes, re-encodes, and fails on one flipped bit`, () => {
      const raw = bytes(cap.packets['true:4,4,8']!);
      const d = decodePacket(raw, wireCompat(cap.version));
      expect(d.problems).toEqual([]);
      expect(d.hadCrc).toBe(true);
      expect(d.messages.map((m) => m.type)).toEqual([MessageType.alive, MessageType.alive, MessageType.user]);
      const alive = decodeBody(d.messages[0]!.body, 'alive', readAlive);
      expect(hex(alive.vsn)).toBe('010502000000');
      const part = decodePart(d.messages[2]!.body);
      expect(part.key).toBe('sil');
      // Same bytes back: compound of the same parts, compressed only if that is shorter (Go's
      // rule; the silence makes the 0.28.1/0.33.1 packets compress), then the CRC header.
      const parts = d.messages.map((m) => Uint8Array.from([m.type, ...m.body]));
      expect(hex(encodePacket(makeCompound(parts), { compress: true, crc: true }))).toBe(hex(raw));
      const flipped = raw.slice();
      flipped[raw.length - 1] = flipped[raw.length - 1]! ^ 1;
      const bad = decodePacket(flipped, wireCompat(cap.version));
      expect(bad.messages).toEqual([]);
      expect(bad.problems).toEqual(['invalid checksum']);
    });
  }

  it('crc header layout: 0x0c + big-endian CRC32-IEEE of the payload', () => {
    expect(hex(addCrc(Buffer.from('hello')))).toBe('0c3610a686' + ascii('hello'));
    expect(stripCrc(bytes('0c3610a686' + ascii('hellp')))).toBeNull();
    // Fewer than 5 bytes: not a CRC header, handled as a message of type 12.
    expect(stripCrc(bytes('0c01'))).toEqual({ payload: bytes('0c01'), hadCrc: false });
  });

  it('compound splits, drops truncated parts, and chunks at 255 parts', () => {
    const c = makeCompound([bytes('0401'), bytes('05'), bytes('080a0b')]);
    expect(hex(c)).toBe('0703' + '0002' + '0001' + '0003' + '0401' + '05' + '080a0b');
    const cut = splitCompound(c.subarray(1, c.length - 1));
    expect(cut.parts.map(hex)).toEqual(['0401', '05']);
    expect(cut.truncated).toBe(1);
    expect(() => splitCompound(bytes('03000100'))).toThrow(/length table/);
    const many = makeCompounds(Array.from({ length: 300 }, () => bytes('08')));
    expect(many.map((m) => m[1])).toEqual([255, 45]);
  });

  it('nested compress inside compound is walked; broken parts are reported, not fatal', () => {
    const inner = makeCompound([encodeSuspect({ from: 'a', incarnation: 1, node: 'b' }), bytes('08ff')]);
    const pkt = makeCompound([compressMessage(inner), bytes('09c1'), encodeDead({ from: 'x', incarnation: 1, node: 'x' })]);
    const d = decodePacket(pkt, wireCompat('0.33.1'));
    expect(d.messages.map((m) => m.type)).toEqual([3, 8, 5]);
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatch(/^compress:/);
  });

  it('encodePacket compresses only when shorter, like Go', () => {
    const small = encodeDead({ from: 'x', incarnation: 1, node: 'x' });
    expect(encodePacket(small, { compress: true, crc: false })).toEqual(small);
    const big = encodeUserStream(new Uint8Array(600));
    const c = encodePacket(big, { compress: true, crc: true });
    expect(c.length).toBeLessThan(big.length);
    expect(decodePacket(c, wireCompat('0.25.0')).messages[0]!.type).toBe(MessageType.user);
  });

  it('label header: 0.25.0 (memberlist 0.2.2) rejects byte 244, newer parse it; both drop a foreign label', () => {
    const pkt = addLabelHeader('blue', encodeDead({ from: 'x', incarnation: 1, node: 'x' }));
    expect(hex(pkt.subarray(0, 6))).toBe('f404' + ascii('blue'));
    expect(stripLabelHeader(pkt, false)).toEqual({ kind: 'error', reason: 'invalid msgType (244)' });
    const ok = stripLabelHeader(pkt, true);
    expect(ok.kind === 'ok' && ok.label).toBe('blue');
    expect(stripLabelHeader(bytes('f400'), true).kind).toBe('error');
    expect(stripLabelHeader(bytes('f405ab'), true).kind).toBe('incomplete');
    expect(decodePacket(pkt, wireCompat('0.25.0')).problems).toEqual(['invalid msgType (244)']);
    expect(decodePacket(pkt, wireCompat('0.33.1')).problems[0]).toMatch(/unacceptable label "blue"/);
    expect(() => addLabelHeader('x'.repeat(256), pkt)).toThrow(/at most 255/);
  });

  it('compat profiles: known versions, a guessed one, and a bad string', () => {
    expect(wireCompat('0.25.0').labelSupport).toBe(false);
    expect(wireCompat('0.28.1').labelSupport).toBe(true);
    expect(wireCompat('0.30.0').labelSupport).toBe(true);
    expect(wireCompat(undefined).version).toBe('0.33.1');
    expect(() => wireCompat('latest')).toThrow(/unknown cluster compat version/);
  });
});

describe('LZW (Go compress/lzw, LSB, litWidth 8)', () => {
  it('round-trips text, binary and long inputs (several CLEARs)', () => {
    const inputs = [
      new Uint8Array(0),
      Buffer.from('a'),
      Buffer.from('TOBEORNOTTOBEORTOBEORNOT#'),
      Buffer.from('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
      Uint8Array.from({ length: 70000 }, (_, i) => (i * 2654435761) >>> 24),
      Uint8Array.from({ length: 50000 }, (_, i) => (i % 251) ^ (i >> 9)),
    ];
    for (const input of inputs) expect(hex(lzwDecompress(lzwCompress(input)))).toBe(hex(input));
  });

  it('starts with CLEAR and ends with EOF; empty input is exactly CLEAR+EOF', () => {
    // 256 then 257 in 9-bit LSB codes: 0x00, 0x03 (bit 8 of 256, bits 0-6 of 257 shifted), 0x02.
    expect(hex(lzwCompress(new Uint8Array(0)))).toBe('000302');
  });

  it('refuses a stream without EOF and an out-of-range code', () => {
    const c = lzwCompress(Buffer.from('hello hello hello'));
    expect(() => lzwDecompress(c.subarray(0, c.length - 2))).toThrow(LzwError);
    // CLEAR then code 300 (> hi): 9-bit LSB 256 | 300<<9.
    const v = 256 | (300 << 9);
    expect(() => lzwDecompress(Uint8Array.from([v & 255, (v >> 8) & 255, (v >> 16) & 255, 0]))).toThrow(/invalid code/);
  });
});

describe('clusterpb', () => {
  it('FullState with two empty parts is the exact Go bytes', () => {
    const b = encodeFullState([{ key: 'nfl', data: new Uint8Array(0) }, { key: 'sil', data: new Uint8Array(0) }]);
    expect(hex(b)).toBe('0a050a036e666c0a050a0373696c');
    expect(decodeFullState(b)).toEqual([{ key: 'nfl', data: new Uint8Array(0) }, { key: 'sil', data: new Uint8Array(0) }]);
  });

  it('Part with data; malformed bytes throw', () => {
    const b = encodePart({ key: 'sil', data: bytes('0102') });
    expect(hex(b)).toBe('0a0373696c12020102');
    expect(decodePart(b)).toEqual({ key: 'sil', data: bytes('0102') });
    expect(() => decodePart(bytes('0a05ab'))).toThrow();
  });
});

describe('stream reader edge cases', () => {
  it('a stream that is not a known message is reported as unknown', () => {
    const p = parseStreamMessage(bytes('04'), server);
    expect(p.status === 'done' && p.message).toEqual({ kind: 'unknown', type: 4 });
  });

  it('refuses absurd push/pull sizes instead of waiting for them', () => {
    const w = new GoMsgpackWriter();
    w.byte(6).mapHeader(3).str('Join').bool(false).str('Nodes').uint(5).str('UserStateLen').uint(2 ** 31);
    expect(() => parseStreamMessage(w.finish(), server)).toThrow(/user state length/);
  });

  it('err replies decode', () => {
    const p = parseStreamMessage(frameStreamMessage(encodeErrStream({ error: 'boom' }), true), client);
    expect(p.status === 'done' && p.message).toEqual({ kind: 'err', err: { error: 'boom' } });
  });
});
