/**
 * The redo record of a write batch: the batch's calls, in order, with their arguments.
 * Replayed on the state the batch was first committed to, they produce the same state, so a
 * store's write-ahead log can hold one such record per loop iteration and recovery can
 * replay into LMDB the ones it lacks (docs/write-path-plan.md, slice 2).
 *
 * Only what a store's loop writes is recorded. A batch that also does something else (an
 * ingested snapshot, transaction records) has no redo record: it must be made durable by
 * the storage engine itself, and recovery stops before it if the engine lacks it.
 */

import type { Entry, HardState } from '@atoll/raft';
import { ByteReader, ByteWriter } from '../byte-codec.js';
import { corruptError } from '../errors.js';
import {
  type ApplyState,
  decodeConfState,
  decodeEntryValue,
  decodeHardState,
  encodeConfState,
  encodeEntryValue,
  encodeHardState,
} from '../raft-codec.js';
import type { WriteBatch } from '../write-batch.js';

const FORMAT_V1 = 1;

/** The recorded calls: WriteBatch method names, each with its argument encoding. */
enum Op {
  AppendEntries = 1,
  SetHardState = 2,
  ApplySnapshotPosition = 3,
  CompactLog = 4,
  Put = 5,
  Delete = 6,
  DeleteRange = 7,
  ClearRange = 8,
  SetRegionMeta = 9,
  SetApplyState = 10,
  PutRequestRecord = 11,
  DeleteRequestRecord = 12,
  ClearRequestRecords = 13,
  DestroyRegionLog = 14,
  PutRequestGroup = 15,
  DeleteRequestGroup = 16,
}

type Args = readonly unknown[];
type Encoder = (w: ByteWriter, a: Args) => void;

const num = (a: Args, i: number) => a[i] as number;
const encodePut = (w: ByteWriter, key: Uint8Array, value: Uint8Array) =>
  void w.bytes(key).bytes(value);
const encodeDelete = (w: ByteWriter, key: Uint8Array) => void w.bytes(key);
const bytes = (a: Args, i: number) => a[i] as Uint8Array;

const ENCODERS: Record<string, [Op, Encoder]> = {
  appendEntries: [
    Op.AppendEntries,
    (w, a) => {
      const entries = a[1] as readonly Entry[];
      w.varint(num(a, 0)).varint(entries.length);
      for (const e of entries) w.varint(e.index).bytes(encodeEntryValue(e));
    },
  ],
  setHardState: [
    Op.SetHardState,
    (w, a) => {
      w.varint(num(a, 0))
        .bytes(encodeHardState(a[1] as HardState))
        .u8(a[2] === false ? 0 : 1);
    },
  ],
  applySnapshotPosition: [
    Op.ApplySnapshotPosition,
    (w, a) => void w.varint(num(a, 0)).varint(num(a, 1)).varint(num(a, 2)),
  ],
  compactLog: [Op.CompactLog, (w, a) => void w.varint(num(a, 0)).varint(num(a, 1))],
  put: [Op.Put, (w, a) => encodePut(w, bytes(a, 0), bytes(a, 1))],
  delete: [Op.Delete, (w, a) => encodeDelete(w, bytes(a, 0))],
  deleteRange: [Op.DeleteRange, (w, a) => void w.bytes(bytes(a, 0)).bytes(bytes(a, 1))],
  clearRange: [Op.ClearRange, (w, a) => void w.bytes(bytes(a, 0)).bytes(bytes(a, 1))],
  setRegionMeta: [Op.SetRegionMeta, (w, a) => void w.varint(num(a, 0)).bytes(bytes(a, 1))],
  setApplyState: [
    Op.SetApplyState,
    (w, a) => {
      const s = a[1] as ApplyState;
      w.varint(num(a, 0)).varint(s.appliedIndex);
      if (s.confState) w.u8(1).bytes(encodeConfState(s.confState));
      else w.u8(0);
    },
  ],
  putRequestRecord: [
    Op.PutRequestRecord,
    (w, a) => void w.varint(num(a, 0)).bytes(bytes(a, 1)).bytes(bytes(a, 2)),
  ],
  deleteRequestRecord: [
    Op.DeleteRequestRecord,
    (w, a) => void w.varint(num(a, 0)).bytes(bytes(a, 1)),
  ],
  putRequestGroup: [
    Op.PutRequestGroup,
    (w, a) => void w.varint(num(a, 0)).varint(num(a, 1)).bytes(bytes(a, 2)),
  ],
  deleteRequestGroup: [Op.DeleteRequestGroup, (w, a) => void w.varint(num(a, 0)).varint(num(a, 1))],
  clearRequestRecords: [Op.ClearRequestRecords, (w, a) => void w.varint(num(a, 0))],
  destroyRegionLog: [Op.DestroyRegionLog, (w, a) => void w.varint(num(a, 0))],
};

/** WriteBatch members that change nothing a redo record must carry. */
const NEUTRAL = new Set([
  'ops',
  'putBytes',
  'mustSync',
  'size',
  'requireSync',
  'durableInWal',
  // The mark is the log's own bookkeeping, written by the caller beside the record.
  'setWalMark',
  'commit',
  'touchedLogRegions',
  'appendedLogTails',
]);

