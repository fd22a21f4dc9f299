/**
 * The PD client against in-process PD members (three startPdServer instances in memory on
 * loopback gRPC): leader discovery from any member, NOT_LEADER redirects after a leadership
 * transfer, TSO batching (N concurrent calls, one request), strictly increasing timestamps
 * across a leader change, every unary method, scheduling commands pushed on the heartbeat
 * stream, and the typed errors (cluster mismatch, unavailable, closed).
 */

import { PD_REGION_ID, type RunningPd } from '@atoll/pd/server';
import { isPdClientError, PdClient, type Timestamp } from '@atoll/pd-client';
import { atoll } from '@atoll/proto';
import { freePort } from '@atoll/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PdTestCluster, startPdCluster } from './helpers/pd-members.js';
import { waitFor } from './helpers/wait.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const after = (a: Timestamp, b: Timestamp) =>
  a.physical > b.physical || (a.physical === b.physical && a.logical > b.logical);

/** Moves the PD region's leadership from `from` to member `to`. */
function transferLeadership(from: RunningPd, to: number): void {
  const peer = from.store.peers.get(PD_REGION_ID)!;
  const refused = from.store.transferLeader(
    { regionId: PD_REGION_ID, epoch: peer.region.epoch },
    to,
  );
  expect(refused).toBeUndefined();
}

