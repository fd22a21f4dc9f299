/**
 * A static cluster description: which stores exist where, and which regions they host. It
 * places regions by hand until the placement driver does it (and stays useful for tests).
 *
 * JSON shape: { "clusterId": 1,
 *   "stores": [{ "id": 1, "address": "127.0.0.1:20160" }, ...],
 *   "regions": [{ "id": 1, "startKey": "", "endKey": "6d", "peers": [{ "id": 101, "storeId": 1 }, ...] }] }
 * Keys are hex; an empty endKey is unbounded.
 */

import { StoreError, StoreErrorCode } from './errors.js';
import { compareBytes, type RegionMeta } from './region.js';

export interface StaticStore {
  readonly id: number;
  readonly address: string;
}

export interface StaticCluster {
  readonly clusterId: number;
  readonly stores: readonly StaticStore[];
  readonly regions: readonly RegionMeta[];
}

function fail(message: string): never {
  throw new StoreError(StoreErrorCode.InvalidConfig, `static cluster: ${message}`);
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    fail(`${what} must be a positive integer`);
  return v;
}

function hexKey(v: unknown, what: string): Uint8Array {
  if (v === undefined || v === '') return new Uint8Array();
  if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v)) fail(`${what} must be a hex string`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

export function parseStaticCluster(json: unknown): StaticCluster {
  if (typeof json !== 'object' || json === null) fail('expected a JSON object');
  const o = json as Record<string, unknown>;
  const clusterId = positiveInt(o.clusterId, 'clusterId');
  if (!Array.isArray(o.stores) || o.stores.length === 0) fail('stores must be a non-empty list');
  const stores = o.stores.map((s: Record<string, unknown>, i: number) => {
    const id = positiveInt(s.id, `stores[${i}].id`);
    if (typeof s.address !== 'string' || !/^[^:]+:\d+$/.test(s.address))
      fail(`stores[${i}].address must be host:port`);
    return { id, address: s.address };
  });
  const storeIds = new Set(stores.map((s) => s.id));
  if (storeIds.size !== stores.length) fail('store ids must be unique');
  const regions = ((o.regions as Record<string, unknown>[] | undefined) ?? []).map(
    (r, i): RegionMeta => {
      const peers = (r.peers as Record<string, unknown>[] | undefined) ?? [];
      if (peers.length === 0) fail(`regions[${i}] has no peers`);
      return {
        id: positiveInt(r.id, `regions[${i}].id`),
        startKey: hexKey(r.startKey, `regions[${i}].startKey`),
        endKey: hexKey(r.endKey, `regions[${i}].endKey`),
        epoch: { confVer: 1, version: 1 },
        peers: peers.map((p, j) => {
          const storeId = positiveInt(p.storeId, `regions[${i}].peers[${j}].storeId`);
          if (!storeIds.has(storeId))
            fail(`regions[${i}].peers[${j}] names unknown store ${storeId}`);
          return {
            id: positiveInt(p.id, `regions[${i}].peers[${j}].id`),
            storeId,
            isLearner: p.learner === true,
          };
        }),
      };
    },
  );
  const sorted = [...regions].sort((a, b) => compareBytes(a.startKey, b.startKey));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.endKey.length === 0 || compareBytes(prev.endKey, sorted[i]!.startKey) > 0) {
      fail(`regions ${prev.id} and ${sorted[i]!.id} overlap`);
    }
  }
  return { clusterId, stores, regions };
}

/** Regions split evenly over a key space of decimal-suffixed keys, for tests and benches. */
export function evenRegions(
  count: number,
  storeIds: readonly number[],
  prefix: string,
): RegionMeta[] {
  const bound = (i: number) => new TextEncoder().encode(`${prefix}${String(i).padStart(6, '0')}`);
  const step = Math.floor(1_000_000 / count);
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    startKey: i === 0 ? new Uint8Array() : bound(i * step),
    endKey: i === count - 1 ? new Uint8Array() : bound((i + 1) * step),
    epoch: { confVer: 1, version: 1 },
    peers: storeIds.map((s) => ({ id: (i + 1) * 1000 + s, storeId: s, isLearner: false })),
  }));
}
