/**
 * How store and region records are encoded in MetaStorage: versioned JSON with keys in hex,
 * readable in a dump and easy to evolve. Decoding checks every field; a record that does not
 * decode is corruption of the PD's own data and fails an assertion.
 */

import { assert } from '../assert.js';
import { fromHex, toHex } from '../meta/keys.js';
import type { PeerMeta, RegionMeta, StoreMeta, StoreState } from '../meta/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bumped when a record's shape changes incompatibly. */
const RECORD_VERSION = 1;

const STORE_STATES: readonly StoreState[] = ['up', 'offline', 'tombstone'];

/** Encodes a store record. */
export function encodeStore(store: StoreMeta): Uint8Array {
  return json({
    v: RECORD_VERSION,
    id: store.id,
    address: store.address,
    statusAddress: store.statusAddress,
    state: store.state,
    version: store.version,
  });
}

/** Decodes a store record. */
export function decodeStore(bytes: Uint8Array): StoreMeta {
  const o = parse(bytes, 'store');
  const state = o.state as StoreState;
  assert(STORE_STATES.includes(state), `store record: bad state ${String(o.state)}`);
  return {
    id: int(o.id, 'store.id'),
    address: str(o.address, 'store.address'),
    statusAddress: str(o.statusAddress, 'store.statusAddress'),
    state,
    version: str(o.version, 'store.version'),
  };
}

/** Encodes a region record. */
export function encodeRegion(region: RegionMeta): Uint8Array {
  return json({
    v: RECORD_VERSION,
    id: region.id,
    start: toHex(region.startKey),
    end: toHex(region.endKey),
    confVer: region.epoch.confVer,
    version: region.epoch.version,
    peers: region.peers.map((p) => [p.id, p.storeId, p.isLearner ? 1 : 0]),
  });
}

/** Decodes a region record. */
export function decodeRegion(bytes: Uint8Array): RegionMeta {
  const o = parse(bytes, 'region');
  assert(Array.isArray(o.peers), 'region record: peers is not a list');
  const peers: PeerMeta[] = (o.peers as unknown[]).map((p) => {
    assert(Array.isArray(p) && p.length === 3, 'region record: bad peer');
    return { id: int(p[0], 'peer.id'), storeId: int(p[1], 'peer.storeId'), isLearner: p[2] === 1 };
  });
  return {
    id: int(o.id, 'region.id'),
    startKey: hex(o.start, 'region.start'),
    endKey: hex(o.end, 'region.end'),
    epoch: { confVer: int(o.confVer, 'region.confVer'), version: int(o.version, 'region.version') },
    peers,
  };
}

function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(decoder.decode(bytes));
  } catch {
    assert(false, `${what} record is not JSON`);
  }
  assert(typeof o === 'object' && o !== null, `${what} record is not an object`);
  const record = o as Record<string, unknown>;
  assert(record.v === RECORD_VERSION, `${what} record has unknown version ${String(record.v)}`);
  return record;
}

function int(v: unknown, what: string): number {
  assert(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, `bad ${what}`);
  return v;
}

function str(v: unknown, what: string): string {
  assert(typeof v === 'string', `bad ${what}`);
  return v;
}

function hex(v: unknown, what: string): Uint8Array {
  const bytes = typeof v === 'string' ? fromHex(v) : undefined;
  assert(bytes !== undefined, `bad ${what}`);
  return bytes;
}