describe('PD client against in-process PD members', () => {
  let cluster: PdTestCluster;
  const clients: PdClient[] = [];
  const connect = async (
    endpoints: string[],
    extra: { clusterId?: number; timeoutMs?: number } = {},
  ) => {
    const c = await PdClient.connect({ endpoints, ...extra });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startPdCluster(3, { config: { maxStoreDownTimeMs: 60_000 } });
    await cluster.leader();
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await cluster.stopAll();
  });

  it('finds the leader from a follower and learns the cluster id', async () => {
    const leader = await cluster.leader();
    const follower = [...cluster.members.values()].find((m) => m !== leader)!;
    const client = await connect([cluster.addresses.get(follower.memberId)!]);
    expect(client.clusterId).toBe(leader.clusterId);
    expect(client.leaderAddress()).toBe(cluster.addresses.get(leader.memberId));
    expect(await client.isBootstrapped()).toBe(false);
  });

  it('followers answer NOT_LEADER naming the leader', async () => {
    const leader = await cluster.leader();
    const follower = [...cluster.members.values()].find((m) => m !== leader)!;
    const grpc = await import('@grpc/grpc-js');
    const { pdService } = await import('@atoll/proto/grpc');
    const Client = grpc.makeGenericClientConstructor(pdService, 'PD');
    const raw = new Client(
      cluster.addresses.get(follower.memberId)!,
      grpc.credentials.createInsecure(),
    ) as unknown as {
      allocId(
        req: atoll.pd.IAllocIdRequest,
        cb: (e: Error | null, r: atoll.pd.AllocIdResponse) => void,
      ): void;
      close(): void;
    };
    const response = await new Promise<atoll.pd.AllocIdResponse>((resolve, reject) =>
      raw.allocId({ header: { clusterId: leader.clusterId }, count: 1 }, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    raw.close();
    expect(response.header?.error?.code).toBe('PD_ERR_NOT_LEADER');
    expect(response.header?.error?.retryable).toBe(true);
    expect(Number(response.header?.leader?.id)).toBe(leader.memberId);
    expect(response.header?.leader?.clientAddress).toBe(cluster.addresses.get(leader.memberId));
  });

  it('batches concurrent getTimestamp() calls into one TSO request, strictly increasing', async () => {
    const leader = await cluster.leader();
    const client = await connect([...cluster.addresses.values()]);
    await client.getTimestamp(); // open the stream
    const before = client.stats().tso.requests;
    const served = async () => (await leader.metrics.tsoRequests.get()).values[0]?.value ?? 0;
    const servedBefore = await served();
    const n = 500;
    const all = await Promise.all(Array.from({ length: n }, () => client.getTimestamp()));
    expect(client.stats().tso.requests - before).toBe(1);
    expect((await served()) - servedBefore).toBe(1);
    for (let i = 1; i < n; i++) expect(after(all[i]!, all[i - 1]!)).toBe(true);
    // The batch is one contiguous range at one physical time.
    expect(all[n - 1]!.physical).toBe(all[0]!.physical);
    expect(all[n - 1]!.logical - all[0]!.logical).toBe(n - 1);
  });

  it('follows a leadership transfer (NOT_LEADER redirect) with timestamps still increasing', async () => {
    const client = await connect([...cluster.addresses.values()]);
    const old = await cluster.leader();
    const first = await client.getTimestamp();
    const id0 = await client.allocId();
    const target = [...cluster.members.keys()].find((id) => id !== old.memberId)!;
    transferLeadership(old, target);
    await waitFor(
      () => cluster.members.get(target)!.isServing(),
      15_000,
      `member ${target} serving`,
    );
    // The client still points at the old leader: its next calls are redirected.
    expect(client.leaderAddress()).toBe(cluster.addresses.get(old.memberId));
    const id1 = await client.allocId(5);
    expect(client.leaderAddress()).toBe(cluster.addresses.get(target));
    expect(id1).toBeGreaterThan(id0);
    const second = await client.getTimestamp();
    expect(after(second, first)).toBe(true);
  });

  it('bootstraps once, registers stores, and serves region lookups', async () => {
    const client = await connect([...cluster.addresses.values()]);
    const [storeId, regionId, peerId] = [
      await client.allocId(),
      await client.allocId(),
      await client.allocId(),
    ];
    const store = { id: storeId, address: '127.0.0.1:1', statusAddress: '', version: 'test' };
    const region: atoll.meta.IRegion = {
      id: regionId,
      startKey: new Uint8Array(),
      endKey: new Uint8Array(),
      epoch: { confVer: 1, version: 1 },
      peers: [{ id: peerId, storeId }],
    };
    await client.bootstrap(store, region);
    expect(await client.isBootstrapped()).toBe(true);
    const again = await client.bootstrap(store, region).catch((e: unknown) => e);
    expect(isPdClientError(again, 'PD_ERR_ALREADY_BOOTSTRAPPED')).toBe(true);

    const got = await client.getRegion(bytes('anything'));
    expect(Number(got.region.id)).toBe(regionId);
    expect(got.leader).toBeUndefined(); // no heartbeat yet
    expect(Number((await client.getPrevRegion(new Uint8Array())).region.id)).toBe(regionId);
    expect(Number((await client.getRegionById(regionId))?.region.id)).toBe(regionId);
    expect(await client.getRegionById(regionId + 1000)).toBeUndefined();
    expect(await client.scanRegions(new Uint8Array(), new Uint8Array(), 10)).toHaveLength(1);

    // A heartbeat from the region's leader makes the leader known.
    client.regionHeartbeat({
      region,
      leader: { id: peerId, storeId },
      approximateSize: 1024,
      approximateKeys: 10,
    });
    await waitFor(
      async () => (await client.getRegion(bytes('a'))).leader !== undefined,
      10_000,
      'the heartbeat applied',
    );
    expect(Number((await client.getRegion(bytes('a'))).leader?.id)).toBe(peerId);

    // Store registration and heartbeats.
    await client.storeHeartbeat({ storeId, capacity: 1e12, available: 9e11, regionCount: 1 });
    const one = await client.getStore(storeId);
    expect(one.store.address).toBe('127.0.0.1:1');
    expect(Number(one.stats?.capacity)).toBe(1e12);
    const missing = await client.getStore(987_654).catch((e: unknown) => e);
    expect(isPdClientError(missing, 'PD_ERR_STORE_NOT_FOUND')).toBe(true);
    const dup = await client
      .putStore({ id: storeId + 100, address: '127.0.0.1:1', version: 'test' })
      .catch((e: unknown) => e);
    expect(isPdClientError(dup, 'PD_ERR_DUPLICATE_ADDRESS')).toBe(true);

    const split = await client.askSplit(region);
    expect(split.newPeerIds).toHaveLength(1);
    expect(split.newRegionId).toBeGreaterThan(peerId);

    const sp = await client.updateGcSafePoint({ physical: 1_000, logical: 5 });
    expect(sp).toEqual({ physical: 1_000, logical: 5 });
    expect(await client.updateGcSafePoint({ physical: 10, logical: 0 })).toEqual(sp);
    expect(await client.getGcSafePoint()).toEqual(sp);
  });

  it('pushes scheduling commands on the heartbeat stream', async () => {
    const client = await connect([...cluster.addresses.values()]);
    const commands: atoll.pd.RegionHeartbeatResponse[] = [];
    client.onRegionCommand((c) => commands.push(c));
    // The cluster was bootstrapped above with one store and one single-replica region;
    // two more stores join, so the replica checker grows the region.
    const { stores } = await client.getAllStores();
    const first = stores[0]!;
    for (const port of [2, 3]) {
      const id = await client.allocId();
      await client.putStore({ id, address: `127.0.0.1:${port}`, version: 'test' });
      await client.storeHeartbeat({ storeId: id, capacity: 1e12, available: 9e11 });
    }
    await client.storeHeartbeat({ storeId: Number(first.id), capacity: 1e12, available: 9e11 });
    const { region, leader } = await client.getRegion(bytes('a'));
    await waitFor(
      () => {
        client.regionHeartbeat({ region, leader: leader!, approximateSize: 1024 });
        return commands.length > 0;
      },
      15_000,
      'a scheduling command',
    );
    const cmd = commands[0]!;
    expect(Number(cmd.regionId)).toBe(Number(region.id));
    expect(cmd.changePeer?.kind).toBe(atoll.pd.ChangePeerKind.ADD_LEARNER);
    expect(client.stats().heartbeats.commands).toBeGreaterThan(0);
  });

  it('refuses another cluster with a typed error, without retrying', async () => {
    const leader = await cluster.leader();
    const started = Date.now();
    const e = await PdClient.connect({
      endpoints: [cluster.addresses.get(leader.memberId)!],
      clusterId: leader.clusterId + 1,
    }).catch((x: unknown) => x);
    expect(isPdClientError(e)).toBe(true);
    expect((e as { code: string }).code).toMatch(/CLUSTER_MISMATCH$/);
    expect((e as { retryable: boolean }).retryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports PD_CLIENT_ERR_UNAVAILABLE when nobody answers, and CLOSED after close()', async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const e = await PdClient.connect({ endpoints: [nobody], timeoutMs: 500 }).catch(
      (x: unknown) => x,
    );
    expect(isPdClientError(e, 'PD_CLIENT_ERR_UNAVAILABLE')).toBe(true);

    const client = await PdClient.connect({ endpoints: [...cluster.addresses.values()] });
    await client.close();
    const closed = await client.getTimestamp().catch((x: unknown) => x);
    expect(isPdClientError(closed, 'PD_CLIENT_ERR_CLOSED')).toBe(true);
    const closedCall = await client.allocId().catch((x: unknown) => x);
    expect(isPdClientError(closedCall, 'PD_CLIENT_ERR_CLOSED')).toBe(true);
  });
});

describe('PD leader lease', () => {
  it('a leader cut off from its followers stops serving within one lease', async () => {
    const cluster = await startPdCluster(3);
    try {
      const leader = await cluster.leader();
      const client = await PdClient.connect({
        endpoints: [cluster.addresses.get(leader.memberId)!],
        timeoutMs: 800,
      });
      await client.getTimestamp();
      for (const id of [...cluster.members.keys()]) {
        if (id !== leader.memberId) await cluster.stop(id);
      }
      const cutOff = performance.now();
      await waitFor(() => !leader.isServing(), 5_000, 'the isolated leader to stop serving');
      const stoppedAfterMs = performance.now() - cutOff;
      const raftRole = (leader.status().raft as { raftRole: string }).raftRole;
      console.log(
        `isolated PD leader stopped serving ${stoppedAfterMs.toFixed(0)} ms after losing its followers (Raft role then: ${raftRole})`,
      );
      // The lease is (10 - 1) ticks of 50 ms / 1.1 = 409 ms, renewed every tick.
      expect(stoppedAfterMs).toBeLessThan(1_000);
      const e = await client.getTimestamp().catch((x: unknown) => x);
      expect(isPdClientError(e, 'PD_CLIENT_ERR_UNAVAILABLE')).toBe(true);
      await client.close();
    } finally {
      await cluster.stopAll();
    }
  });
});
