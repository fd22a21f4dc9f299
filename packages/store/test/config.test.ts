import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../src/env/data-dir-lock.js';
import { isStoreError, StoreErrorCode } from '../src/errors.js';
import { parseStaticCluster } from '../src/static-cluster.js';

describe('data folder lock', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a second holder while the first is alive, and takes over a stale lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-lock-'));
    dirs.push(dir);
    const first = lockDataDir(dir);
    // Our own pid holds it: pretend another live process does (pid 1 always exists).
    writeFileSync(join(dir, 'LOCK'), '1\n');
    let err: unknown;
    try {
      lockDataDir(dir);
    } catch (e) {
      err = e;
    }
    expect(isStoreError(err, StoreErrorCode.DataDirLocked)).toBe(true);
    // A pid that cannot exist: the lock is stale and is taken over.
    writeFileSync(join(dir, 'LOCK'), '2147483646\n');
    const second = lockDataDir(dir);
    second.release();
    first.release();
  });
});

describe('static cluster description', () => {
  const base = {
    clusterId: 7,
    stores: [
      { id: 1, address: '127.0.0.1:1' },
      { id: 2, address: '127.0.0.1:2' },
    ],
  };

  it('parses stores and regions with hex keys', () => {
    const c = parseStaticCluster({
      ...base,
      regions: [
        {
          id: 1,
          startKey: '',
          endKey: '6d',
          peers: [
            { id: 11, storeId: 1 },
            { id: 12, storeId: 2 },
          ],
        },
        { id: 2, startKey: '6d', endKey: '', peers: [{ id: 21, storeId: 1 }] },
      ],
    });
    expect(c.clusterId).toBe(7);
    expect(Buffer.from(c.regions[0]!.endKey).toString()).toBe('m');
    expect(c.regions[1]!.peers[0]).toEqual({ id: 21, storeId: 1, isLearner: false });
  });

  it.each([
    [{ clusterId: 0, stores: base.stores }, /clusterId/],
    [{ clusterId: 1, stores: [] }, /stores/],
    [{ ...base, stores: [{ id: 1, address: 'nohost' }] }, /host:port/],
    [{ ...base, regions: [{ id: 1, peers: [{ id: 1, storeId: 9 }] }] }, /unknown store 9/],
    [{ ...base, regions: [{ id: 1, startKey: 'zz', peers: [{ id: 1, storeId: 1 }] }] }, /hex/],
    [
      {
        ...base,
        regions: [
          { id: 1, startKey: '', endKey: '70', peers: [{ id: 1, storeId: 1 }] },
          { id: 2, startKey: '6d', endKey: '', peers: [{ id: 2, storeId: 1 }] },
        ],
      },
      /overlap/,
    ],
  ])('refuses %j', (json, message) => {
    expect(() => parseStaticCluster(json)).toThrow(message);
  });
});
