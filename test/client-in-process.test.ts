/**
 * The client against an in-process cluster (deterministic): routing across regions, splits
 * and leader changes while reading and writing, scans that page across regions, typed errors.
 */

import { type AtollClient, createClient, isAtollError } from '@atoll/client';
import { regionOn, StoreCluster } from '@atoll/store/testing';
import { describe, expect, it } from 'vitest';
import {
  drive,
  inProcessLocator,
  inProcessSender,
  virtualClientEnv,
} from './helpers/in-process-ports.js';

async function cluster(
  seed: number,
  regions = [
    regionOn(1, [1, 2, 3], '', 'g'),
    regionOn(2, [1, 2, 3], 'g', 'p'),
    regionOn(3, [1, 2, 3], 'p', ''),
  ],
) {
  const c = await StoreCluster.create({ stores: 3, regions, seed });
  await c.tickUntil(() => regions.every((r) => c.leaderOf(r.id)), 300, 'leaders');
  const client = createClient({
    locator: inProcessLocator(c),
    sender: inProcessSender(c),
    env: virtualClientEnv(c, seed),
    timeoutMs: 20_000,
  });
  return { c, client };
}

const text = (b: Buffer | undefined) => b?.toString();

describe('client: raw API over an in-process cluster', () => {
  it('puts, gets, batch-gets and deletes across regions', async () => {
    const { c, client } = await cluster(1);
    await drive(c, client.put('apple', '1'));
    await drive(
      c,
      client.batchPut([
        ['kiwi', '2'],
        ['zucchini', '3'],
        ['banana', '4'],
      ]),
    );
    expect(text(await drive(c, client.get('apple')))).toBe('1');
    const got = await drive(c, client.batchGet(['zucchini', 'nope', 'kiwi', 'banana']));
    expect(got.map(text)).toEqual(['3', undefined, '2', '4']);
    await drive(c, client.delete('kiwi'));
    expect(await drive(c, client.get('kiwi'))).toBeUndefined();
  });

  it('scans forward and backward across regions, with limits, and pages with the iterator', async () => {
    const { c, client } = await cluster(2);
    const keys = Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i));
    await drive(c, client.batchPut(keys.map((k) => [k, k.toUpperCase()] as const)));
    const all = await drive(c, client.scan());
    expect(all.map((kv) => kv.key.toString())).toEqual(keys);
    const mid = await drive(c, client.scan({ start: 'e', end: 'r', limit: 100 }));
    expect(mid.map((kv) => kv.key.toString())).toEqual(keys.slice(4, 17));
    const rev = await drive(c, client.scan({ start: 'c', end: 'x', reverse: true, limit: 10 }));
    expect(rev.map((kv) => kv.key.toString())).toEqual(keys.slice(13, 23).reverse());
    const keyOnly = await drive(c, client.scan({ start: 'a', end: 'c', keyOnly: true }));
    expect(keyOnly.map((kv) => kv.value.length)).toEqual([0, 0]);
    const seen: string[] = [];
    await drive(
      c,
      (async () => {
        for await (const kv of client.scanIterator({ start: 'b' })) seen.push(kv.key.toString());
      })(),
    );
    expect(seen).toEqual(keys.slice(1));
    await drive(c, client.deleteRange('f', 'q'));
    const left = await drive(c, client.scan());
    expect(left.map((kv) => kv.key.toString())).toEqual([...keys.slice(0, 5), ...keys.slice(16)]);
  });

  it('compare-and-swap', async () => {
    const { c, client } = await cluster(3);
    expect(await drive(c, client.compareAndSwap('lock', null, 'me'))).toEqual({
      succeeded: true,
      previous: undefined,
    });
    const again = await drive(c, client.compareAndSwap('lock', null, 'you'));
    expect(again.succeeded).toBe(false);
    expect(text(again.previous)).toBe('me');
    expect((await drive(c, client.compareAndSwap('lock', 'me', 'you'))).succeeded).toBe(true);
    expect(text(await drive(c, client.get('lock')))).toBe('you');
  });

  it('follows splits and leader transfers while reading and writing', async () => {
    const { c, client } = await cluster(4, [regionOn(1, [1, 2, 3])]);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) writes.push(client.put(`k${String(i).padStart(2, '0')}`, `v${i}`));
    // Split the only region, then move its leader, with writes in flight.
    const leader = c.leaderStore(1)!;
    const peer = leader.store.peers.get(1)!;
    const split = leader.store.proposeSplit(
      { regionId: 1, epoch: peer.region.epoch },
      Buffer.from('k15'),
      2,
      [201, 202, 203],
    );
    await drive(c, Promise.all([split, ...writes]));
    await c.tickUntil(() => c.leaderOf(2) !== undefined, 300, 'leader of region 2');
    const l1 = c.leaderStore(1)!;
    const target = l1.store.peers.get(1)!.region.peers.find((p) => p.storeId !== l1.id)!;
    l1.store.transferLeader({ regionId: 1, epoch: l1.store.peers.get(1)!.region.epoch }, target.id);
    for (let i = 30; i < 40; i++) await drive(c, client.put(`k${i}`, `v${i}`));
    const all = await drive(c, client.scan());
    expect(all.length).toBe(40);
    for (let i = 0; i < 30; i++)
      expect(text(await drive(c, client.get(`k${String(i).padStart(2, '0')}`)))).toBe(`v${i}`);
  });

  it('rejects bad input with typed errors and sends nothing', async () => {
    const { client } = await cluster(5);
    await expect(client.get('')).rejects.toMatchObject({ code: 'CLIENT_ERR_INVALID_ARGUMENT' });
    await expect(client.put(42 as unknown as string, 'v')).rejects.toMatchObject({
      code: 'CLIENT_ERR_INVALID_ARGUMENT',
    });
    await expect(client.scan({ start: 'z', end: 'a' })).rejects.toMatchObject({
      code: 'CLIENT_ERR_INVALID_ARGUMENT',
    });
    await expect(client.scan({ limit: 0 })).rejects.toMatchObject({
      code: 'CLIENT_ERR_INVALID_ARGUMENT',
    });
    await expect(client.deleteRange('b', 'a')).rejects.toMatchObject({
      code: 'CLIENT_ERR_INVALID_ARGUMENT',
    });
  });

  it('passes store errors through with their codes', async () => {
    const { c, client } = await cluster(6);
    const err = await drive(
      c,
      client.put('k', Buffer.alloc(1024 * 1024 + 1)).catch((e: unknown) => e),
    );
    expect(isAtollError(err, 'STORE_ERR_VALUE_TOO_LARGE')).toBe(true);
  });

  it('fails with CLIENT_ERR_CLOSED after close()', async () => {
    const { client } = await cluster(7);
    await client.close();
    await expect(client.get('a')).rejects.toMatchObject({ code: 'CLIENT_ERR_CLOSED' });
  });
});

export type { AtollClient };
