/**
 * Byte formats of the Raft records this layer stores: log entry values, hard state, apply
 * state, truncated state and snapshot metadata. Each record starts with a format byte so a
 * later version can change a layout and still read the old one.
 *
 * Not here: region metadata, which the store encodes itself (this layer keeps it as opaque
 * bytes), and key layouts (keys.ts).
 */

import {
  type ConfState,
  EMPTY_CONF_STATE,
  type Entry,
  EntryType,
  type HardState,
  type SnapshotMetadata,
} from '@atoll/raft';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { corruptError } from './errors.js';

/** Version byte of every record written by this file. */
const FORMAT_V1 = 1;

/** Bytes in front of an entry's data: format, type, term. */
export const ENTRY_HEADER_BYTES = 1 + 1 + 8;

/** What the host persists with the data of applied entries, atomically with it. */
export interface ApplyState {
  /** Invariant: the data reflects exactly the entries up to this index. */
  readonly appliedIndex: number;
  /**
   * The membership as of appliedIndex. Set it when an applied entry (or a snapshot) changed
   * it; omitted, the last one set stays (it is stored as its own record, written only then).
   */
  readonly confState?: ConfState;
}

/** The last entry dropped from a log by compaction or a snapshot. */
export interface TruncatedState {
  readonly index: number;
  readonly term: number;
}

/** An entry's log value: format, type, term, then the data bytes as they are. */
export function encodeEntryValue(e: Entry): Uint8Array {
  const out = new Uint8Array(ENTRY_HEADER_BYTES + e.data.byteLength);
  out[0] = FORMAT_V1;
  out[1] = e.type;
  const view = new DataView(out.buffer);
  view.setUint32(2, Math.floor(e.term / 0x1_0000_0000));
  view.setUint32(6, e.term >>> 0);
  out.set(e.data, ENTRY_HEADER_BYTES);
  return out;
}

/** The term stored in an entry value, without decoding the rest. */
export function entryValueTerm(v: Uint8Array): number {
  if (v.byteLength < ENTRY_HEADER_BYTES || v[0] !== FORMAT_V1) throw corruptError('log entry');
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return view.getUint32(2) * 0x1_0000_0000 + view.getUint32(6);
}

/** Decodes an entry value; `v` must not be a reused buffer (the data is a view of it). */
export function decodeEntryValue(index: number, v: Uint8Array): Entry {
  const term = entryValueTerm(v);
  const type = v[1]!;
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
    throw corruptError(`log entry type ${type}`);
  }
  return { index, term, type, data: v.subarray(ENTRY_HEADER_BYTES) };
}

/** A hard state's bytes: format, term, vote, commit. */
export function encodeHardState(hs: HardState): Uint8Array {
  return new ByteWriter(32).u8(FORMAT_V1).u64(hs.term).u64(hs.vote).u64(hs.commit).finish();
}

/** Decodes a hard state; STORAGE_ERR_CORRUPT if it is not one. */
export function decodeHardState(v: Uint8Array): HardState {
  const r = new ByteReader(v, 'hard state');
  if (r.u8() !== FORMAT_V1) throw corruptError('hard state format');
  const hs = { term: r.u64(), vote: r.u64(), commit: r.u64() };
  r.end();
  return hs;
}

function writeIds(w: ByteWriter, ids: readonly number[]): void {
  w.varint(ids.length);
  for (const id of ids) w.varint(id);
}

function readIds(r: ByteReader): number[] {
  const n = r.varint();
  if (n > r.remaining) throw corruptError('peer id count');
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(r.varint());
  return ids;
}

function writeConfState(w: ByteWriter, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.votersOutgoing);
  writeIds(w, cs.learners);
  writeIds(w, cs.learnersNext);
  w.u8(cs.autoLeave ? 1 : 0);
}

function readConfState(r: ByteReader): ConfState {
  return {
    voters: readIds(r),
    votersOutgoing: readIds(r),
    learners: readIds(r),
    learnersNext: readIds(r),
    autoLeave: r.u8() === 1,
  };
}

/** An apply state's bytes: format, applied index (the membership is its own record). */
export function encodeApplyState(s: ApplyState): Uint8Array {
  return new ByteWriter(16).u8(FORMAT_V1).u64(s.appliedIndex).finish();
}

/** Decodes the applied index; the membership lives in its own record (encodeConfState). */
export function decodeAppliedIndex(v: Uint8Array): number {
  const r = new ByteReader(v, 'apply state');
  if (r.u8() !== FORMAT_V1) throw corruptError('apply state format');
  const appliedIndex = r.u64();
  r.end();
  return appliedIndex;
}

/** A membership record's bytes. */
export function encodeConfState(cs: ConfState): Uint8Array {
  const w = new ByteWriter().u8(FORMAT_V1);
  writeConfState(w, cs);
  return w.finish();
}

/** Decodes a membership record. */
export function decodeConfState(v: Uint8Array): ConfState {
  const r = new ByteReader(v, 'conf state');
  if (r.u8() !== FORMAT_V1) throw corruptError('conf state format');
  const cs = readConfState(r);
  r.end();
  return cs;
}

/** A truncation point's bytes: format, index, term. */
export function encodeTruncatedState(t: TruncatedState): Uint8Array {
  return new ByteWriter(24).u8(FORMAT_V1).u64(t.index).u64(t.term).finish();
}

/** Decodes a truncation point. */
export function decodeTruncatedState(v: Uint8Array): TruncatedState {
  const r = new ByteReader(v, 'truncated state');
  if (r.u8() !== FORMAT_V1) throw corruptError('truncated state format');
  const t = { index: r.u64(), term: r.u64() };
  r.end();
  return t;
}

/** Snapshot metadata bytes: format, index, term, membership. */
export function encodeSnapshotMeta(m: SnapshotMetadata): Uint8Array {
  const w = new ByteWriter().u8(FORMAT_V1).u64(m.index).u64(m.term);
  writeConfState(w, m.confState);
  return w.finish();
}

/** Decodes snapshot metadata. */
export function decodeSnapshotMeta(v: Uint8Array): SnapshotMetadata {
  const r = new ByteReader(v, 'snapshot metadata');
  if (r.u8() !== FORMAT_V1) throw corruptError('snapshot metadata format');
  const m = { index: r.u64(), term: r.u64(), confState: readConfState(r) };
  r.end();
  return m;
}

/** The membership a region starts with when nothing was persisted for it. */
export const NO_CONF_STATE: ConfState = EMPTY_CONF_STATE;

/** The WAL mark's bytes: format, sequence. */
export function encodeWalMark(seq: number): Uint8Array {
  return new ByteWriter(16).u8(FORMAT_V1).u64(seq).finish();
}

export function decodeWalMark(v: Uint8Array): number {
  const r = new ByteReader(v, 'WAL mark');
  if (r.u8() !== FORMAT_V1) throw corruptError('WAL mark format');
  const seq = r.u64();
  r.end();
  return seq;
}
