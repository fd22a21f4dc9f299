/**
 * The write-ahead log's on-disk framing. A segment is a preallocated file of zeroes that
 * records are written into from offset 0:
 *
 *   [length u32 LE][crc u32 LE][kind u8][payload: length - 1 bytes]
 *
 * The first record of a segment is its header (kind 1, payload = the segment's sequence
 * number, u64 LE); then data records (kind 2). Each record's CRC-32C covers kind and payload
 * and is chained: seeded with the previous record's CRC, the header's with one derived from
 * the sequence number. A scan stops at the first record that is zero-length, does not fit, or
 * fails its CRC: the end of what was written whole (a torn tail, or the zeroes after it).
 * Chaining makes bytes left over from an overwritten torn tail fail too.
 */

import { crc32c } from '../crc32c.js';

export const RECORD_HEADER_BYTES = 9;
export const RecordKind = { SegmentHeader: 1, Data: 2 } as const;

/** Where a record starts: its segment's sequence number and byte offset. */
export interface WalPosition {
  readonly segment: number;
  readonly offset: number;
}

export interface ScannedRecord {
  readonly offset: number;
  readonly payload: Uint8Array;
}

/** The CRC a segment's chain starts from. */
export function segmentSeed(seq: number): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(seq), true);
  return crc32c(b);
}

/** Bytes one record with `payloadBytes` of payload takes. */
export function recordBytes(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + payloadBytes;
}

/** Writes one record at `at` in `out`; returns its CRC (the next record's seed). */
export function putRecord(
  out: Uint8Array,
  at: number,
  kind: number,
  payload: Uint8Array,
  seed: number,
): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[at + 8] = kind;
  out.set(payload, at + RECORD_HEADER_BYTES);
  const crc = crc32c(out.subarray(at + 8, at + RECORD_HEADER_BYTES + payload.length), seed);
  view.setUint32(at, payload.length + 1, true);
  view.setUint32(at + 4, crc >>> 0, true);
  return crc;
}

/** The header record of segment `seq`, and the CRC its data records chain from. */
export function segmentHeader(seq: number): { bytes: Uint8Array; crc: number } {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setBigUint64(0, BigInt(seq), true);
  const bytes = new Uint8Array(recordBytes(payload.length));
  const crc = putRecord(bytes, 0, RecordKind.SegmentHeader, payload, segmentSeed(seq));
  return { bytes, crc };
}

/**
 * The whole data records of segment `seq` in `content`, the offset just past the last one
 * (where the next record goes) and its CRC. `headerOk` is false when not even the header is
 * whole (a segment created but never written).
 */
export function scanSegment(
  seq: number,
  content: Uint8Array,
): { records: ScannedRecord[]; end: number; crc: number; headerOk: boolean } {
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const records: ScannedRecord[] = [];
  let at = 0;
  let crc = segmentSeed(seq);
  let headerOk = false;
  while (at + RECORD_HEADER_BYTES <= content.length) {
    const length = view.getUint32(at, true);
    if (length === 0 || at + 8 + length > content.length) break;
    const body = content.subarray(at + 8, at + 8 + length);
    const want = crc32c(body, crc);
    if (view.getUint32(at + 4, true) !== want >>> 0) break;
    const kind = body[0];
    if (!headerOk) {
      if (kind !== RecordKind.SegmentHeader) break;
      headerOk = true;
    } else if (kind === RecordKind.Data) {
      records.push({ offset: at, payload: body.subarray(1) });
    } else {
      break;
    }
    crc = want;
    at += 8 + length;
  }
  return { records, end: at, crc, headerOk };
}
