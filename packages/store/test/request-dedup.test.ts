/**
 * Retried writes are applied once: a write carrying a request id the region already applied
 * is answered from its record, across leader changes, restarts, splits and snapshots, until
 * the record expires (request-table.ts). In-process clusters, seeded.
 */

import type { atoll } from '@atoll/proto';
import { describe, expect, it } from 'vitest';
import { REQUEST_TTL_MS } from '../src/request-table.js';
import { key, regionOn, StoreCluster } from '../src/testing/index.js';

const id = (s: string) => new TextEncoder().encode(s);

function putWithId(c: StoreCluster, k: string, v: string, requestId: string) {
  return c.request(key(k), (context) => ({
    put: { context: { ...context, requestId: id(requestId) }, key: key(k), value: key(v) },
  }));
}

function casWithId(
  c: StoreCluster,
  k: string,
  previous: string,
  v: string,
  requestId: string,
): Promise<atoll.kv.IKvResponse> {
  return c.request(key(k), (context) => ({
    cas: {
      context: { ...context, requestId: id(requestId) },
      key: key(k),
      value: key(v),
      previousValue: key(previous),
    },
  }));
}

async function cluster(stores: number, seed: number) {
  const c = await StoreCluster.create({ stores, regions: [regionOn(1, [1, 2, 3])], seed });
  await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
  // Give the stores' clocks a start (the virtual clock begins at 0: "no time").
  for (const s of c.stores.values()) s.env.jump(1_000_000);
  return c;
}

describe('request de-duplication', () => {
  it('a retried put is applied once; a retried compare-and-swap gets its first answer', async () => {
    const c = await cluster(3, 21);
    expect((await putWithId(c, 'k', 'first', 'req-1')).error ?? null).toBeNull();
    await putWithId(c, 'k', 'second', 'req-2');
    // The answer to req-1 was "lost"; the client retries it after req-2 landed.
    const retry = await putWithId(c, 'k', 'first', 'req-1');
    expect(retry.error ?? null).toBeNull();
    expect(await c.get('k')).toBe('second');

    const cas = await casWithId(c, 'k', 'second', 'third', 'req-3');
    expect(cas.cas?.succeeded).toBe(true);
    // Applied again, this CAS would fail (the value is no longer "second").
    const casRetry = await casWithId(c, 'k', 'second', 'third', 'req-3');
    expect(casRetry.cas?.succeeded).toBe(true);
    expect(new TextDecoder().decode(casRetry.cas?.previousValue ?? new Uint8Array())).toBe(
      'second',
    );
    // Writes without an id, or with a new one, apply as usual.
    await putWithId(c, 'k', 'fourth', 'req-4');
    expect(await c.get('k')).toBe('fourth');
    // Every replica holds the same records.
    for (const s of [1, 2, 3]) expect(c.node(s).store.peers.get(1)!.requests.size).toBe(4);
  });

  it('records survive a leader crash and a restart of the store that applied them', async () => {
    const c = await cluster(3, 22);
    await putWithId(c, 'k', 'first', 'req-1');
    const old = c.leaderStore(1)!.id;
    await c.crash(old);
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 300, 'a new leader');
    await putWithId(c, 'k', 'second', 'req-2');
    await putWithId(c, 'k', 'first', 'req-1');
    expect(await c.get('k')).toBe('second');

    // The old leader comes back with its table read from storage, and leads again.
    await c.restart(old);
    await c.tickUntil(() => c.dataOf(old).includes('k=second'), 300, 'the restarted store');
    const leader = c.leaderStore(1)!;
    const peer = leader.store.peers.get(1)!;
    leader.store.transferLeader({ regionId: 1, epoch: peer.region.epoch }, 100 + old);
    await c.tickUntil(() => c.leaderStore(1)?.id === old, 300, 'leadership back on the old store');
    await putWithId(c, 'k', 'first', 'req-1');
    expect(await c.get('k')).toBe('second');
  });

  it('a split copies the records to the new region, where retries may now be routed', async () => {
    const c = await cluster(3, 23);
    await putWithId(c, 'key-030', 'first', 'req-1');
    const leader = c.leaderStore(1)!;
    const split = await leader.store.proposeSplit(
      { regionId: 1, epoch: leader.store.peers.get(1)!.region.epoch },
      key('key-020'),
      2,
      [201, 202, 203],
    );
    expect(split.ok).toBe(true);
    await c.tickUntil(() => c.leaderOf(2) !== undefined, 300, 'a leader for the new region');
    await putWithId(c, 'key-030', 'second', 'req-2');
    // The retry of req-1 now goes to region 2, which never applied it itself.
    await putWithId(c, 'key-030', 'first', 'req-1');
    expect(await c.get('key-030')).toBe('second');
    // The copy is durable: a restarted replica of region 2 still has it.
    const follower = [1, 2, 3].find((s) => s !== c.leaderStore(2)!.id)!;
    await c.crash(follower);
    await c.restart(follower);
    expect(c.node(follower).store.peers.get(2)!.requests.lookup(id('req-1'))).toBeDefined();
  });

  it('a snapshot carries the records to a new replica', async () => {
    const c = await cluster(4, 24);
    await putWithId(c, 'k', 'first', 'req-1');
    const added = await c.addLearner(1, 104, 4);
    expect(added.ok).toBe(true);
    await c.tickUntil(() => c.dataOf(4).includes('k=first'), 300, 'the learner to catch up');
    expect(c.node(4).store.peers.get(1)!.requests.lookup(id('req-1'))).toBeDefined();
    await c.crash(4);
    await c.restart(4);
    expect(c.node(4).store.peers.get(1)!.requests.lookup(id('req-1'))).toBeDefined();
  });

  it('records expire once the region clock passes the TTL, alike on every replica', async () => {
    const c = await cluster(3, 25);
    await putWithId(c, 'k', 'first', 'req-1');
    await putWithId(c, 'k', 'second', 'req-2');
    for (const s of c.stores.values()) s.env.jump(REQUEST_TTL_MS + 1);
    // A later write moves the region clock; the old records go.
    await putWithId(c, 'other', 'x', 'req-3');
    await c.tick(5);
    for (const s of [1, 2, 3]) expect(c.node(s).store.peers.get(1)!.requests.size).toBe(1);
    // A retry this late is a new write (the client stops retrying long before).
    await putWithId(c, 'k', 'first', 'req-1');
    expect(await c.get('k')).toBe('first');
  });

  it('a leader with a clock far ahead expires older records early, alike on every replica', async () => {
    const c = await cluster(3, 26);
    await putWithId(c, 'k', 'first', 'req-1');
    c.leaderStore(1)!.env.jump(10 * REQUEST_TTL_MS);
    await putWithId(c, 'k', 'second', 'req-2');
    await c.tick(5);
    // The record it stamped itself still answers retries.
    await putWithId(c, 'k', 'second-retry', 'req-2');
    expect(await c.get('k')).toBe('second');
    for (const s of [1, 2, 3]) {
      const table = c.node(s).store.peers.get(1)!.requests;
      expect(table.lookup(id('req-1'))).toBeUndefined();
      expect(table.lookup(id('req-2'))).toBeDefined();
    }
  });

  it('refuses an oversized request id', async () => {
    const c = await cluster(3, 27);
    const resp = await c.request(key('k'), (context) => ({
      put: {
        context: { ...context, requestId: new Uint8Array(65) },
        key: key('k'),
        value: key('v'),
      },
    }));
    expect(resp.error?.code).toBe('STORE_ERR_MALFORMED_REQUEST');
    expect(resp.error?.message).toMatch(/request id is 65 bytes/);
  });
});
