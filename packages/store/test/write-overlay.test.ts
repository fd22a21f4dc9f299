/**
 * The write overlays answer reads of writes storage does not show yet: point writes and range
 * deletes in their order across every batch in flight, then storage; a released batch's
 * writes are storage's again.
 */

import { SeededRandom } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import type { StoreBatch, StoreStorage } from '../src/storage-port.js';
import { PendingWrites } from '../src/write-overlay.js';

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
    const o = new PendingWrites().overlay(batch);
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
    const o = new PendingWrites().overlay(batch);
    o.put(k('b'), k('before'));
    o.deleteRange(k('a'), k('d'), storage);
    o.put(k('c'), k('after'));
    expect(o.get(k('b'), storage)).toBeUndefined();
    expect(text(o.get(k('c'), storage))).toBe('after');
    expect(text(o.get(k('x'), storage))).toBe('stored-x');
  });

  it("reads an earlier batch's writes until storage shows them", () => {
    const { batch, storage } = fixture({ p: 'stored-p' });
    const pending = new PendingWrites();
    const first = pending.overlay(batch);
    first.put(k('p'), k('in-flight'));
    const second = pending.overlay(batch);
    second.put(k('q'), k('mine'));
    expect(text(second.get(k('p'), storage))).toBe('in-flight');
    expect(text(second.get(k('q'), storage))).toBe('mine');
    pending.release(first);
    expect(text(second.get(k('p'), storage))).toBe('stored-p');
    expect(text(second.get(k('q'), storage))).toBe('mine');
    pending.release(second);
    expect(second.get(k('q'), storage)).toBeUndefined();
    expect(pending.size).toBe(0);
  });

  it("keeps a later batch's write of a key when the earlier batch is released", () => {
    const { batch, storage } = fixture({ a: 'stored-a' });
    const pending = new PendingWrites();
    const first = pending.overlay(batch);
    first.put(k('a'), k('old'));
    // Indexed now (a read), so releasing `first` must not drop the newer entry.
    expect(text(first.get(k('a'), storage))).toBe('old');
    const second = pending.overlay(batch);
    second.put(k('a'), k('new'));
    expect(text(second.get(k('a'), storage))).toBe('new');
    pending.release(first);
    expect(text(second.get(k('a'), storage))).toBe('new');
  });

  it('forgets a released batch whose writes were never read', () => {
    const { batch, storage } = fixture({ a: 'stored-a' });
    const pending = new PendingWrites();
    const first = pending.overlay(batch);
    first.put(k('a'), k('never-read'));
    const second = pending.overlay(batch);
    pending.release(first);
    expect(text(second.get(k('a'), storage))).toBe('stored-a');
  });

  it("a batch's range delete hides earlier batches' writes until it is released", () => {
    const { batch, storage } = fixture({ m: 'stored-m' });
    const pending = new PendingWrites();
    const first = pending.overlay(batch);
    first.put(k('b'), k('first'));
    const second = pending.overlay(batch);
    second.deleteRange(k('a'), k('z'), storage);
    const third = pending.overlay(batch);
    expect(third.get(k('b'), storage)).toBeUndefined();
    expect(third.get(k('m'), storage)).toBeUndefined();
    pending.release(first);
    pending.release(second);
    expect(text(third.get(k('m'), storage))).toBe('stored-m');
  });

  it('matches a plain map over many batches released in order (seeded)', () => {
    const seed = Number(process.env.SEED ?? Date.now() % 100000);
    const random = new SeededRandom(seed);
    const rand = (n: number) => random.nextInt(n);
    const stored = new Map<string, string>();
    const storage = {
      get: (key: Uint8Array) => {
        const v = stored.get(text(key)!);
        return v === undefined ? undefined : k(v);
      },
    } as unknown as StoreStorage;
    const pending = new PendingWrites();
    // Each open batch: its overlay and the writes it will show storage when released.
    const open: { o: ReturnType<PendingWrites['overlay']>; ops: (() => void)[] }[] = [];
    const expected = new Map<string, string>();
    const keys = ['a', 'b', 'c', 'd', 'e'];
    for (let step = 0; step < 2000; step++) {
      const r = rand(10);
      if (r < 2 || open.length === 0) {
        const ops: (() => void)[] = [];
        const batch = {
          put: (key: Uint8Array, value: Uint8Array) =>
            ops.push(() => stored.set(text(key)!, text(value)!)),
          delete: (key: Uint8Array) => ops.push(() => stored.delete(text(key)!)),
          deleteRange: (s: Uint8Array, e: Uint8Array) =>
            ops.push(() => {
              for (const key of [...stored.keys()])
                if (key >= text(s)! && key < text(e)!) stored.delete(key);
            }),
        } as unknown as StoreBatch;
        open.push({ o: pending.overlay(batch), ops });
      } else if (r < 4) {
        const first = open.shift()!;
        for (const op of first.ops) op();
        pending.release(first.o);
      } else {
        const o = open[open.length - 1]!.o;
        const key = keys[rand(keys.length)]!;
        if (r < 7) {
          const v = `v${step}`;
          o.put(k(key), k(v));
          expected.set(key, v);
        } else if (r < 8) {
          o.delete(k(key));
          expected.delete(key);
        } else if (r < 9) {
          o.deleteRange(k('b'), k('d'), storage);
          expected.delete('b');
          expected.delete('c');
        } else {
          expect(text(o.get(k(key), storage)), `seed ${seed}, step ${step}`).toBe(
            expected.get(key),
          );
        }
      }
    }
  });
});
