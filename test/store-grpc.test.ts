/**
 * Stores over real gRPC and LMDB on loopback (in one process): the client routes through
 * the Kv stream service; a store stopped hard and restarted on the same folder catches up.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, GrpcKvSender, isAtollError, staticLocator } from '@atoll/client';
import { evenRegions } from '@atoll/store';
import { type RunningStore, startStoreServer } from '@atoll/store/server';
import { afterAll, describe, expect, it } from 'vitest';
import { regionInfo } from './helpers/region-info.js';
import { waitFor } from './helpers/wait.js';

describe('stores over gRPC and LMDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-grpc-'));
  const running = new Map<number, RunningStore>();
  const addresses = new Map<number, string>();
  const regions = evenRegions(4, [1, 2, 3], 'k');

  async function start(id: number, port = 0): Promise<void> {
    const s = await startStoreServer({
      storeId: id,
      clusterId: 1,
      dataDir: join(dir, `store-${id}`),
      listen: `127.0.0.1:${port}`,
      resolveStore: async (sid) => {
        const a = addresses.get(sid);
        if (!a) throw new Error(`store ${sid} unknown`);
        return a;
      },
      bootstrapRegions: regions,
      config: { tickMs: 20 },
    });
    running.set(id, s);
    addresses.set(id, `127.0.0.1:${s.port}`);
  }

  afterAll(async () => {
    for (const s of running.values()) await s.stop(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a client and survives a store stopped hard and restarted', async () => {
    for (const id of [1, 2, 3]) await start(id);
    const client = createClient({
      locator: staticLocator(regions.map(regionInfo), addresses),
      sender: new GrpcKvSender(),
      timeoutMs: 15_000,
    });
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `k${String(i * 5000).padStart(6, '0')}`);
      await Promise.all(keys.map((k) => client.put(k, `v-${k}`)));
      expect((await client.get(keys[7]!))?.toString()).toBe(`v-${keys[7]}`);
      expect((await client.scan()).length).toBe(200);

      // Stop store 2 without any goodbye, keep writing, bring it back on the same folder.
      const port2 = Number(addresses.get(2)!.split(':')[1]);
      await running.get(2)!.stop(false);
      running.delete(2);
      const more = Array.from(
        { length: 50 },
        (_, i) => `k${String(i * 20000 + 1).padStart(6, '0')}`,
      );
      // A put in flight to store 2 when it stopped has an unknown outcome: that is the only
      // failure allowed, and it is reported as such (never retried into a duplicate).
      const settled = await Promise.allSettled(more.map((k) => client.put(k, 'after')));
      const acked = more.filter((_, i) => settled[i]!.status === 'fulfilled');
      for (const r of settled) {
        if (r.status === 'rejected')
          expect(isAtollError(r.reason, 'CLIENT_ERR_AMBIGUOUS_RESULT')).toBe(true);
      }
      await start(2, port2);
      const store2 = running.get(2)!.store;
      await waitFor(
        () =>
          [...store2.peers.values()].every(
            (p) =>
              p.appliedIndex >=
              Math.max(
                ...[1, 3].map((s) => running.get(s)!.store.peers.get(p.region.id)!.appliedIndex),
              ),
          ),
        20_000,
        'store 2 to catch up',
      );
      const all = new Set((await client.scan()).map((kv) => kv.key.toString()));
      for (const k of [...keys, ...acked]) expect(all.has(k), k).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('a store that cannot start', () => {
  it('fails with the port error, releases its folder, and reports no failure of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-start-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const fatal: Error[] = [];
    const options = {
      storeId: 1,
      clusterId: 1,
      dataDir: join(dir, 'store-1'),
      listen: '127.0.0.1:0',
      resolveStore: async () => '127.0.0.1:1',
      bootstrapRegions: evenRegions(1, [1], 'k'),
      onFatal: (e: Error) => fatal.push(e),
    };
    try {
      // The status port is taken: the store has started its loop by then.
      await expect(
        startStoreServer({ ...options, statusListen: `127.0.0.1:${port}` }),
      ).rejects.toThrow(/EADDRINUSE|in use/);
      // The folder is free again: the same store starts there.
      const s = await startStoreServer(options);
      await s.stop(false);
      expect(fatal).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
