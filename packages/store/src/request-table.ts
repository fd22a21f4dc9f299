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
 * may cover. The records of one batch are stored as one group under one key (a write costs
 * no storage operation of its own, where one key per request cost a put and, a minute
 * later, a delete per write on every replica); a group is deleted once its newest record
 * expired. Single-key records written by earlier versions are still read and expired.
 */

import { atoll } from '@atoll/proto';
import type { StoreBatch, StoredRequestRecords } from './storage-port.js';

/** How long (request-clock time) a region answers a retry from its record. */
export const REQUEST_TTL_MS = 60_000;
/** Most records per group when a whole table is written (a split, a snapshot). */
export const REQUEST_GROUP_RECORDS_MAX = 4_096;

/** The outcome of every write that is not a compare-and-swap. */
const PLAIN: RequestOutcome = Object.freeze({});

/** The clock is stored as the record of the empty request id. */
const CLOCK_ID = new Uint8Array(0);

export interface RequestOutcome {
  readonly cas?: { readonly succeeded: boolean; readonly previous?: Uint8Array };
}

/**
 * A record, kept for REQUEST_TTL_MS: at 10,000 writes/s a region holds 600,000 of them, so
 * they hold no bytes of their own (the id is the key string, turned back into bytes when
 * written out) and share the outcome of plain writes.
 */
interface RequestEntry {
  /** requestKeyOf(id). */
  readonly key: string;
  readonly appliedAtMs: number;
  readonly outcome: RequestOutcome;
  /** Stored under a key of its own (an earlier version's layout): deleted on its own. */
  readonly single?: boolean;
}

/** A stored group: its number and the newest record it holds. */
interface StoredGroup {
  readonly seq: number;
  readonly newestAtMs: number;
}

export class RequestTable {
  /** In order of appliedAtMs (insertion order: the clock never goes back). */
  private readonly records = new Map<string, RequestEntry>();
  private clock = 0;
  /** Stored groups, oldest first; groups[groupsHead] is the next to expire. */
  private groups: StoredGroup[] = [];
  private groupsHead = 0;
  private nextGroupSeq = 1;
  /** Changes not yet written to storage. */
  private readonly added = new Map<string, RequestEntry>();
  /** Keys of single-key records to delete from storage. */
  private readonly removedSingles = new Set<string>();
  private removedGroups: number[] = [];
  private clockDirty = false;

  get clockMs(): number {
    return this.clock;
  }

  get size(): number {
    return this.records.size;
  }

