/**
 * Stores whose write-ahead logs live outside their data folders (`walDir`, `atoll store
 * --wal-dir`), over real sockets and LMDB in one process: writes acknowledged before every
 * store stops hard are there after they restart on the same folders; a store started with
 * another log folder is refused before it serves anything; two stores cannot share one.
 */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, SocketKvSender, staticLocator } from '@atoll/client';
import { evenRegions, isStoreError, StoreErrorCode } from '@atoll/store';
import { type RunningStore, startStoreServer } from '@atoll/store/server';
import { afterAll, describe, expect, it } from 'vitest';
import { regionInfo } from './helpers/region-info.js';

describe('stores with their logs in folders of their own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-wal-dir-'));
  const running = new Map<number, RunningStore>();
  const addresses = new Map<number, string>();
  const regions = evenRegions(2, [1, 2, 3], 'k');
  afterAll(async () => {
    for (const s of running.values()) await s.stop(false);
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (id: number, walDir: string) => ({
    storeId: id,
    clusterId: 1,
    dataDir: join(dir, `data-${id}`),
    walDir,
    listen: '127.0.0.1:0',
    resolveStore: async (sid: number) => {
      const a = addresses.get(sid);
      if (!a) throw new Error(`store ${sid} unknown`);
      return a;
    },
    bootstrapRegions: regions,
    config: { tickMs: 20 },
  });

  async function start(id: number, walDir = join(dir, `log-disk-${id}`)): Promise<void> {
    const s = await startStoreServer(options(id, walDir));
    running.set(id, s);
    addresses.set(id, `127.0.0.1:${s.port}`);
  }

  async function stopAll(): Promise<void> {
    for (const [id, s] of running) {
      await s.stop(false);
      running.delete(id);
    }
  }

  it('keeps acknowledged writes across hard stops, and refuses another log folder', async () => {
    for (const id of [1, 2, 3]) await start(id);
    const keys = Array.from({ length: 100 }, (_, i) => `k${String(i * 10).padStart(4, '0')}`);
    const newClient = () =>
      createClient({
        locator: staticLocator(regions.map(regionInfo), addresses),
        sender: new SocketKvSender(),
        timeoutMs: 15_000,
      });
    let client = newClient();
    try {
      await Promise.all(keys.map((k) => client.put(k, `v-${k}`)));
    } finally {
      await client.close();
    }
    await stopAll();
    // The logs are where they were asked to be, not in the data folders.
    expect(readdirSync(join(dir, 'log-disk-1')).some((f) => f.endsWith('.wal'))).toBe(true);
    expect(readdirSync(join(dir, 'data-1'))).not.toContain('wal');

    const wrong = await startStoreServer(options(1, join(dir, 'elsewhere'))).catch((e) => e);
    expect(isStoreError(wrong, StoreErrorCode.InvalidConfig)).toBe(true);
    expect(String(wrong.message)).toContain(join(dir, 'log-disk-1'));
    // Another store's log folder (store 2's, while store 2 is down) is refused too.
    const shared = await startStoreServer(options(1, join(dir, 'log-disk-2'))).catch((e) => e);
    expect(isStoreError(shared, StoreErrorCode.InvalidConfig)).toBe(true);

    for (const id of [1, 2, 3]) await start(id);
    client = newClient();
    try {
      const values = await Promise.all(keys.map((k) => client.get(k)));
      expect(values.map((v) => v?.toString())).toEqual(keys.map((k) => `v-${k}`));
    } finally {
      await client.close();
    }
  });
});
