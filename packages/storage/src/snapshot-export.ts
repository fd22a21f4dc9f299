/**
 * Exports every key space of a user-key range at one consistent point as a stream of bounded,
 * checksummed chunks (format in snapshot-format.ts). The point is pinned when the export is
 * created (an LMDB read transaction, or a copy in memory) and released when the stream ends
 * or its consumer stops early; later writes never show up in it.
 *
 * The stream can be consumed synchronously (`for of`) or asynchronously (`for await`), e.g.
 * chunk by chunk onto a gRPC stream. Not here: receiving a stream (snapshot-ingest.ts).
 */

import { type PinnedView, Table } from './backend.js';
import { ByteWriter } from './byte-codec.js';
import { crc32c } from './crc32c.js';
import { ALL_KEY_SPACES, spaceRange } from './keys.js';
import { SNAPSHOT_CHUNK_BYTES } from './limits.js';
import { frameChunk, RecordTag, type SnapshotHeader } from './snapshot-format.js';

/** A range snapshot stream. Iterate it once. */
export class SnapshotExport implements Iterable<Uint8Array>, AsyncIterable<Uint8Array> {
  private used = false;

  constructor(
    private readonly view: PinnedView,
    private readonly header: SnapshotHeader,
    /** Target body size of a chunk (tests use small ones to get many chunks). */
    private readonly chunkBytes = SNAPSHOT_CHUNK_BYTES,
  ) {}

  /** Releases the pinned point without reading (when the stream is abandoned unread). */
  release(): void {
    this.used = true;
    this.view.release();
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    if (this.used) throw new Error('a snapshot export can be iterated once');
    this.used = true;
    try {
      yield* this.chunks();
    } finally {
      this.view.release();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (const chunk of this) yield chunk;
  }

  private *chunks(): Generator<Uint8Array> {
    const { start, end, meta } = this.header;
    let seq = 0;
    let pairs = 0;
    let streamCrc = 0;
    let body = new ByteWriter(Math.min(this.chunkBytes, SNAPSHOT_CHUNK_BYTES) + 1024);
    body.u8(RecordTag.Header).bytes(start).bytes(end).bytes(meta);
    for (const space of ALL_KEY_SPACES) {
      const r = spaceRange(space, start, end);
      for (const { key, value } of this.view.scan(Table.Data, { start: r.start, end: r.end })) {
        body.u8(RecordTag.Pair).bytes(key).bytes(value);
        pairs++;
        if (body.length >= this.chunkBytes) {
          const bytes = body.finish();
          streamCrc = crc32c(bytes, streamCrc);
          yield frameChunk(seq++, bytes);
          body = new ByteWriter(Math.min(this.chunkBytes, SNAPSHOT_CHUNK_BYTES) + 1024);
        }
      }
    }
    streamCrc = crc32c(body.finish(), streamCrc);
    body.u8(RecordTag.Trailer).varint(pairs).u32(streamCrc);
    yield frameChunk(seq, body.finish());
  }
}
