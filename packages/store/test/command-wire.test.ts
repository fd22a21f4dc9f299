/**
 * The hand-written Raft command codec against protobufjs: on seeded random commands of puts
 * and deletes, the same bytes, and the same command read back; anything else (a split,
 * another operation, the pre-batching layout, an unknown field) is left to protobufjs, and
 * decodeCommand still reads it.
 */

import { atoll } from '@atoll/proto';
import { SeededRandom } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import {
  type Command,
  decodeCommand,
  decodeWithProtobufjs,
  encodeCommand,
  encodeWithProtobufjs,
  type WriteOp,
} from '../src/command-codec.js';
import { decodeWriteCommand, encodeWriteCommand } from '../src/command-wire.js';

function bytes(random: SeededRandom, maxLength: number): Uint8Array {
  const b = new Uint8Array(random.nextInt(maxLength + 1));
  for (let i = 0; i < b.length; i++) b[i] = random.nextInt(256);
  return b;
}

function bigNumber(random: SeededRandom): number {
  if (random.chance(0.2)) return 0;
  return Math.floor(random.nextFloat() * 2 ** random.nextInt(54));
}

function randomCommand(random: SeededRandom): Command {
  const requests = Array.from({ length: random.nextInt(6) }, () => ({
    writes: Array.from(
      { length: random.nextInt(4) },
      (): WriteOp =>
        random.chance(0.7)
          ? {
              put: { key: bytes(random, 40), value: bytes(random, random.chance(0.1) ? 400 : 130) },
            }
          : { delete: { key: bytes(random, 40) } },
    ),
    requestId: bytes(random, random.chance(0.5) ? 0 : 16),
  }));
  return {
    regionId: bigNumber(random),
    epoch: { confVer: bigNumber(random), version: bigNumber(random) },
    requests,
    proposedAtMs: bigNumber(random),
  };
}

/** What a decoded command says, in plain values (protobufjs hands out message instances). */
function plain(c: Command) {
  return {
    regionId: c.regionId,
    epoch: { ...c.epoch },
    proposedAtMs: c.proposedAtMs ?? 0,
    split: c.split,
    requests: c.requests.map((r) => ({
      requestId: Buffer.from(r.requestId ?? []).toString('hex'),
      writes: r.writes.map((w) =>
        w.put
          ? ['put', Buffer.from(w.put.key ?? []).toString('hex'), Buffer.from(w.put.value ?? [])]
          : ['delete', Buffer.from(w.delete?.key ?? []).toString('hex')],
      ),
    })),
  };
}

describe('command-wire', () => {
  const seed = Number(process.env.SEED ?? 5);

  it('encodes puts and deletes to protobufjs bytes and reads them back alike', () => {
    const random = new SeededRandom(seed);
    for (let i = 0; i < 500; i++) {
      const c = randomCommand(random);
      const fast = encodeWriteCommand(c);
      const reference = encodeWithProtobufjs(c);
      expect(fast, `seed ${seed}, command ${i}`).toBeDefined();
      expect(Buffer.from(fast!).equals(Buffer.from(reference)), `seed ${seed}, command ${i}`).toBe(
        true,
      );
      const back = decodeWriteCommand(reference);
      expect(back, `seed ${seed}, command ${i}`).toBeDefined();
      expect(plain(back!), `seed ${seed}, command ${i}`).toEqual(
        plain(decodeWithProtobufjs(reference)),
      );
      expect(plain(back!)).toEqual(plain(c));
    }
  });

  it('leaves splits, other operations, old layouts and unknown fields to protobufjs', () => {
    const base: Command = { regionId: 7, epoch: { confVer: 2, version: 3 }, requests: [] };
    const key = Uint8Array.of(1, 2);
    const others: Command[] = [
      { ...base, split: { splitKey: key, newRegionId: 9, newPeerIds: [10, 11, 12] } },
      { ...base, requests: [{ writes: [{ deleteRange: { startKey: key, endKey: key } }] }] },
      { ...base, requests: [{ writes: [{ cas: { key, value: key, previousNotExist: true } }] }] },
      { ...base, requests: [{ writes: [{ put: { key, value: key }, delete: { key } }] }] },
    ];
    for (const c of others) {
      expect(encodeWriteCommand(c)).toBeUndefined();
      const encoded = encodeCommand(c);
      expect(decodeWriteCommand(encoded)).toBeUndefined();
      expect(plain(decodeCommand(encoded))).toEqual(plain(decodeWithProtobufjs(encoded)));
    }
    expect(decodeCommand(encodeCommand(others[0]!)).split?.newPeerIds).toEqual([10, 11, 12]);

    // The layout before batching: one request in the command's own fields.
    const old = atoll.store.RaftCommand.encode({
      regionId: 7,
      epoch: { confVer: 1, version: 1 },
      writes: [{ put: { key, value: key } }],
      requestId: Uint8Array.of(9),
    }).finish();
    expect(decodeWriteCommand(old)).toBeUndefined();
    expect(Buffer.from(decodeCommand(old).requests[0]!.writes[0]!.put!.key!)).toEqual(
      Buffer.from(key),
    );

    // A field this version does not know (number 15) is protobufjs's to keep.
    const known = encodeCommand({ ...base, requests: [{ writes: [{ delete: { key } }] }] });
    const unknown = Buffer.concat([Buffer.from(known), Buffer.from([15 << 3, 1])]);
    expect(decodeWriteCommand(unknown)).toBeUndefined();
    expect(decodeCommand(unknown).requests).toHaveLength(1);
  });

  it('reports a truncated command as protobufjs does', () => {
    const random = new SeededRandom(seed);
    const put = { writes: [{ put: { key: Uint8Array.of(1), value: Uint8Array.of(2) } }] };
    const c = randomCommand(random);
    const encoded = encodeCommand({ ...c, requests: [...c.requests, put] });
    const cut = encoded.subarray(0, encoded.length - 1);
    expect(decodeWriteCommand(cut)).toBeUndefined();
    expect(() => decodeCommand(cut)).toThrow();
  });
});
