/**
 * The hand-written wire format against protobufjs's: the same varints and fields byte for
 * byte, numbers up to 2^53 - 1 read back, and a writer that refuses to end short or run past
 * its size.
 */

import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { varintSize, WireError, WireReader, WireType, WireWriter } from '../src/wire.js';

/** A small seeded generator (the proto package depends on nothing of ours). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Numbers around every varint length boundary, and seeded ones of every magnitude. */
function sampleNumbers(seed: number): number[] {
  const random = seeded(seed);
  const out = [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28];
  out.push(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 49 - 1, 2 ** 53 - 1);
  out.push(1_763_000_000_000); // a millisecond clock
  for (let i = 0; i < 200; i++) out.push(Math.floor(random() * 2 ** Math.floor(random() * 54)));
  return out;
}

describe('wire', () => {
  const seed = Number(process.env.SEED ?? 11);

  it('writes varint fields as protobufjs does, and reads them back', () => {
    for (const n of sampleNumbers(seed)) {
      const expected = protobuf.Writer.create().uint32(8).uint64(n).finish();
      const w = new WireWriter(1 + varintSize(n));
      w.varintField(1, n);
      expect(Buffer.from(w.finish()).toString('hex'), `seed ${seed}, n ${n}`).toBe(
        Buffer.from(expected).toString('hex'),
      );
      const r = new WireReader(expected);
      expect(r.varint()).toBe(8);
      expect(r.varint(), `seed ${seed}, n ${n}`).toBe(n);
      expect(r.done).toBe(true);
    }
  });

  it('writes bytes fields and nested headers as protobufjs does', () => {
    const random = seeded(seed);
    for (const length of [0, 1, 127, 128, 300, 20_000]) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      const expected = protobuf.Writer.create()
        .uint32(18)
        .fork()
        .uint32(10)
        .bytes(bytes)
        .ldelim()
        .finish();
      const inner = 1 + varintSize(length) + length;
      const w = new WireWriter(1 + varintSize(inner) + inner);
      w.messageHeader(2, inner);
      w.bytesField(1, bytes);
      expect(Buffer.from(w.finish()).equals(Buffer.from(expected)), `length ${length}`).toBe(true);
      const r = new WireReader(expected);
      expect(r.varint()).toBe((2 << 3) | WireType.Bytes);
      const nested = r.nested();
      expect(r.done).toBe(true);
      expect(nested.varint()).toBe((1 << 3) | WireType.Bytes);
      expect(Buffer.from(nested.bytes()).equals(Buffer.from(bytes))).toBe(true);
      expect(nested.done).toBe(true);
    }
  });

  it('refuses a buffer sized wrong, a negative number, and truncated input', () => {
    const short = new WireWriter(2);
    expect(() => short.bytesField(1, new Uint8Array(5))).toThrow(RangeError);
    const long = new WireWriter(4);
    long.varintField(1, 5);
    expect(() => long.finish()).toThrow(/sized 4 bytes, wrote 2/);
    expect(() => new WireWriter(4).varint(-1)).toThrow(RangeError);
    expect(() => new WireReader(Uint8Array.of(0x80)).varint()).toThrow(WireError);
    expect(() => new WireReader(Uint8Array.of(3, 1)).bytes()).toThrow(WireError);
    const nineGroups = new Uint8Array(9).fill(0xff);
    expect(() => new WireReader(nineGroups).varint()).toThrow(/over 2\^53/);
  });

  it('skips fields of every wire type it knows, and stops at one it does not', () => {
    const bytes = protobuf.Writer.create()
      .uint32(8)
      .uint64(300)
      .uint32(17)
      .fixed64(7)
      .uint32(26)
      .bytes(Uint8Array.of(1, 2, 3))
      .uint32(37)
      .fixed32(9)
      .finish();
    const r = new WireReader(bytes);
    for (const wireType of [0, 1, 2, 5]) {
      expect(r.varint() & 7).toBe(wireType);
      r.skip(wireType);
    }
    expect(r.done).toBe(true);
    expect(() => new WireReader(bytes).skip(3)).toThrow(/wire type 3/);
  });
});
