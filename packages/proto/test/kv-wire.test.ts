/**
 * The hand-written Kv batches against protobufjs: seeded batches of puts and of put answers
 * give the same bytes and read back the same; batches with anything else (another request
 * kind, an error, an unknown field) are protobufjs's, both ways; malformed bytes throw.
 */

import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { atoll } from '../generated/index.js';
import {
  decodeKvRequestBatch,
  decodeKvResponseBatch,
  encodeKvRequestBatch,
  encodeKvResponseBatch,
} from '../src/kv-wire.js';
import { WireReader } from '../src/wire.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function maker(seed: number) {
  const random = seeded(seed);
  const int = (bound: number) => Math.floor(random() * bound);
  const big = () => (random() < 0.2 ? 0 : Math.floor(random() * 2 ** int(54)));
  const bytes = (max: number) => Uint8Array.from({ length: int(max + 1) }, () => int(256));
  const put = (): atoll.kv.IKvRequest => ({
    id: big(),
    put: {
      ...(random() < 0.9
        ? {
            context: {
              regionId: big(),
              ...(random() < 0.9 ? { epoch: { confVer: big(), version: big() } } : {}),
              staleRead: random() < 0.1,
              requestId: bytes(random() < 0.5 ? 0 : 16),
            },
          }
        : {}),
      key: bytes(40),
      value: bytes(random() < 0.1 ? 300 : 130),
    },
  });
  return { int, big, put };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A request as plain values, with protobufjs's defaults for what is absent. */
function plainRequest(r: atoll.kv.IKvRequest) {
  const ctx = r.put?.context;
  return {
    id: Number(r.id ?? 0),
    context: ctx
      ? {
          regionId: Number(ctx.regionId ?? 0),
          epoch: ctx.epoch
            ? { confVer: Number(ctx.epoch.confVer ?? 0), version: Number(ctx.epoch.version ?? 0) }
            : null,
          staleRead: ctx.staleRead === true,
          requestId: hex(ctx.requestId ?? new Uint8Array()),
        }
      : null,
    key: hex(r.put?.key ?? new Uint8Array()),
    value: hex(r.put?.value ?? new Uint8Array()),
  };
}

describe('kv-wire', () => {
  const seed = Number(process.env.SEED ?? 3);

  it('encodes put batches to protobufjs bytes and reads them back alike', () => {
    const m = maker(seed);
    for (let i = 0; i < 300; i++) {
      const requests = Array.from({ length: m.int(40) }, m.put);
      const ours = encodeKvRequestBatch(requests);
      const theirs = atoll.kv.KvRequestBatch.encode({ requests }).finish();
      expect(hex(ours), `seed ${seed}, batch ${i}`).toBe(hex(theirs));
      const back = decodeKvRequestBatch(theirs).map(plainRequest);
      expect(back, `seed ${seed}, batch ${i}`).toEqual(
        atoll.kv.KvRequestBatch.decode(theirs).requests.map(plainRequest),
      );
      expect(back).toEqual(requests.map(plainRequest));
    }
  });

  it('encodes and reads put answers as protobufjs does', () => {
    const m = maker(seed);
    for (let i = 0; i < 100; i++) {
      const responses = Array.from({ length: m.int(60) }, () => ({ id: m.big(), put: {} }));
      const ours = encodeKvResponseBatch(responses);
      const theirs = atoll.kv.KvResponseBatch.encode({ responses }).finish();
      expect(hex(ours), `seed ${seed}, batch ${i}`).toBe(hex(theirs));
      const back = decodeKvResponseBatch(theirs);
      expect(
        back.map((r) => Number(r.id)),
        `seed ${seed}`,
      ).toEqual(responses.map((r) => r.id));
      expect(back.every((r) => r.put && !r.error && !r.regionError)).toBe(true);
    }
  });

  it('leaves batches holding anything else to protobufjs, both ways', () => {
    const m = maker(seed);
    const mixed = [m.put(), { id: 7, get: { key: Uint8Array.of(1) } }];
    const bytes = encodeKvRequestBatch(mixed);
    expect(hex(bytes)).toBe(hex(atoll.kv.KvRequestBatch.encode({ requests: mixed }).finish()));
    const back = decodeKvRequestBatch(bytes);
    expect(back[1]!.get?.key).toEqual(Buffer.from([1]));
    expect(plainRequest(back[0]!)).toEqual(plainRequest(mixed[0]!));

    const answers = [
      { id: 1, put: {} },
      { id: 2, error: { code: 'KV_ERR_X', message: 'no' } },
      { id: 3, regionError: { message: 'moved', notLeader: { regionId: 1 } } },
      { id: 4, get: { notFound: true } },
    ];
    const encoded = encodeKvResponseBatch(answers);
    expect(hex(encoded)).toBe(
      hex(atoll.kv.KvResponseBatch.encode({ responses: answers }).finish()),
    );
    const read = decodeKvResponseBatch(encoded);
    expect(read[1]!.error?.code).toBe('KV_ERR_X');
    expect(read[2]!.regionError?.message).toBe('moved');
    expect(read[3]!.get?.notFound).toBe(true);

    // An unknown field (number 15) in a put: protobufjs's to read.
    const one = new WireReader(encodeKvRequestBatch([m.put()]));
    expect(one.varint()).toBe(10);
    const item = Buffer.concat([one.bytes(), Buffer.from([15 << 3, 1])]);
    const withUnknown = protobuf.Writer.create().uint32(10).bytes(item).finish();
    expect(decodeKvRequestBatch(withUnknown)).toHaveLength(1);
  });

  it('throws on malformed batches', () => {
    const m = maker(seed);
    const bytes = encodeKvRequestBatch([m.put(), m.put()]);
    expect(() => decodeKvRequestBatch(bytes.subarray(0, bytes.length - 1))).toThrow();
    const answers = encodeKvResponseBatch([{ id: 300, put: {} }]);
    expect(() => decodeKvResponseBatch(answers.subarray(0, answers.length - 1))).toThrow();
  });
});
