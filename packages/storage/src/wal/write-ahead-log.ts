/**
 * A write-ahead log: an append-only sequence of opaque records in preallocated segment files,
 * each append durable (written and fdatasync'ed) when its promise resolves. Appends that
 * arrive while a write is in flight go out together in the next one (group commit): one
 * write and one fdatasync per batch, whatever its size. A record is atomic: after a crash it
 * is replayed whole or not at all, and never one without every record before it.
 *
 * An append may skip the sync (`sync: false`: records whose loss in a power failure is
 * harmless, such as data rebuilt from records that were synced). It is written at once and
 * becomes durable with the next synced append, or when its segment is left: a sync covers
 * every earlier record, so power loss only ever takes a suffix of unsynced records.
 *
 * Segments are preallocated (zeroes written and synced once; the next one when the current is
 * half full) so that an fdatasync has only data to write: measured here, 0.37 ms against
 * 0.73 ms when appending to a growing file. A failed write or sync fails the log for good (after a failed
 * fsync the file's state is unknown): reopen to recover.
 *
 * The store logs its batches here (packages/store/src/store-wal.ts); docs/write-path-plan.md.
 */

import { assert } from '@atoll/raft';
import { closedError, StorageError, StorageErrorCode } from '../errors.js';
import { nodeWalFiles, type WalFile, type WalFiles } from './wal-files.js';
import {
  putRecord,
  RecordKind,
  recordBytes,
  scanSegment,
  segmentHeader,
  type WalPosition,
} from './wal-format.js';

export type { WalFile, WalFiles } from './wal-files.js';
export type { WalPosition } from './wal-format.js';

export const WAL_SEGMENT_BYTES_DEFAULT = 64 * 1024 * 1024;
/** The largest payload one record may carry. */
export const WAL_RECORD_BYTES_MAX = 256 * 1024 * 1024;

export interface WalOptions {
  /** Size of a segment file (a larger record gets a segment of its own size). */
  readonly segmentBytes?: number;
  /** The file system (default: the folder given to open). */
  readonly files?: WalFiles;
}

export interface WalRecord {
  readonly position: WalPosition;
  readonly payload: Uint8Array;
}

interface Segment {
  readonly seq: number;
  readonly file: WalFile;
  readonly size: number;
  /** Where the next record goes, and the CRC it chains from. */
  end: number;
  crc: number;
  /** Records were written here since the last datasync. */
  unsynced: boolean;
}

interface Waiter {
  readonly payload: Uint8Array;
  readonly sync: boolean;
  readonly resolve: (p: WalPosition) => void;
  readonly reject: (e: unknown) => void;
}

const SEGMENT_NAME = /^([0-9a-f]{16})\.wal$/;
const segmentName = (seq: number) => `${seq.toString(16).padStart(16, '0')}.wal`;
const tmpName = (seq: number) => `${segmentName(seq)}.tmp`;

export class WriteAheadLog {
  private queue: Waiter[] = [];
  /** A flush loop is running (set and cleared synchronously, so no append is stranded). */
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  private failure: StorageError | undefined;
  private closed = false;
  private prepared: { seq: number; size: number; done: Promise<void> } | undefined;

  private constructor(
    private readonly files: WalFiles,
    private readonly segmentBytes: number,
    private readonly segments: number[],
    private current: Segment,
  ) {}

  /** Opens the log in `dir` (created if missing), positioned after its last whole record. */
  static async open(dir: string, options: WalOptions = {}): Promise<WriteAheadLog> {
    const files = options.files ?? nodeWalFiles(dir);
    const segmentBytes = options.segmentBytes ?? WAL_SEGMENT_BYTES_DEFAULT;
    const seqs: number[] = [];
    for (const name of files.list()) {
      const m = SEGMENT_NAME.exec(name);
      if (m) seqs.push(Number.parseInt(m[1]!, 16));
      else if (name.endsWith('.wal.tmp')) await files.remove(name); // preparation cut short
    }
    seqs.sort((a, b) => a - b);
    if (seqs.length === 0) {
      seqs.push(1);
      await files.createZeroed(tmpName(1), segmentBytes);
      await files.rename(tmpName(1), segmentName(1));
    }
    const seq = seqs[seqs.length - 1]!;
    const content = files.read(segmentName(seq));
    const scan = scanSegment(seq, content);
    const file = await files.openForWrite(segmentName(seq));
    const current: Segment = {
      seq,
      file,
      size: content.length,
      end: scan.end,
      crc: scan.crc,
      unsynced: false,
    };
    if (!scan.headerOk) {
      const header = segmentHeader(seq);
      file.write(header.bytes, 0);
      await file.datasync();
      current.end = header.bytes.length;
      current.crc = header.crc;
    }
    return new WriteAheadLog(files, segmentBytes, seqs, current);
  }

  /** Where the next record will go. */
  get position(): WalPosition {
    return { segment: this.current.seq, offset: this.current.end };
  }

  /** Every whole record from `from` on (default: all), in order. */
  *replay(from: WalPosition = { segment: 0, offset: 0 }): Generator<WalRecord> {
    for (const seq of [...this.segments]) {
      if (seq < from.segment) continue;
      const { records } = scanSegment(seq, this.files.read(segmentName(seq)));
      for (const r of records) {
        if (seq === from.segment && r.offset < from.offset) continue;
        yield { position: { segment: seq, offset: r.offset }, payload: r.payload };
      }
    }
  }

