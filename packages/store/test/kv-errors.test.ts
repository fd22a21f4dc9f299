/** Every typed error of the KV service, and that invalid requests change nothing. */

import type { atoll } from '@atoll/proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_BYTES_MAX, VALUE_BYTES_MAX } from '../src/limits.js';
import { key, regionOn, StoreCluster } from '../src/testing/index.js';

describe('KV service errors', () => {
  let c: StoreCluster;
  let ctx: atoll.kv.IContext;
  let leaderId: number;

  beforeAll(async () => {
    c = await StoreCluster.create({
      stores: 3,
      regions: [regionOn(1, [1, 2, 3], '', 'm'), regionOn(2, [1, 2, 3], 'm', '')],
      seed: 4,
    });
    await c.tickUntil(
      () => c.leaderOf(1) !== undefined && c.leaderOf(2) !== undefined,
      300,
      'leaders',
    );
    leaderId = c.leaderStore(1)!.id;
    ctx = { regionId: 1, epoch: { confVer: 1, version: 1 } };
    await c.put('a', 'original');
  });

  async function send(req: atoll.kv.IKvRequest, store = leaderId): Promise<atoll.kv.IKvResponse> {
    const pending = c.node(store).kv.handle({ id: 42, ...req });
    let resp: atoll.kv.IKvResponse | undefined;
    void pending.then((r) => {
      resp = r;
    });
    await c.tickUntil(() => resp !== undefined, 100, 'a response');
    expect(resp!.id).toBe(42);
    return resp!;
  }

  const code = (r: atoll.kv.IKvResponse) => r.error?.code;

  it.each([
    [
      'an empty key',
      { put: { context: undefined as unknown, key: new Uint8Array(), value: key('v') } },
      'STORE_ERR_EMPTY_KEY',
    ],
    [
      'a key over the limit',
      { put: { key: new Uint8Array(KEY_BYTES_MAX + 1).fill(97), value: key('v') } },
      'STORE_ERR_KEY_TOO_LARGE',
    ],
    [
      'a value over the limit',
      { put: { key: key('b'), value: new Uint8Array(VALUE_BYTES_MAX + 1) } },
      'STORE_ERR_VALUE_TOO_LARGE',
    ],
    ['an empty batch put', { batchPut: { pairs: [] } }, 'STORE_ERR_MALFORMED_REQUEST'],
    [
      'a range that starts after it ends',
      { deleteRange: { startKey: key('z'), endKey: key('a') } },
      'STORE_ERR_INVALID_RANGE',
    ],
    [
      'a scan without a limit',
      { scan: { startKey: key('a'), endKey: key('b') } },
      'STORE_ERR_MALFORMED_REQUEST',
    ],
    ['an empty get key', { get: { key: new Uint8Array() } }, 'STORE_ERR_EMPTY_KEY'],
  ])('%s gets %s', async (_, body, expected) => {
    const [op, args] = Object.entries(body)[0]!;
    const resp = await send({ [op]: { ...(args as object), context: ctx } });
    expect(code(resp)).toBe(expected);
    expect(resp.error?.message).toBeTruthy();
  });

  it('a request without a region context is malformed', async () => {
    expect(code(await send({ get: { key: key('a') } }))).toBe('STORE_ERR_MALFORMED_REQUEST');
  });

  it('a request naming no operation is malformed', async () => {
    expect(code(await send({}))).toBe('STORE_ERR_MALFORMED_REQUEST');
  });

  it('an unknown region gets RegionNotFound', async () => {
    const resp = await send({
      get: { context: { regionId: 99, epoch: { confVer: 1, version: 1 } }, key: key('a') },
    });
    expect(resp.regionError?.regionNotFound?.regionId).toBe(99);
  });

  it('a stale epoch gets EpochNotMatch with the current region', async () => {
    const resp = await send({
      get: { context: { regionId: 1, epoch: { confVer: 1, version: 0 } }, key: key('a') },
    });
    expect(resp.regionError?.epochNotMatch?.currentRegions?.[0]?.id).toBe(1);
  });

  it('a follower answers NotLeader with the leader', async () => {
    const follower = [1, 2, 3].find((s) => s !== leaderId)!;
    const resp = await send({ put: { context: ctx, key: key('a'), value: key('x') } }, follower);
    expect(resp.regionError?.notLeader?.leader?.storeId).toBe(leaderId);
  });

  it('a key outside the region gets KeyNotInRegion', async () => {
    const resp = await send({ put: { context: ctx, key: key('q'), value: key('x') } });
    expect(resp.regionError?.keyNotInRegion?.regionId).toBe(1);
    const read = await send({ get: { context: ctx, key: key('q') } });
    expect(read.regionError?.keyNotInRegion).toBeTruthy();
  });

  it('a write during a leadership transfer gets ProposalDropped and writes nothing', async () => {
    const leader = c.leaderStore(1)!;
    const peer = leader.store.peers.get(1)!;
    const target = peer.region.peers.find((p) => p.storeId !== leader.id)!;
    c.hub.isolate(target.storeId, [1, 2, 3]);
    expect(
      leader.store.transferLeader({ regionId: 1, epoch: peer.region.epoch }, target.id),
    ).toBeUndefined();
    const resp = await send(
      { put: { context: ctx, key: key('a'), value: key('dropped') } },
      leader.id,
    );
    expect(resp.regionError?.proposalDropped?.reason).toBe('leadership-transfer');
    c.hub.heal();
    await c.tick(30);
    expect(await c.get('a')).toBe('original');
  });

  it('invalid requests changed nothing', async () => {
    expect(await c.get('a')).toBe('original');
    expect(await c.get('b')).toBeUndefined();
  });
});