/** A batch that records its calls, and what it recorded. */
export interface RecordingBatch {
  readonly batch: WriteBatch;
  /**
   * batch.put and batch.delete, recorded, without the proxy: every client write comes this
   * way, and a proxied call costs a trap, a closure and an arguments array.
   */
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** The redo record so far; undefined if the batch did something it cannot record. */
  redo(): Uint8Array | undefined;
}

/** Wraps a fresh batch so that every call on it is also recorded. */
export function recordingBatch(batch: WriteBatch): RecordingBatch {
  const w = new ByteWriter(256).u8(FORMAT_V1);
  let replayable = true;
  const proxy: WriteBatch = new Proxy(batch, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const known = ENCODERS[prop];
      if (!known && !NEUTRAL.has(prop)) replayable = false;
      return (...args: unknown[]) => {
        if (known) {
          w.u8(known[0]);
          known[1](w, args);
        }
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        // The builder methods return the batch: keep callers on the recording proxy.
        return out === target ? receiver : out;
      };
    },
  });
  return {
    batch: proxy,
    put(key, value) {
      batch.put(key, value);
      encodePut(w.u8(Op.Put), key, value);
    },
    delete(key) {
      batch.delete(key);
      encodeDelete(w.u8(Op.Delete), key);
    },
    redo: () => (replayable ? w.finish() : undefined),
  };
}

/**
 * Replays a redo record's calls onto `batch` (recovery; the caller commits it). The whole
 * record is decoded first: a damaged one throws STORAGE_ERR_CORRUPT with the batch untouched.
 */
export function replayRedo(record: Uint8Array, batch: WriteBatch): void {
  const calls: ((b: WriteBatch) => void)[] = [];
  const r = new ByteReader(record, 'batch redo record');
  if (r.u8() !== FORMAT_V1) throw corruptError('batch redo record format');
  while (r.remaining > 0) calls.push(decodeCall(r));
  for (const call of calls) call(batch);
}

function decodeCall(r: ByteReader): (batch: WriteBatch) => void {
  const op = r.u8() as Op;
  switch (op) {
    case Op.AppendEntries: {
      const regionId = r.varint();
      const n = r.varint();
      const entries: Entry[] = [];
      for (let i = 0; i < n; i++) {
        const index = r.varint();
        entries.push(decodeEntryValue(index, r.bytes()));
      }
      return (b) => b.appendEntries(regionId, entries);
    }
    case Op.SetHardState: {
      const regionId = r.varint();
      const hs = decodeHardState(r.bytes());
      const durable = r.u8() === 1;
      return (b) => b.setHardState(regionId, hs, durable);
    }
    case Op.ApplySnapshotPosition: {
      const [regionId, index, term] = [r.varint(), r.varint(), r.varint()];
      return (b) => b.applySnapshotPosition(regionId, index, term);
    }
    case Op.CompactLog: {
      const [regionId, index] = [r.varint(), r.varint()];
      return (b) => b.compactLog(regionId, index);
    }
    case Op.Put: {
      const [key, value] = [r.bytes(), r.bytes()];
      return (b) => b.put(key, value);
    }
    case Op.Delete: {
      const key = r.bytes();
      return (b) => b.delete(key);
    }
    case Op.DeleteRange: {
      const [start, end] = [r.bytes(), r.bytes()];
      return (b) => b.deleteRange(start, end);
    }
    case Op.ClearRange: {
      const [start, end] = [r.bytes(), r.bytes()];
      return (b) => b.clearRange(start, end);
    }
    case Op.SetRegionMeta: {
      const regionId = r.varint();
      const meta = r.bytes();
      return (b) => b.setRegionMeta(regionId, meta);
    }
    case Op.SetApplyState: {
      const regionId = r.varint();
      const appliedIndex = r.varint();
      const state: ApplyState =
        r.u8() === 1 ? { appliedIndex, confState: decodeConfState(r.bytes()) } : { appliedIndex };
      return (b) => b.setApplyState(regionId, state);
    }
    case Op.PutRequestRecord: {
      const regionId = r.varint();
      const [requestId, value] = [r.bytes(), r.bytes()];
      return (b) => b.putRequestRecord(regionId, requestId, value);
    }
    case Op.DeleteRequestRecord: {
      const regionId = r.varint();
      const requestId = r.bytes();
      return (b) => b.deleteRequestRecord(regionId, requestId);
    }
    case Op.PutRequestGroup: {
      const [regionId, seq] = [r.varint(), r.varint()];
      const value = r.bytes();
      return (b) => b.putRequestGroup(regionId, seq, value);
    }
    case Op.DeleteRequestGroup: {
      const [regionId, seq] = [r.varint(), r.varint()];
      return (b) => b.deleteRequestGroup(regionId, seq);
    }
    case Op.ClearRequestRecords: {
      const regionId = r.varint();
      return (b) => b.clearRequestRecords(regionId);
    }
    case Op.DestroyRegionLog: {
      const regionId = r.varint();
      return (b) => b.destroyRegionLog(regionId);
    }
    default:
      throw corruptError(`batch redo record: unknown operation ${op}`);
  }
}