  /**
   * Appends one record; resolves with its position once it is durable, or with `sync` false
   * once it is written (durable with the next synced append).
   */
  append(payload: Uint8Array, sync = true): Promise<WalPosition> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(closedError('closed'));
    if (payload.length > WAL_RECORD_BYTES_MAX) {
      return Promise.reject(
        new StorageError(
          StorageErrorCode.ValueTooLarge,
          `a log record of ${payload.length} bytes is over the ${WAL_RECORD_BYTES_MAX}-byte limit`,
          { sizeBytes: payload.length, limitBytes: WAL_RECORD_BYTES_MAX },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ payload, sync, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        this.idle = this.flush();
      }
    });
  }

  /** Removes the segments wholly before `position` (their records are checkpointed). */
  async releaseBefore(position: WalPosition): Promise<void> {
    while (this.segments.length > 1 && this.segments[0]! < position.segment) {
      const seq = this.segments.shift()!;
      await this.files.remove(segmentName(seq));
    }
  }

  /** Waits for appends under way, then closes. Later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
    await this.prepared?.done.catch(() => {});
    if (this.current.unsynced && !this.failure) await this.current.file.datasync();
    await this.current.file.close();
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const batch = this.queue;
        this.queue = [];
        try {
          const positions = await this.writeBatch(
            batch.map((w) => w.payload),
            batch.some((w) => w.sync),
          );
          for (const [i, w] of batch.entries()) w.resolve(positions[i]!);
        } catch (e) {
          this.failure = ioFailure(e);
          for (const w of batch) w.reject(this.failure);
        }
      }
      for (const w of this.queue.splice(0)) w.reject(this.failure);
    } finally {
      this.writing = false;
    }
  }

  private async writeBatch(payloads: Uint8Array[], sync: boolean): Promise<WalPosition[]> {
    let need = 0;
    for (const p of payloads) need += recordBytes(p.length);
    if (this.current.end + need > this.current.size) await this.roll(need);
    const seg = this.current;
    const out = new Uint8Array(need);
    const positions: WalPosition[] = [];
    let at = 0;
    let crc = seg.crc;
    for (const p of payloads) {
      positions.push({ segment: seg.seq, offset: seg.end + at });
      crc = putRecord(out, at, RecordKind.Data, p, crc);
      at += recordBytes(p.length);
    }
    // No await before the sync starts: a leader appends, then wakes its followers with the
    // same entries; its own sync must already be queued by then (it was seen starting up to
    // a millisecond after the followers' at concurrency 1).
    seg.file.write(out, seg.end);
    if (sync) await seg.file.datasync();
    seg.unsynced = !sync;
    seg.end += need;
    seg.crc = crc;
    // Half full: start preparing the next segment, so that rolling does not wait for it.
    if (!this.prepared && seg.end > seg.size / 2) this.prepareNext();
    return positions;
  }

  /** Moves to the next segment, big enough for `need` bytes of records after its header. */
  private async roll(need: number): Promise<void> {
    const seq = this.current.seq + 1;
    const header = segmentHeader(seq);
    const size = Math.max(this.segmentBytes, header.bytes.length + need);
    const ready = this.prepared;
    this.prepared = undefined;
    let prepared = false;
    if (ready && ready.seq === seq && ready.size >= size) {
      prepared = await ready.done.then(
        () => true,
        () => false, // created here instead; a real failure shows again below
      );
    } else {
      await ready?.done.catch(() => {});
    }
    if (!prepared) await this.files.createZeroed(tmpName(seq), size);
    await this.files.rename(tmpName(seq), segmentName(seq));
    const file = await this.files.openForWrite(segmentName(seq));
    // Later syncs reach only the new segment: make this one's unsynced records durable first,
    // or power loss could keep a later record and lose an earlier one.
    if (this.current.unsynced) await this.current.file.datasync();
    await this.current.file.close();
    // The header goes out with the first batch's datasync.
    file.write(header.bytes, 0);
    assert(this.segments[this.segments.length - 1] === seq - 1, 'segments in sequence');
    this.segments.push(seq);
    this.current = { seq, file, size, end: header.bytes.length, crc: header.crc, unsynced: true };
  }

  /** Starts creating the next segment in the background. */
  private prepareNext(): void {
    const seq = this.current.seq + 1;
    const done = this.files.createZeroed(tmpName(seq), this.segmentBytes);
    done.catch(() => {}); // roll() creates it itself then
    this.prepared = { seq, size: this.segmentBytes, done };
  }
}

const ENOSPC = 28;
const EDQUOT = 122;

function ioFailure(e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  const errno = Math.abs(Number((e as { errno?: number }).errno ?? 0));
  const full = errno === ENOSPC || errno === EDQUOT;
  return new StorageError(
    full ? StorageErrorCode.DiskFull : StorageErrorCode.Io,
    `write-ahead log ${full ? 'disk full' : 'write failed'}: ${e instanceof Error ? e.message : String(e)}; reopen to recover`,
    { errno },
    full,
  );
}