  /** Groups in storage (for tests and status). */
  get storedGroups(): number {
    return this.groups.length - this.groupsHead;
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
      if (e.single) this.removedSingles.add(k);
    }
    while (this.groupsHead < this.groups.length) {
      const g = this.groups[this.groupsHead]!;
      if (this.clock - g.newestAtMs <= REQUEST_TTL_MS) break;
      this.removedGroups.push(g.seq);
      this.groupsHead++;
    }
    if (this.groupsHead > 1024 && this.groupsHead * 2 > this.groups.length) {
      this.groups = this.groups.slice(this.groupsHead);
      this.groupsHead = 0;
    }
  }

  /**
   * The outcome of the request if this region applied it within the TTL. `key` is
   * requestKeyOf(id), for callers that also record the id.
   */
  lookup(id: Uint8Array, key = requestKeyOf(id)): RequestOutcome | undefined {
    const e = this.records.get(key);
    return e && this.clock - e.appliedAtMs <= REQUEST_TTL_MS ? e.outcome : undefined;
  }

  /** Remembers that the request was applied now (request-clock time) with this outcome. */
  record(id: Uint8Array, outcome: RequestOutcome, k = requestKeyOf(id)): void {
    const old = this.records.get(k);
    const entry: RequestEntry = {
      key: k,
      appliedAtMs: this.clock,
      outcome: outcome.cas ? outcome : PLAIN,
    };
    this.records.delete(k);
    this.records.set(k, entry);
    this.added.set(k, entry);
    // A single-key record replaced by a grouped one: its key would outlive it.
    if (old?.single) this.removedSingles.add(k);
  }

  /** Writes what changed since the last flush into the batch: one group for the new records. */
  flush(batch: StoreBatch, regionId: number): void {
    if (this.clockDirty) batch.putRequestRecord(regionId, CLOCK_ID, encodeClock(this.clock));
    if (this.added.size > 0) {
      const seq = this.nextGroupSeq++;
      batch.putRequestGroup(regionId, seq, encodeGroup(this.added.values()));
      this.groups.push({ seq, newestAtMs: this.clock });
    }
    for (const k of this.removedSingles) batch.deleteRequestRecord(regionId, idOfKey(k));
    for (const seq of this.removedGroups) batch.deleteRequestGroup(regionId, seq);
    this.added.clear();
    this.removedSingles.clear();
    this.removedGroups = [];
    this.clockDirty = false;
  }

  /**
   * Writes the whole table as the records of `regionId` (a split's new region), in groups
   * numbered from 1. Changes nothing here: the new region's peer loads what was written.
   */
  copyTo(batch: StoreBatch, regionId: number): void {
    writeWhole(batch, regionId, this.clock, [...this.records.values()]);
  }

  /**
   * Writes the whole table as this region's records (a snapshot's, after the old ones were
   * cleared) and takes that layout as its own.
   */
  writeAll(batch: StoreBatch, regionId: number): void {
    this.groups = writeWhole(batch, regionId, this.clock, [...this.records.values()]);
    this.groupsHead = 0;
    this.nextGroupSeq = this.groups.length + 1;
    // Every record is in a group now (setting an existing key keeps the map's order).
    for (const [k, e] of this.records) if (e.single) this.records.set(k, { ...e, single: false });
    this.added.clear();
    this.removedSingles.clear();
    this.removedGroups = [];
    this.clockDirty = false;
  }

  /** The table as a snapshot carries it. */
  toSnapshot(): { requestClockMs: number; requests: atoll.store.IRequestRecordEntry[] } {
    return {
      requestClockMs: this.clock,
      requests: [...this.records.values()].map((e) => ({
        requestId: idOfKey(e.key),
        record: toRecord(e),
      })),
    };
  }

  /** The table a snapshot carried (nothing stored yet: the installer calls writeAll). */
  static fromSnapshot(state: atoll.store.IRegionSnapshotState): RequestTable {
    const entries = (state.requests ?? []).map((r) =>
      fromRecord(r.requestId ?? CLOCK_ID, r.record ?? {}),
    );
    return RequestTable.of(Number(state.requestClockMs ?? 0), entries, []);
  }

  /** The table as storage holds it (loadRequestRecords). */
  static load(stored: StoredRequestRecords): RequestTable {
    let clock = 0;
    const entries: RequestEntry[] = [];
    for (const { requestId, value } of stored.records) {
      const rec = atoll.store.RequestRecord.decode(value);
      if (requestId.length === 0) clock = Number(rec.appliedAtMs);
      else entries.push({ ...fromRecord(requestId, rec), single: true });
    }
    const groups: StoredGroup[] = [];
    for (const { seq, value } of stored.groups) {
      let newestAtMs = 0;
      for (const r of atoll.store.RequestGroup.decode(value).records) {
        const e = fromRecord(r.requestId ?? CLOCK_ID, r.record ?? {});
        newestAtMs = Math.max(newestAtMs, e.appliedAtMs);
        entries.push(e);
      }
      groups.push({ seq, newestAtMs });
    }
    return RequestTable.of(clock, entries, groups);
  }

  private static of(clock: number, entries: RequestEntry[], groups: StoredGroup[]): RequestTable {
    const t = new RequestTable();
    t.clock = clock;
    // Stable: of two records of one id (a single-key one and a grouped one, or two groups),
    // the later one wins.
    entries.sort((a, b) => a.appliedAtMs - b.appliedAtMs);
    for (const e of entries) {
      if (clock - e.appliedAtMs > REQUEST_TTL_MS && !e.single) continue;
      const k = e.key;
      const old = t.records.get(k);
      if (old?.single && !e.single) t.removedSingles.add(k);
      t.records.delete(k);
      t.records.set(k, e);
    }
    t.groups = groups;
    t.nextGroupSeq = groups.reduce((m, g) => Math.max(m, g.seq), 0) + 1;
    return t;
  }
}

/** Writes `entries` as groups 1, 2, ... of `regionId`, with the clock; returns the groups. */
function writeWhole(
  batch: StoreBatch,
  regionId: number,
  clock: number,
  entries: RequestEntry[],
): StoredGroup[] {
  batch.putRequestRecord(regionId, CLOCK_ID, encodeClock(clock));
  const groups: StoredGroup[] = [];
  for (let i = 0; i < entries.length; i += REQUEST_GROUP_RECORDS_MAX) {
    const part = entries.slice(i, i + REQUEST_GROUP_RECORDS_MAX);
    const seq = groups.length + 1;
    batch.putRequestGroup(regionId, seq, encodeGroup(part));
    groups.push({ seq, newestAtMs: part[part.length - 1]!.appliedAtMs });
  }
  return groups;
}

/** The table's key for a request id. */
export function requestKeyOf(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

/** The request id of a table key (requestKeyOf's inverse). */
function idOfKey(key: string): Uint8Array {
  return Buffer.from(key, 'latin1');
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
  return { key: requestKeyOf(id), appliedAtMs: Number(r.appliedAtMs ?? 0), outcome };
}

function encodeGroup(entries: Iterable<RequestEntry>): Uint8Array {
  const records: atoll.store.IRequestRecordEntry[] = [];
  for (const e of entries) records.push({ requestId: idOfKey(e.key), record: toRecord(e) });
  return atoll.store.RequestGroup.encode({ records }).finish();
}

function encodeClock(clock: number): Uint8Array {
  return atoll.store.RequestRecord.encode({ appliedAtMs: clock }).finish();
}
