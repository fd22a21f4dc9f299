/**
 * A region's memory of the client writes it applied, by request id: a retry of a write
 * whose answer was lost (connection broken, leader gone) is answered from its record
 * instead of being applied twice.
 *
 * Every replica holds the same table, because only applying entries changes it. Its time is
 * the region's request clock, the largest `proposed_at_ms` of the commands it applied (a
 * leader's wall clock, carried in the log), never the local clock. A record answers retries
 * for REQUEST_TTL_MS of that clock; clients stop retrying well before (their retry window),
 * so clocks of different leaders may disagree by tens of seconds without harm.
 *
 * The clock and the records are written with the applied data (same batch, same recovery),
 * travel in snapshots, and are copied to the new region of a split, whose keys the records
 * may cover.
 */

import { atoll } from '@atoll/proto';
import type { StoreBatch } from './storage-port.js';

/** How long (request-clock time) a region answers a retry from its record. */
export const REQUEST_TTL_MS = 60_000;

/** The clock is stored as the record of the empty request id. */
const CLOCK_ID = new Uint8Array(0);

export interface RequestOutcome {
  readonly cas?: { readonly succeeded: boolean; readonly previous?: Uint8Array };
}

interface RequestEntry {
  readonly id: Uint8Array;
  readonly appliedAtMs: number;
  readonly outcome: RequestOutcome;
}

export class RequestTable {
  /** In order of appliedAtMs (insertion order: the clock never goes back). */
  private readonly records = new Map<string, RequestEntry>();
  private clock = 0;
  /** Changes not yet written to storage. */
  private readonly added = new Map<string, RequestEntry>();
  private readonly removed = new Map<string, Uint8Array>();
  private clockDirty = false;

  get clockMs(): number {
    return this.clock;
  }

  get size(): number {
    return this.records.size;
  }

  /** Moves the clock to a command's proposal time (never back) and expires old records. */
  advance(proposedAtMs: number): void {
    if (proposedAtMs <= this.clock) return;
    this.clock = proposedAtMs;
    this.clockDirty = true;
    for (const [k, e] of this.records) {
      if (this.clock - e.appliedAtMs <= REQUEST_TTL_MS) break;
      this.records.delete(k);
      this.added.delete(k);
      this.removed.set(k, e.id);
    }
  }

  /** The outcome of the request if this region applied it within the TTL. */
  lookup(id: Uint8Array): RequestOutcome | undefined {
    const e = this.records.get(keyOf(id));
    return e && this.clock - e.appliedAtMs <= REQUEST_TTL_MS ? e.outcome : undefined;
  }

  /** Remembers that the request was applied now (request-clock time) with this outcome. */
  record(id: Uint8Array, outcome: RequestOutcome): void {
    const k = keyOf(id);
    const entry: RequestEntry = { id: id.slice(), appliedAtMs: this.clock, outcome };
    this.records.delete(k);
    this.records.set(k, entry);
    this.added.set(k, entry);
    this.removed.delete(k);
  }

  /** Writes what changed since the last flush into the batch. */
  flush(batch: StoreBatch, regionId: number): void {
    if (this.clockDirty) batch.putRequestRecord(regionId, CLOCK_ID, encodeClock(this.clock));
    for (const e of this.added.values()) batch.putRequestRecord(regionId, e.id, encodeEntry(e));
    for (const id of this.removed.values()) batch.deleteRequestRecord(regionId, id);
    this.added.clear();
    this.removed.clear();
    this.clockDirty = false;
  }

  /** Writes the whole table as the records of `regionId` (a split's new region). */
  writeAll(batch: StoreBatch, regionId: number): void {
    batch.putRequestRecord(regionId, CLOCK_ID, encodeClock(this.clock));
    for (const e of this.records.values()) batch.putRequestRecord(regionId, e.id, encodeEntry(e));
  }

  /** The table as a snapshot carries it. */
  toSnapshot(): { requestClockMs: number; requests: atoll.store.IRequestRecordEntry[] } {
    return {
      requestClockMs: this.clock,
      requests: [...this.records.values()].map((e) => ({
        requestId: e.id,
        record: toRecord(e),
      })),
    };
  }

  /** The table a snapshot carried (nothing pending: the installer writes it whole). */
  static fromSnapshot(state: atoll.store.IRegionSnapshotState): RequestTable {
    const entries = (state.requests ?? []).map((r) =>
      fromRecord(r.requestId ?? CLOCK_ID, r.record ?? {}),
    );
    return RequestTable.of(Number(state.requestClockMs ?? 0), entries);
  }

  /** The table as storage holds it (loadRequestRecords). */
  static load(stored: readonly { requestId: Uint8Array; value: Uint8Array }[]): RequestTable {
    let clock = 0;
    const entries: RequestEntry[] = [];
    for (const { requestId, value } of stored) {
      const rec = atoll.store.RequestRecord.decode(value);
      if (requestId.length === 0) clock = Number(rec.appliedAtMs);
      else entries.push(fromRecord(requestId, rec));
    }
    return RequestTable.of(clock, entries);
  }

  private static of(clock: number, entries: RequestEntry[]): RequestTable {
    const t = new RequestTable();
    t.clock = clock;
    entries.sort((a, b) => a.appliedAtMs - b.appliedAtMs);
    for (const e of entries) t.records.set(keyOf(e.id), e);
    return t;
  }
}

function keyOf(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

function toRecord(e: RequestEntry): atoll.store.IRequestRecord {
  const cas = e.outcome.cas;
  return {
    appliedAtMs: e.appliedAtMs,
    ...(cas
      ? {
          cas: true,
          casSucceeded: cas.succeeded,
          ...(cas.previous === undefined
            ? { casPreviousNotExist: true }
            : { casPreviousValue: cas.previous }),
        }
      : {}),
  };
}

function fromRecord(id: Uint8Array, r: atoll.store.IRequestRecord): RequestEntry {
  const outcome: RequestOutcome = r.cas
    ? {
        cas: r.casPreviousNotExist
          ? { succeeded: r.casSucceeded ?? false }
          : {
              succeeded: r.casSucceeded ?? false,
              previous: r.casPreviousValue ?? new Uint8Array(),
            },
      }
    : {};
  return { id, appliedAtMs: Number(r.appliedAtMs ?? 0), outcome };
}

function encodeEntry(e: RequestEntry): Uint8Array {
  return atoll.store.RequestRecord.encode(toRecord(e)).finish();
}

function encodeClock(clock: number): Uint8Array {
  return atoll.store.RequestRecord.encode({ appliedAtMs: clock }).finish();
}
