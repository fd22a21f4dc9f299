import { describe, expect, it } from 'vitest';
import { firstUncovered } from '../src/cluster/coverage.js';

const k = (s: string) => new TextEncoder().encode(s);
const r = (a: string, b: string) => ({ startKey: k(a), endKey: k(b) });
const show = (x: ReturnType<typeof firstUncovered>) =>
  x && [new TextDecoder().decode(x.startKey), new TextDecoder().decode(x.endKey)];

describe('firstUncovered', () => {
  it('both halves of a split cover the parent', () => {
    expect(firstUncovered([r('', '')], [r('m', ''), r('', 'm')])).toBeUndefined();
    expect(firstUncovered([r('a', 'z')], [r('a', 'm'), r('m', 'z')])).toBeUndefined();
  });

  it('one half alone leaves the other uncovered', () => {
    expect(show(firstUncovered([r('', '')], [r('', 'm')]))).toEqual(['m', '']);
    expect(show(firstUncovered([r('', '')], [r('m', '')]))).toEqual(['', 'm']);
    expect(show(firstUncovered([r('a', 'z')], [r('a', 'c'), r('d', 'z')]))).toEqual(['c', 'd']);
  });

  it('a wider range covers a narrower one; nothing removed is nothing uncovered', () => {
    expect(firstUncovered([r('b', 'c')], [r('a', '')])).toBeUndefined();
    expect(firstUncovered([], [r('a', 'b')])).toBeUndefined();
    expect(show(firstUncovered([r('a', '')], [r('a', 'q')]))).toEqual(['q', '']);
  });

  it('checks every removed range', () => {
    expect(show(firstUncovered([r('a', 'b'), r('x', 'y')], [r('a', 'c')]))).toEqual(['x', 'y']);
  });
});
