/**
 * Receives a range snapshot stream into the stage table, verifying it on the way: each
 * chunk's framing and CRC, the chunk sequence, that the header comes first and the trailer
 * last, that every key lies inside the announced range, and the trailer's pair count and
 * stream CRC. Each verified chunk is staged in its own commit, so memory stays bounded by one
 * chunk whatever the range's size.
 *
 * Staged data is invisible to reads. Installing it is a separate, atomic step
 * (WriteBatch.installStagedSnapshot, together with the region's new apply state). The steps:
 * 1. drop any earlier stage of the region; 2. stage chunk by chunk; 3. on any failure, drop the
 * stage again and rethrow; 4. the host installs in its next batch. A crash between steps
 * leaves at most a stale stage, which step 1 of the next attempt removes.
 */

import { type Backend, Durability, Table, type TxnOp } from './backend.js';
import { ByteReader } from './byte-codec.js';
import { compareBytes } from './bytes.js';
import { crc32c } from './crc32c.js';
import { snapshotChecksumError } from './errors.js';
import { ALL_KEY_SPACES, type KeySpace, spaceRange, stageKey } from './keys.js';
import {
  encodeStagedPair,
  RecordTag,
  type SnapshotHeader,
  unframeChunk,
} from './snapshot-format.js';

/** Removes a region's stage. */
export function dropStage(backend: Backend, regionId: number): Promise<void> {
  const op: TxnOp = (txn) => {
    txn.deleteRange(Table.Stage, stageKey(regionId, 0), stageKey(regionId + 1, 0));
  };
  return backend.commit([op], Durability.Visible, 0);
}

/** Checks pairs against the announced range, per key space. */
class RangeCheck {
  private readonly ranges: Map<number, { start: Uint8Array; end: Uint8Array | undefined }>;

  constructor(header: SnapshotHeader) {
    this.ranges = new Map(
      ALL_KEY_SPACES.map((s: KeySpace) => [s, spaceRange(s, header.start, header.end)]),
    );
  }

  contains(key: Uint8Array): boolean {
    const r = this.ranges.get(key[0] ?? -1);
    if (!r) return false;
    return compareBytes(key, r.start) >= 0 && (r.end === undefined || compareBytes(key, r.end) < 0);
  }
}

/** Stream state while receiving. */
class Receiver {
  header: SnapshotHeader | undefined;
  check: RangeCheck | undefined;
  seq = 0;
  pairs = 0;
  streamCrc = 0;
  done = false;

  /** Parses one verified body; returns the staged pairs' (key, value) it holds. */
  parse(seq: number, body: Uint8Array): [Uint8Array, Uint8Array][] {
    if (this.done) throw snapshotChecksumError('chunk after the trailer', seq);
    if (seq !== this.seq)
      throw snapshotChecksumError(`chunk ${seq} where ${this.seq} was due`, seq);
    this.seq++;
    const r = new ByteReader(body, 'snapshot chunk body');
    const out: [Uint8Array, Uint8Array][] = [];
    while (r.remaining > 0) {
      const at = r.offset;
      const tag = r.u8();
      if (tag === RecordTag.Header) {
        if (this.header || seq !== 0 || at !== 0)
          throw snapshotChecksumError('misplaced header', seq);
        this.header = { start: r.bytes(), end: r.bytes(), meta: r.bytes() };
        this.check = new RangeCheck(this.header);
      } else if (tag === RecordTag.Pair) {
        if (!this.check) throw snapshotChecksumError('pair before the header', seq);
        const key = r.bytes();
        const value = r.bytes();
        if (!this.check.contains(key)) throw snapshotChecksumError('key outside the range', seq);
        out.push([key, value]);
        this.pairs++;
      } else if (tag === RecordTag.Trailer) {
        this.streamCrc = crc32c(body.subarray(0, at), this.streamCrc);
        const pairs = r.varint();
        const crc = r.u32();
        if (r.remaining !== 0) throw snapshotChecksumError('bytes after the trailer', seq);
        if (pairs !== this.pairs) throw snapshotChecksumError('pair count mismatch', seq);
        if (crc !== this.streamCrc) throw snapshotChecksumError('stream CRC mismatch', seq);
        this.done = true;
        return out;
      } else {
        throw snapshotChecksumError(`unknown record ${tag}`, seq);
      }
    }
    this.streamCrc = crc32c(body, this.streamCrc);
    return out;
  }
}

/**
 * Verifies a stream and stages its pairs for `regionId`. Resolves with the stream's header
 * once every chunk is staged and the trailer checked; on failure the stage is dropped.
 */
export async function stageSnapshotStream(
  backend: Backend,
  regionId: number,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<SnapshotHeader> {
  await dropStage(backend, regionId);
  const rx = new Receiver();
  let staged = 0;
  try {
    for await (const chunk of chunks) {
      const { seq, body } = unframeChunk(chunk);
      const pairs = rx.parse(seq, body);
      if (pairs.length === 0) continue;
      const first = staged;
      staged += pairs.length;
      let bytes = 0;
      for (const [k, v] of pairs) bytes += k.byteLength + v.byteLength;
      await backend.commit(
        [
          (txn) => {
            pairs.forEach(([k, v], i) => {
              txn.put(Table.Stage, stageKey(regionId, first + i), encodeStagedPair(k, v));
            });
          },
        ],
        Durability.Visible,
        bytes,
      );
    }
    if (!rx.done || !rx.header) throw snapshotChecksumError('stream ended without a trailer');
    return rx.header;
  } catch (e) {
    await dropStage(backend, regionId).catch(() => {});
    throw e;
  }
}
