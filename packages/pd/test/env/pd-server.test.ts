/**
 * One PD member in process: its metadata storage on the PD region (writes only while
 * leading, waiting writes rejected when leadership ends), restart from its LMDB data folder
 * with metadata, ids and cluster id intact, and a data folder whose members differ from the
 * initial cluster.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningPd, startPdServer } from '../../src/env/pd-server.js';
import { PD_REGION_ID, RegionMetaStorage } from '../../src/env/region-meta-storage.js';

const bytes = (s: string) => new TextEncoder().encode(s);

async function waitServing(pd: RunningPd): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pd.isServing()) {
    if (Date.now() > deadline) throw new Error('not serving within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a PD member', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-pd-server-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes metadata only while it leads, and rejects waiting writes when that ends', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const pd = await startPdServer({
      memberId: 1,
      initialCluster: `1=${address}`,
      dataDir: 'memory:',
    });
    try {
      await waitServing(pd);
      const storage = new RegionMetaStorage(pd.store);
      await expect(storage.put(bytes('/t/a'), bytes('1'))).rejects.toThrow(/does not lead/);
      storage.openTerm(pd.store.peers.get(PD_REGION_ID)!.node.raft.term);
      await storage.put(bytes('/t/a'), bytes('1'));
      await storage.put(bytes('/t/b'), bytes('2'));
      expect(new TextDecoder().decode(await storage.get(bytes('/t/a')))).toBe('1');
      expect((await storage.scan(bytes('/t/'), bytes('/t0'), 10)).length).toBe(2);
      await storage.delete(bytes('/t/a'));
      expect(await storage.get(bytes('/t/a'))).toBeUndefined();
      const waiting = storage.put(bytes('/t/c'), bytes('3'));
      storage.closeTerm('test');
      await expect(waiting).rejects.toThrow(/leadership lost/);
      await expect(storage.put(bytes('/t/d'), bytes('4'))).rejects.toThrow(/does not lead/);
      expect(pd.status()).toMatchObject({ serving: true, memberId: 1 });
    } finally {
      await pd.stop(false);
    }
  });

  it('restarts from its data folder with metadata, ids and cluster id intact', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const dataDir = join(dir, 'restart');
    const start = () =>
      startPdServer({ memberId: 1, initialCluster: { 1: address }, dataDir, listen: address });
    const first = await start();
    let clusterId: number;
    let lastId: number;
    try {
      await waitServing(first);
      clusterId = first.clusterId;
      await first.pd.bootstrap(
        { id: 1, address: 'store:1', statusAddress: '', state: 'up', version: 't' },
        {
          id: 2,
          startKey: new Uint8Array(),
          endKey: new Uint8Array(),
          epoch: { confVer: 1, version: 1 },
          peers: [{ id: 3, storeId: 1, isLearner: false }],
        },
      );
      lastId = (await first.pd.allocId(10)).first + 9;
    } finally {
      await first.stop(true);
    }
    const second = await start();
    try {
      await waitServing(second);
      expect(second.clusterId).toBe(clusterId);
      expect(second.pd.isBootstrapped()).toBe(true);
      expect(second.pd.getRegionById(2)?.region.peers[0]?.storeId).toBe(1);
      expect((await second.pd.allocId()).first).toBeGreaterThan(lastId);
    } finally {
      await second.stop(true);
    }
    // The same folder with other members is refused.
    const other = `127.0.0.1:${await freePort()}`;
    await expect(
      startPdServer({ memberId: 1, initialCluster: `1=${address},2=${other}`, dataDir }),
    ).rejects.toThrow(/has members 1, the initial cluster names 1,2/);
  });

  it('refuses a member id outside the initial cluster', async () => {
    await expect(
      startPdServer({ memberId: 4, initialCluster: '1=127.0.0.1:1', dataDir: 'memory:' }),
    ).rejects.toThrow(/member 4 is not in the initial cluster/);
  });
});
