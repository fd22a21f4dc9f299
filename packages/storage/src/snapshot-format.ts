/**
 * The byte format of a range snapshot stream, and of a staged pair.
 *
 * A stream is a sequence of chunks. Each chunk:
 *
 *   magic u32 | version u8 | seq u32 | body length u32 | body | crc32c u32
 *
 * where the CRC covers everything before it. A body is a sequence of tagged records:
 *
 *   HEADER  (first record of chunk 0): range start, range end, caller metadata (bytes each)
 *   PAIR    data-table key, value (length-prefixed each)
 *   TRAILER (last record of the last chunk): pair count, CRC-32C chained over every body
 *           before the trailer, so a dropped, duplicated or reordered chunk is caught even if
 *           each chunk is intact
 *
 * Not here: reading the data (snapshot-export.ts) or writing it (snapshot-ingest.ts).
 */

import { ByteReader, ByteWriter } from './byte-codec.js';
import { crc32c } from './crc32c.js';
import { snapshotChecksumError } from './errors.js';
import { SNAPSHOT_CHUNK_BYTES_MAX } from './limits.js';

/** "ATSN": Atoll snapshot. */
const MAGIC = 0x4154534e;
const VERSION = 1;
/** magic, version, seq, body length. */
export const CHUNK_HEADER_BYTES = 4 + 1 + 4 + 4;
const CRC_BYTES = 4;

/** The tag byte in front of each record of a chunk body. */
export const RecordTag = {
  Header: 1,
  Pair: 2,
  Trailer: 3,
} as const;

/** What the first record says about the stream. */
export interface SnapshotHeader {
  /** User-key range [start, end); empty end = unbounded. */
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  /** Opaque to this layer: e.g. the region, index and term the snapshot was taken at. */
  readonly meta: Uint8Array;
}

/** Frames a chunk body. */
export function frameChunk(seq: number, body: Uint8Array): Uint8Array {
  const w = new ByteWriter(CHUNK_HEADER_BYTES + body.byteLength + CRC_BYTES);
  w.u32(MAGIC).u8(VERSION).u32(seq).u32(body.byteLength).raw(body);
  const framed = w.finish();
  return new ByteWriter(framed.byteLength + CRC_BYTES).raw(framed).u32(crc32c(framed)).finish();
}

/** Checks a chunk's framing and CRC; returns its sequence number and body. */
export function unframeChunk(chunk: Uint8Array): {
  readonly seq: number;
  readonly body: Uint8Array;
} {
  if (chunk.byteLength > SNAPSHOT_CHUNK_BYTES_MAX) {
    throw snapshotChecksumError(`chunk of ${chunk.byteLength} bytes is over the limit`);
  }
  if (chunk.byteLength < CHUNK_HEADER_BYTES + CRC_BYTES)
    throw snapshotChecksumError('chunk too short');
  const r = new ByteReader(chunk, 'snapshot chunk');
  const magic = r.u32();
  const version = r.u8();
  const seq = r.u32();
  const length = r.u32();
  if (magic !== MAGIC || version !== VERSION)
    throw snapshotChecksumError('not a snapshot chunk', seq);
  if (CHUNK_HEADER_BYTES + length + CRC_BYTES !== chunk.byteLength) {
    throw snapshotChecksumError('chunk length mismatch', seq);
  }
  const crcAt = CHUNK_HEADER_BYTES + length;
  const stored = new DataView(chunk.buffer, chunk.byteOffset + crcAt, CRC_BYTES).getUint32(0);
  if (crc32c(chunk.subarray(0, crcAt)) !== stored)
    throw snapshotChecksumError('chunk CRC mismatch', seq);
  return { seq, body: chunk.subarray(CHUNK_HEADER_BYTES, crcAt) };
}

/** A staged pair: the data-table key and its value, in one stage-table value. */
export function encodeStagedPair(key: Uint8Array, value: Uint8Array): Uint8Array {
  return new ByteWriter(key.byteLength + value.byteLength + 4).bytes(key).raw(value).finish();
}

/** Splits a staged pair back into its data-table key and value. */
export function decodeStagedPair(v: Uint8Array): {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
} {
  const r = new ByteReader(v, 'staged pair');
  const key = r.bytes();
  return { key, value: r.raw(r.remaining) };
}
