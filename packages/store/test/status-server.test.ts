import { afterAll, describe, expect, it } from 'vitest';
import { type StatusServer, startStatusServer } from '../src/env/status-server.js';
import { regionOn, StoreCluster } from '../src/testing/index.js';

describe('status HTTP port', () => {
  let server: StatusServer | undefined;
  afterAll(async () => server?.close());

  it('serves Prometheus metrics, a JSON status page and a health check', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [regionOn(1, [1, 2, 3])], seed: 2 });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    await c.put('k', 'v');
    const leader = c.leaderStore(1)!;
    await c.tick(25);
    server = await startStatusServer(leader.store, '127.0.0.1', 0);
    const base = `http://127.0.0.1:${server.port}`;

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/atoll_store_proposals_total\{store="\d+"\} 1/);
    expect(metrics).toContain('atoll_store_batch_commit_seconds_bucket');
    expect(metrics).toMatch(/atoll_store_leaders\{store="\d+"\} 1/);

    const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      storeId: leader.id,
      state: 'up',
      regionCount: 1,
      leaderCount: 1,
    });

    const raft = (await (await fetch(`${base}/debug/raft`)).json()) as Record<string, unknown>[];
    expect(raft).toHaveLength(1);
    expect(raft[0]).toMatchObject({
      regionId: 1,
      peerId: leader.store.peers.get(1)!.peerId,
      role: 'leader',
      confState: { voters: [101, 102, 103] },
    });
    expect(Object.keys(raft[0]!.progress as object)).toHaveLength(3);

    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
