/**
 * The write overlay answers reads of a batch's own writes before the batch commits: point
 * writes and range deletes in their order, then the parent batch's overlay, then storage.
 */

import { describe, expect, it } from 'vitest';
import type { StoreBatch, StoreStorage } from '../src/storage-port.js';
import { WriteOverlay } from '../src/write-overlay.js';

const k = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);

/** Records what reaches the batch; storage holds `stored`. */
function fixture(stored: Record<string, string> = {}) {
  const calls: string[] = [];
  const batch = {
    put: (key: Uint8Array, value: Uint8Array) => calls.push(`put ${text(key)}=${text(value)}`),
    delete: (key: Uint8Array) => calls.push(`del ${text(key)}`),
    deleteRange: (s: Uint8Array, e: Uint8Array) => calls.push(`range ${text(s)}..${text(e)}`),
  } as unknown as StoreBatch;
  const storage = {
    get: (key: Uint8Array) => {
      const v = stored[text(key)!];
      return v === undefined ? undefined : k(v);
    },
  } as unknown as StoreStorage;
  return { calls, batch, storage };
}

describe('write overlay', () => {
  it('reads its own writes in order, over storage, and passes every write to the batch', () => {
    const { calls, batch, storage } = fixture({ a: 'stored-a', b: 'stored-b', z: 'stored-z' });
    const o = new WriteOverlay(batch);
    o.put(k('a'), k('1'));
    expect(text(o.get(k('a'), storage))).toBe('1');
    o.put(k('a'), k('2'));
    o.delete(k('b'));
    expect(text(o.get(k('a'), storage))).toBe('2');
    expect(o.get(k('b'), storage)).toBeUndefined();
    expect(text(o.get(k('z'), storage))).toBe('stored-z');
    expect(calls).toEqual(['put a=1', 'put a=2', 'del b']);
  });

  it('a range delete hides earlier writes and storage, not later writes', () => {
    const { batch, storage } = fixture({ c: 'stored-c', x: 'stored-x' });
    const o = new WriteOverlay(batch);
    o.put(k('b'), k('before'));
    o.deleteRange(k('a'), k('d'), storage);
    o.put(k('c'), k('after'));
    expect(o.get(k('b'), storage)).toBeUndefined();
    expect(text(o.get(k('c'), storage))).toBe('after');
    expect(text(o.get(k('x'), storage))).toBe('stored-x');
  });

  it('falls back to the parent batch until it is detached', () => {
    const { batch, storage } = fixture({ p: 'stored-p' });
    const parent = new WriteOverlay(batch);
    parent.put(k('p'), k('in-flight'));
    const child = new WriteOverlay(batch, parent);
    child.put(k('q'), k('mine'));
    expect(text(child.get(k('p'), storage))).toBe('in-flight');
    expect(text(child.get(k('q'), storage))).toBe('mine');
    child.detachParent();
    expect(text(child.get(k('p'), storage))).toBe('stored-p');
  });
});
