/** The Admin gRPC service: split, transfer leadership and refuse bad requests, over the wire. */

import type { atoll } from '@atoll/proto';
import { adminService } from '@atoll/proto/grpc';
import { type RunningStore, startStoreServer } from '@atoll/store/server';
import { regionOn } from '@atoll/store/testing';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait.js';

const AdminClient = grpc.makeGenericClientConstructor(adminService, 'Admin');

function call<Req, Res>(
  client: grpc.Client,
  method: keyof typeof adminService,
  req: Req,
): Promise<Res> {
  const def = adminService[method];
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      def.path,
      def.requestSerialize as (r: Req) => Buffer,
      def.responseDeserialize as (b: Buffer) => Res,
      req,
      (e, r) => (e ? reject(e) : resolve(r!)),
    ),
  );
}

describe('Admin service over gRPC', () => {
  const running: RunningStore[] = [];
  const addresses = new Map<number, string>();
  afterAll(async () => {
    for (const s of running) await s.stop(false);
  });

  it('splits a region, transfers its leadership, and refuses bad requests with typed errors', async () => {
    const region = regionOn(1, [1, 2, 3]);
    for (const id of [1, 2, 3]) {
      const s = await startStoreServer({
        storeId: id,
        clusterId: 1,
        dataDir: 'memory:',
        listen: '127.0.0.1:0',
        resolveStore: async (x) => addresses.get(x)!,
        bootstrapRegions: [region],
        config: { tickMs: 20 },
      });
      running.push(s);
      addresses.set(id, `127.0.0.1:${s.port}`);
    }
    const leaderOf = (regionId: number) =>
      running.find((s) => s.store.peers.get(regionId)?.isLeader);
    await waitFor(() => leaderOf(1) !== undefined, 10_000, 'a leader');
    const leader = leaderOf(1)!;
    const admin = new AdminClient(`127.0.0.1:${leader.port}`, grpc.credentials.createInsecure());
    try {
      const split = await call<atoll.admin.ISplitRegionRequest, atoll.admin.AdminResponse>(
        admin,
        'splitRegion',
        {
          regionId: 1,
          epoch: { confVer: 1, version: 1 },
          splitKey: Buffer.from('m'),
          newRegionId: 2,
          newPeerIds: [201, 202, 203],
        },
      );
      expect(split.error ?? null).toBeNull();
      expect(split.regionError ?? null).toBeNull();
      await waitFor(
        () => running.every((s) => s.store.peers.has(2)) && leaderOf(2) !== undefined,
        10_000,
        'region 2 everywhere',
      );

      const status = await call<atoll.admin.IStatusRequest, atoll.admin.StatusResponse>(
        admin,
        'status',
        {},
      );
      expect(status.regions.map((r) => Number(r.region?.id)).sort()).toEqual([1, 2]);

      const stale = await call<atoll.admin.ISplitRegionRequest, atoll.admin.AdminResponse>(
        admin,
        'splitRegion',
        {
          regionId: 1,
          epoch: { confVer: 1, version: 1 },
          splitKey: Buffer.from('f'),
          newRegionId: 3,
          newPeerIds: [301, 302, 303],
        },
      );
      expect(stale.regionError?.epochNotMatch).toBeTruthy();

      const badKey = await call<atoll.admin.ISplitRegionRequest, atoll.admin.AdminResponse>(
        admin,
        'splitRegion',
        {
          regionId: 1,
          epoch: { confVer: 1, version: 2 },
          splitKey: Buffer.from('z'),
          newRegionId: 3,
          newPeerIds: [301, 302, 303],
        },
      );
      expect(badKey.error?.code).toBe('STORE_ERR_INVALID_ADMIN');

      const target = leader.store.peers
        .get(1)!
        .region.peers.find((p) => p.storeId !== leader.store.storeId)!;
      const moved = await call<atoll.admin.ITransferLeaderRequest, atoll.admin.AdminResponse>(
        admin,
        'transferLeader',
        {
          regionId: 1,
          epoch: { confVer: 1, version: 2 },
          toPeerId: target.id,
        },
      );
      expect(moved.regionError ?? null).toBeNull();
      await waitFor(
        () => leaderOf(1)?.store.storeId === target.storeId,
        10_000,
        'leadership to move',
      );
    } finally {
      admin.close();
    }
  });
});
