/**
 * Where each persistent fact lives in MetaStorage. Keys are ASCII so an operator can read a
 * dump; ids are zero-padded decimal so that a scan returns them in id order.
 *
 * Everything else the PD knows (heartbeat statistics, leaders, operators) lives in memory
 * only and is rebuilt from heartbeats after a failover.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Digits of a zero-padded id: Number.MAX_SAFE_INTEGER has 16. */
const ID_DIGITS = 16;

/** The cluster id this metadata belongs to (decimal). */
export const CLUSTER_ID_KEY = encoder.encode('/pd/cluster-id');
/** Present once the cluster is bootstrapped (JSON). */
export const BOOTSTRAP_KEY = encoder.encode('/pd/bootstrap');
/** Exclusive bound of every id handed out so far (decimal). */
export const ID_HIGH_WATER_KEY = encoder.encode('/pd/id-high-water');
/** Exclusive bound of every TSO physical time handed out so far (decimal ms). */
export const TSO_WINDOW_END_KEY = encoder.encode('/pd/tso-window-end');
/** The GC safe point (decimal of the 64-bit timestamp). */
export const GC_SAFE_POINT_KEY = encoder.encode('/pd/gc-safe-point');

const STORE_PREFIX = '/pd/store/';
const REGION_PREFIX = '/pd/region/';

/** The key of a store's record. */
export function storeKey(storeId: number): Uint8Array {
  return encoder.encode(STORE_PREFIX + padId(storeId));
}

/** The key of a region's record. */
export function regionKey(regionId: number): Uint8Array {
  return encoder.encode(REGION_PREFIX + padId(regionId));
}

/** [start, end) of all store records. */
export const STORE_RANGE = prefixRange(STORE_PREFIX);
/** [start, end) of all region records. */
export const REGION_RANGE = prefixRange(REGION_PREFIX);

/** Encodes a decimal scalar value (a safe integer or a bigint). */
export function encodeDecimal(value: number | bigint): Uint8Array {
  return encoder.encode(value.toString());
}

/** Decodes a decimal scalar written by encodeDecimal; undefined if it is not one. */
export function decodeDecimal(bytes: Uint8Array): bigint | undefined {
  const text = decoder.decode(bytes);
  return /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
}

function padId(id: number): string {
  return id.toString().padStart(ID_DIGITS, '0');
}

function prefixRange(prefix: string): { start: Uint8Array; end: Uint8Array } {
  const start = encoder.encode(prefix);
  const end = start.slice();
  // The prefix ends in '/', so bumping its last byte never carries.
  end[end.length - 1]!++;
  return { start, end };
}
