/**
 * The in-process transport hub: asynchronous delivery in order per store pair, one batch per
 * flush, bounded queues and window, cut links (one way or both), partitions, held links
 * released later, per-envelope drops, crashed stores, snapshots, and determinism under a
 * scripted schedule that reorders deliveries across links.
 */

import { describe, expect, it } from 'vitest';
import { MemoryTransportHub, type Schedule } from '../../src/env/memory-transport.js';
import type { RaftTransport } from '../../src/env/transport.js';
import { StoreError, StoreErrorCode } from '../../src/errors.js';
import { envelope, Recorder } from './helpers.js';

/** Lets every queued microtask (and thus every default-scheduled delivery) run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function cluster(ids: number[], hub = new MemoryTransportHub()) {
  const recorders = new Map<number, Recorder>();
  const transports = new Map<number, RaftTransport>();
  for (const id of ids) {
    const r = new Recorder();
    recorders.set(id, r);
    hub.register(id, r);
    transports.set(id, hub.transport(id));
  }
  return { hub, rec: (id: number) => recorders.get(id)!, t: (id: number) => transports.get(id)! };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('memory transport', () => {
  it('delivers asynchronously, in order per pair, one batch per flush', async () => {
    const { rec, t } = cluster([1, 2, 3]);
    for (let i = 1; i <= 100; i++) {
      t(1).send(2, [envelope(1, i, 2)]);
      t(3).send(2, [envelope(3, 1000 + i, 2)]);
      if (i % 25 === 0) {
        t(1).flush();
        t(3).flush();
      }
    }
    expect(rec(2).deliveries).toEqual([]); // nothing synchronous
    await settle();
    expect(rec(2).indexesFrom(1)).toEqual(range(1, 100));
    expect(rec(2).indexesFrom(3)).toEqual(range(1001, 100));
    expect(rec(2).deliveries.filter((d) => d.from === 1)).toHaveLength(4);
  });

  it('carries heartbeats with the batch, after the envelopes', async () => {
    const { rec, t } = cluster([1, 2]);
    t(1).sendHeartbeat(2);
    t(1).sendHeartbeat(2);
    t(1).flush();
    await settle();
    expect(rec(2).heartbeats).toEqual([1]);
  });

  it('refuses sends when the queue is full; the window keeps envelopes queued', async () => {
    const hub = new MemoryTransportHub({ queueEnvelopesMax: 10, window: 1 });
    const { rec, t } = cluster([1, 2], hub);
    hub.hold(1, 2);
    t(1).send(
      2,
      range(1, 5).map((i) => envelope(1, i, 2)),
    );
    t(1).flush(); // batch 1 (5 envelopes) is in flight, held
    expect(
      t(1).send(
        2,
        range(6, 10).map((i) => envelope(1, i, 2)),
      ),
    ).toBe(true);
    t(1).flush(); // the window is full: those 10 stay queued
    expect(t(1).send(2, [envelope(1, 16, 2)])).toBe(false);
    const stats = hub.stats().find((s) => s.from === 1 && s.to === 2)!;
    expect(stats.queuedEnvelopes).toBe(10);
    expect(stats.inflightBatches).toBe(1);
    expect(stats.refusedSends).toBe(1);
    hub.release(1, 2);
    await settle();
    expect(rec(2).indexesFrom(1)).toEqual(range(1, 15));
    expect(rec(2).deliveries).toHaveLength(2);
  });

  it('cut links drop both ways; one-way cuts drop one way; heal restores', async () => {
    const { hub, rec, t } = cluster([1, 2]);
    hub.setLink(1, 2, false);
    t(1).send(2, [envelope(1, 1, 2)]);
    t(2).send(1, [envelope(2, 1, 1)]);
    t(1).flush();
    t(2).flush();
    await settle();
    expect(rec(1).deliveries).toEqual([]);
    expect(rec(2).deliveries).toEqual([]);

    hub.heal();
    hub.setDirectedLink(1, 2, false);
    t(1).send(2, [envelope(1, 2, 2)]);
    t(2).send(1, [envelope(2, 2, 1)]);
    t(1).flush();
    t(2).flush();
    await settle();
    expect(rec(2).deliveries).toEqual([]);
    expect(rec(1).indexesFrom(2)).toEqual([2]);

    hub.heal();
    t(1).send(2, [envelope(1, 3, 2)]);
    t(1).flush();
    await settle();
    expect(rec(2).indexesFrom(1)).toEqual([3]);
    expect(hub.stats().find((s) => s.from === 1 && s.to === 2)!.droppedEnvelopes).toBe(2);
  });

  it('a cut placed after the flush still drops what is in flight', async () => {
    const { hub, rec, t } = cluster([1, 2]);
    t(1).send(2, [envelope(1, 1, 2)]);
    t(1).flush();
    hub.setLink(1, 2, false);
    await settle();
    expect(rec(2).deliveries).toEqual([]);
  });

  it('partitions: only links across groups are cut', async () => {
    const { hub, rec, t } = cluster([1, 2, 3, 4, 5]);
    hub.partition([1, 2], [3, 4, 5]);
    for (const from of [1, 2, 3, 4, 5]) {
      for (const to of [1, 2, 3, 4, 5]) if (from !== to) t(from).send(to, [envelope(from, 1, to)]);
      t(from).flush();
    }
    await settle();
    const heardBy = (id: number) => [...new Set(rec(id).deliveries.map((d) => d.from))].sort();
    expect(heardBy(1)).toEqual([2]);
    expect(heardBy(2)).toEqual([1]);
    expect(heardBy(3)).toEqual([4, 5]);
    expect(heardBy(5)).toEqual([3, 4]);
  });

  it('isolate cuts one store off from the others', async () => {
    const { hub, rec, t } = cluster([1, 2, 3]);
    hub.isolate(3, [1, 2]);
    t(1).send(3, [envelope(1, 1, 3)]);
    t(1).send(2, [envelope(1, 1, 2)]);
    t(1).flush();
    await settle();
    expect(rec(3).deliveries).toEqual([]);
    expect(rec(2).indexesFrom(1)).toEqual([1]);
  });

  it('a held link delays its batches, in order, until released', async () => {
    const { hub, rec, t } = cluster([1, 2]);
    hub.hold(1, 2);
    for (let i = 1; i <= 3; i++) {
      t(1).send(2, [envelope(1, i, 2)]);
      t(1).flush();
    }
    await settle();
    expect(rec(2).deliveries).toEqual([]);
    expect(hub.quiet).toBe(true); // held batches do not count as pending
    hub.release(1, 2);
    await settle();
    expect(rec(2).deliveries.map((d) => d.indexes)).toEqual([[1], [2], [3]]);
  });

  it('a filter drops single envelopes', async () => {
    const { hub, rec, t } = cluster([1, 2]);
    hub.setFilter((_from, _to, e) => Number(e.message?.index) % 2 === 0);
    t(1).send(
      2,
      range(1, 10).map((i) => envelope(1, i, 2)),
    );
    t(1).flush();
    await settle();
    expect(rec(2).indexesFrom(1)).toEqual([2, 4, 6, 8, 10]);
  });

  it('a crashed (unregistered) or closed store receives nothing', async () => {
    const { hub, rec, t } = cluster([1, 2, 3]);
    hub.unregister(2);
    t(1).send(2, [envelope(1, 1, 2)]);
    t(1).flush();
    await t(3).close();
    t(1).send(3, [envelope(1, 1, 3)]);
    t(1).flush();
    expect(t(3).send(1, [envelope(3, 1, 1)])).toBe(false);
    await settle();
    expect(rec(2).deliveries).toEqual([]);
    expect(rec(3).deliveries).toEqual([]);
    expect(rec(1).deliveries).toEqual([]);
  });

  it('a restarted store starts with empty queues; flushed batches may still arrive', async () => {
    const { hub, rec, t } = cluster([1, 2]);
    hub.hold(1, 2);
    t(1).send(2, [envelope(1, 1, 2)]);
    t(1).flush(); // on the wire
    t(1).send(2, [envelope(1, 2, 2)]); // queued only: lost with the process
    const again = hub.transport(1);
    again.send(2, [envelope(1, 3, 2)]);
    again.flush();
    hub.release(1, 2);
    await settle();
    expect(rec(2).indexesFrom(1)).toEqual([1, 3]);
  });

  it('order per pair holds under a schedule that reorders deliveries across links', async () => {
    // A scripted "network": deliveries run in an order chosen by a seeded generator.
    const pending: (() => void)[] = [];
    const schedule: Schedule = (fn) => {
      pending.push(fn);
    };
    let seed = 42;
    const runAll = () => {
      while (pending.length > 0) {
        seed = (seed * 48271) % 2147483647;
        const [fn] = pending.splice(seed % pending.length, 1);
        fn!();
      }
    };
    const run = () => {
      const { rec, t } = cluster([1, 2, 3], new MemoryTransportHub({ schedule, window: 4 }));
      for (let i = 1; i <= 200; i++) {
        t(1).send(2, [envelope(1, i, 2)]);
        t(3).send(2, [envelope(3, 1000 + i, 2)]);
        if (i % 10 === 0) {
          t(1).flush();
          t(3).flush();
          if (i % 30 === 0) runAll();
        }
      }
      runAll();
      return rec(2).deliveries;
    };
    const first = run();
    seed = 42;
    const second = run();
    expect(first.filter((d) => d.from === 1).flatMap((d) => d.indexes)).toEqual(range(1, 200));
    expect(first.filter((d) => d.from === 3).flatMap((d) => d.indexes)).toEqual(range(1001, 200));
    // Same seed, same schedule: the same interleaving across links.
    expect(second).toEqual(first);
  });

  it('snapshots reach the store; unreachable stores and refusals fail typed', async () => {
    const { hub, rec, t } = cluster([1, 2]);
    async function* chunks() {
      yield new Uint8Array(1000);
      yield new Uint8Array(500);
    }
    await t(1).sendSnapshot(2, envelope(1, 9, 2), chunks());
    expect(rec(2).snapshots.map((s) => s.bytes)).toEqual([1500]);

    rec(2).snapshotReader = async () => {
      throw new Error('no space');
    };
    await expect(t(1).sendSnapshot(2, envelope(1, 9, 2), chunks())).rejects.toMatchObject({
      code: StoreErrorCode.SnapshotRefused,
    });
    rec(2).snapshotReader = async () => {
      throw new StoreError(StoreErrorCode.SnapshotChecksum, 'bad');
    };
    await expect(t(1).sendSnapshot(2, envelope(1, 9, 2), chunks())).rejects.toMatchObject({
      code: StoreErrorCode.SnapshotChecksum,
    });

    hub.setLink(1, 2, false);
    await expect(t(1).sendSnapshot(2, envelope(1, 9, 2), chunks())).rejects.toMatchObject({
      code: StoreErrorCode.StoreUnreachable,
    });
  });
});
