/**
 * How the applied-request table is stored: the records of one flush become one group under
 * one key, a group is deleted once its newest record expired, a table loads back from its
 * groups, and single-key records of the earlier layout are read, replaced and expired.
 */

import { atoll } from '@atoll/proto';
import { describe, expect, it } from 'vitest';
import { REQUEST_GROUP_RECORDS_MAX, REQUEST_TTL_MS, RequestTable } from '../src/request-table.js';
import type { StoreBatch, StoredRequestRecords } from '../src/storage-port.js';

const id = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A region's request keys as storage would hold them, written through a fake batch. */
class FakeStorage {
  readonly singles = new Map<string, Uint8Array>();
  readonly groups = new Map<number, Uint8Array>();
  ops = 0;

  batch(regionId: number): StoreBatch {
    const check = (r: number) => expect(r).toBe(regionId);
    const b = {
      putRequestRecord: (r: number, requestId: Uint8Array, value: Uint8Array) => {
        check(r);
        this.ops++;
        this.singles.set(text(requestId), value);
      },
      deleteRequestRecord: (r: number, requestId: Uint8Array) => {
        check(r);
        this.ops++;
        this.singles.delete(text(requestId));
      },
      putRequestGroup: (r: number, seq: number, value: Uint8Array) => {
        check(r);
        this.ops++;
        this.groups.set(seq, value);
      },
      deleteRequestGroup: (r: number, seq: number) => {
        check(r);
        this.ops++;
        this.groups.delete(seq);
      },
    };
    return b as unknown as StoreBatch;
  }

  stored(): StoredRequestRecords {
    return {
      records: [...this.singles].map(([k, value]) => ({ requestId: id(k), value })),
      groups: [...this.groups].sort((a, b) => a[0] - b[0]).map(([seq, value]) => ({ seq, value })),
    };
  }
}

const single = (appliedAtMs: number) => atoll.store.RequestRecord.encode({ appliedAtMs }).finish();

describe('request table storage', () => {
  it('stores the records of one flush as one group, and loads them back', () => {
    const s = new FakeStorage();
    const t = new RequestTable();
    t.advance(1_000);
    for (let i = 0; i < 100; i++) t.record(id(`r${i}`), {});
    t.record(id('cas'), { cas: { succeeded: false, previous: id('old') } });
    t.flush(s.batch(7), 7);
    // The clock and one group: two keys for 101 writes.
    expect(s.ops).toBe(2);
    expect([...s.groups.keys()]).toEqual([1]);
    const back = RequestTable.load(s.stored());
    expect(back.clockMs).toBe(1_000);
    expect(back.size).toBe(101);
    expect(back.lookup(id('r42'))).toEqual({});
    const cas = back.lookup(id('cas'))?.cas;
    expect([cas?.succeeded, text(cas?.previous ?? id('none'))]).toEqual([false, 'old']);
    // Numbering continues after the loaded groups.
    back.advance(2_000);
    back.record(id('next'), {});
    back.flush(s.batch(7), 7);
    expect([...s.groups.keys()].sort()).toEqual([1, 2]);
  });

  it('deletes a group once its newest record expired, not before', () => {
    const s = new FakeStorage();
    const t = new RequestTable();
    t.advance(1_000);
    t.record(id('a'), {});
    t.flush(s.batch(1), 1);
    t.advance(5_000);
    t.record(id('b'), {});
    t.flush(s.batch(1), 1);
    expect(t.storedGroups).toBe(2);
    t.advance(1_000 + REQUEST_TTL_MS);
    t.flush(s.batch(1), 1);
    expect([...s.groups.keys()].sort()).toEqual([1, 2]);
    t.advance(1_001 + REQUEST_TTL_MS);
    t.flush(s.batch(1), 1);
    expect([...s.groups.keys()]).toEqual([2]);
    expect(t.lookup(id('a'))).toBeUndefined();
    expect(t.lookup(id('b'))).toEqual({});
    expect(RequestTable.load(s.stored()).lookup(id('b'))).toEqual({});
  });

  it('a record applied again lives in its newer group after the older one is gone', () => {
    const s = new FakeStorage();
    const t = new RequestTable();
    t.advance(1_000);
    t.record(id('a'), {});
    t.record(id('x'), {});
    t.flush(s.batch(1), 1);
    t.advance(30_000);
    t.record(id('a'), { cas: { succeeded: true } });
    t.flush(s.batch(1), 1);
    t.advance(1_001 + REQUEST_TTL_MS);
    t.flush(s.batch(1), 1);
    expect([...s.groups.keys()]).toEqual([2]);
    const back = RequestTable.load(s.stored());
    expect(back.lookup(id('a'))).toEqual({ cas: { succeeded: true } });
    expect(back.lookup(id('x'))).toBeUndefined();
  });

  it('reads single-key records of the earlier layout, and deletes them when replaced or expired', () => {
    const s = new FakeStorage();
    s.singles.set('', single(10_000));
    s.singles.set('old', single(9_000));
    s.singles.set('again', single(9_500));
    const t = RequestTable.load(s.stored());
    expect(t.clockMs).toBe(10_000);
    expect(t.lookup(id('old'))).toEqual({});
    t.advance(11_000);
    t.record(id('again'), {});
    t.flush(s.batch(3), 3);
    expect([...s.singles.keys()].sort()).toEqual(['', 'old']);
    t.advance(9_001 + REQUEST_TTL_MS);
    t.flush(s.batch(3), 3);
    expect([...s.singles.keys()]).toEqual(['']);
    expect(RequestTable.load(s.stored()).lookup(id('again'))).toEqual({});
  });

  it('copies a whole table in bounded groups, and takes over a snapshot layout', () => {
    const t = new RequestTable();
    t.advance(1_000);
    const n = REQUEST_GROUP_RECORDS_MAX + 10;
    for (let i = 0; i < n; i++) t.record(id(`r${i}`), {});
    t.flush(new FakeStorage().batch(1), 1);
    const copy = new FakeStorage();
    t.copyTo(copy.batch(2), 2);
    expect([...copy.groups.keys()]).toEqual([1, 2]);
    expect(RequestTable.load(copy.stored()).size).toBe(n);

    const snap = RequestTable.fromSnapshot({ ...t.toSnapshot() });
    const installed = new FakeStorage();
    snap.writeAll(installed.batch(1), 1);
    expect(snap.storedGroups).toBe(2);
    snap.advance(1_001 + REQUEST_TTL_MS);
    snap.flush(installed.batch(1), 1);
    expect(installed.groups.size).toBe(0);
  });
});
