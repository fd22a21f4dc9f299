/**
 * Stores with a write-ahead log (store-wal.ts): batches are acknowledged once logged and
 * committed to the engine without waiting for its disk. A power loss that takes from every
 * engine what it had not flushed loses no acknowledged write: reopening the log replays it.
 * In-process stores on the in-memory engine (which can simulate the power loss), logs in a
 * temporary folder.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MemoryStorageEngine, openMemoryEngine } from '@atoll/storage';
import { CrashableDisk } from '@atoll/storage/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineStoreStorage } from '../src/engine-storage.js';
import { nodeAfter } from '../src/env/node-env.js';
import { LOGGED_PIPELINE_DEPTH } from '../src/store-loop.js';
import { ENGINE_HOLD_BATCHES_MAX, ENGINE_HOLD_MS, StoreWal } from '../src/store-wal.js';
import { key, regionOn, StoreCluster } from '../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'atoll-store-wal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('stores with a write-ahead log', () => {
  it('logged batches reach the engine in order: after a short hold, when asked, or by replay after close', async () => {
    const engine = openMemoryEngine();
    const hold = { ms: ENGINE_HOLD_MS, after: nodeAfter };
    const { wal } = await StoreWal.open(join(root, 'hold'), engine, {}, hold);
    const storage = new EngineStoreStorage(engine, wal);
    const put = (k: string, v: string) => {
      const b = storage.newBatch();
      b.put(key(k), key(v));
      return b.commitParts();
    };
    const value = (k: string) => {
      const v = engine.get(key(k));
      return v === undefined ? undefined : new TextDecoder().decode(v);
    };
    const order: string[] = [];
    const first = put('a', '1');
    const second = put('a', '2');
    first.visible.then(() => order.push('first'));
    second.visible.then(() => order.push('second'));
    await Promise.all([first.durable, second.durable, second.visible]);
    expect(order).toEqual(['first', 'second']);
    expect(value('a')).toBe('2');

    // Asked: a reader needs them now.
    const asked = put('b', '1');
    storage.commitHeld();
    await asked.visible;
    expect(value('b')).toBe('1');

    // A full hold goes at once; what close() leaves held, the log gives back on reopening.
    const many = Array.from({ length: ENGINE_HOLD_BATCHES_MAX + 1 }, (_, i) => put(`m${i}`, 'x'));
    await Promise.all(many.map((c) => c.visible));
    const last = put('z', 'last');
    await last.durable;
    await wal.close();
    const reopened = await StoreWal.open(join(root, 'hold'), engine);
    expect(value('z')).toBe('last');
    expect(value(`m${ENGINE_HOLD_BATCHES_MAX}`)).toBe('x');
    await reopened.wal.close();
  });

  it('batches held past the byte bound go to the engine without being asked', async () => {
    const engine = openMemoryEngine();
    const hold = { ms: ENGINE_HOLD_MS, after: () => () => {}, bytesMax: 4096 };
    const { wal } = await StoreWal.open(join(root, 'bytes'), engine, {}, hold);
    const storage = new EngineStoreStorage(engine, wal);
    const put = (k: string, bytes: number) => {
      const b = storage.newBatch();
      b.put(key(k), new Uint8Array(bytes));
      return b.commitParts();
    };
    const small = put('small', 100);
    await small.durable;
    expect(engine.get(key('small'))).toBeUndefined();
    // The timer never fires: only the bound can hand both over.
    const large = put('large', 5000);
    await Promise.all([small.visible, large.visible]);
    expect(engine.get(key('large'))?.length).toBe(5000);
    await wal.close();
  });

  it('acknowledged writes survive a power loss of every store: the logs give back what the engines lost', async () => {
    const ids = [1, 2, 3];
    // The logs on in-memory disks: their I/O takes no real time, as the stores' clocks do not.
    const disks = new Map<number, CrashableDisk>(ids.map((id) => [id, new CrashableDisk()]));
    const logOptions = (id: number) => ({ files: disks.get(id)!.mount(), segmentBytes: 1 << 20 });
    const engines = new Map<number, MemoryStorageEngine>(ids.map((id) => [id, openMemoryEngine()]));
    const wals = new Map<number, StoreWal>();
    const storages = new Map<number, EngineStoreStorage>();
    for (const id of ids) {
      const { wal } = await StoreWal.open(`store-${id}`, engines.get(id)!, logOptions(id));
      wals.set(id, wal);
      storages.set(id, new EngineStoreStorage(engines.get(id)!, wal));
    }
    const c = await StoreCluster.create({
      stores: 3,
      regions: [regionOn(1, ids)],
      seed: 31,
      storage: (id) => storages.get(id)!,
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 300, 'a leader');
    const written = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const resp = await c.put(`k${i}`, `v${i}`);
      expect(resp.error ?? null).toBeNull();
      written.set(`k${i}`, `v${i}`);
    }
    // Followers apply the last write once they learn it committed: wait, so that every
    // engine has it to lose.
    await c.tickUntil(
      () => ids.every((id) => engines.get(id)!.get(key('k39')) !== undefined),
      300,
      'every store to apply the last write',
    );

    for (const id of ids) await c.crash(id);
    for (const id of ids) {
      const engine = engines.get(id)!;
      // Lost: what the engine had not flushed (batches still held for it were lost with the
      // store's memory).
      await engine.simulatePowerLoss();
      // The engine alone lost acknowledged writes...
      expect(engine.get(key('k39'))).toBeUndefined();
      await wals.get(id)!.close();
      const { wal, recovery } = await StoreWal.open(`store-${id}`, engine, logOptions(id));
      // ...which its log gives back.
      expect(recovery.replayed).toBeGreaterThan(0);
      expect(engine.get(key('k39'))).toBeDefined();
      await c.restart(id, new EngineStoreStorage(engine, wal));
    }

    await c.tickUntil(() => c.leaderOf(1) !== undefined, 300, 'a leader after the restart');
    for (const [k, v] of written) expect(await c.get(k), k).toBe(v);
    await c.put('after', 'restart');
    expect(await c.get('after')).toBe('restart');
    await c.tickUntil(
      () => ids.every((id) => c.dataOf(id).join() === c.dataOf(1).join()),
      300,
      'replicas to converge',
    );
    expect(c.dataOf(1).length).toBe(written.size + 1);
  });

  it('writes go on while the engines hold every batch: applying reads the writes in flight, a read hands them over', async () => {
    const c = await StoreCluster.create({
      stores: 3,
      regions: [regionOn(1, [1, 2, 3])],
      seed: 7,
      wal: true,
      hold: 'forever',
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 300, 'a leader');
    const inEngine = (id: number, k: string) => {
      const v = c.node(id).storage.engine.get(key(k));
      return v === undefined ? undefined : new TextDecoder().decode(v);
    };
    // Each write is a few batches on every store, all durable and none shown by the
    // engine: far more than the pipeline's slots for batches not yet durable.
    const writes = 2 * LOGGED_PIPELINE_DEPTH;
    for (let i = 0; i < writes; i++) {
      const resp = await c.put(`k${i}`, `v${i}`);
      expect(resp.error ?? null).toBeNull();
    }
    for (const id of [1, 2, 3]) expect(inEngine(id, 'k0'), `store ${id}`).toBeUndefined();

    // A compare-and-swap reads what an earlier batch wrote, still held on every store.
    const cas = await c.request(key('k3'), (context) => ({
      cas: { context, key: key('k3'), value: key('swapped'), previousValue: key('v3') },
    }));
    expect(cas.error ?? null).toBeNull();
    expect(cas.cas?.succeeded).toBe(true);

    // A read hands the leader's held batches to its engine and sees the latest value.
    expect(await c.get('k3')).toBe('swapped');
    const leader = c.leaderStore(1)!.id;
    expect(inEngine(leader, 'k0')).toBe('v0');
    expect(inEngine(leader, 'k3')).toBe('swapped');
  });
});
