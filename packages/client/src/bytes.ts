/** Keys and values: Uint8Array or UTF-8 strings in, Buffers out. */

import { invalidArgument } from './errors.js';

/** What the API accepts as a key or value. */
export type Bytes = Uint8Array | string;

export function toBytes(v: Bytes, what: string): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw invalidArgument(`${what} must be a string or a Uint8Array`);
}

export function toKey(v: Bytes, what = 'key'): Buffer {
  const k = toBytes(v, what);
  if (k.length === 0) throw invalidArgument(`${what} must not be empty`);
  return k;
}

/** Optional range bound: undefined or empty means unbounded. */
export function toBound(v: Bytes | undefined, what: string): Buffer {
  return v === undefined ? Buffer.alloc(0) : toBytes(v, what);
}

export function asBuffer(v: Uint8Array | null | undefined): Buffer {
  return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0);
}

export function compare(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
