import { describe, expect, it } from 'vitest';
import type { RegionInfo } from '../src/ports.js';
import { RegionCache } from '../src/region-cache.js';

const r = (id: number, start: string, end: string, version = 1): RegionInfo => ({
  id,
  startKey: Buffer.from(start),
  endKey: Buffer.from(end),
  epoch: { confVer: 1, version },
  peers: [],
});

describe('region cache', () => {
  it('finds the region of a key and the region before a key', () => {
    const c = new RegionCache();
    c.put(r(1, '', 'g'));
    c.put(r(2, 'g', 'p'));
    c.put(r(3, 'p', ''));
    expect(c.find(Buffer.from('a'))?.id).toBe(1);
    expect(c.find(Buffer.from('g'))?.id).toBe(2);
    expect(c.find(Buffer.from('zz'))?.id).toBe(3);
    expect(c.findBefore(Buffer.from('g'))?.id).toBe(1);
    expect(c.findBefore(Buffer.from('h'))?.id).toBe(2);
    expect(c.findBefore(Buffer.alloc(0))?.id).toBe(3);
  });

  it('a newer region replaces every cached region it overlaps', () => {
    const c = new RegionCache();
    c.put(r(1, '', ''));
    c.put(r(1, '', 'm', 2));
    c.put(r(2, 'm', '', 2));
    expect(c.size).toBe(2);
    c.put(r(9, 'a', 'z', 5));
    expect(c.size).toBe(1);
    expect(c.find(Buffer.from('b'))?.id).toBe(9);
    expect(c.find(Buffer.from('0'))).toBeUndefined();
  });

  it('remembers and forgets leaders', () => {
    const c = new RegionCache();
    c.put(r(1, '', ''));
    c.setLeader(1, 3);
    expect(c.find(Buffer.from('x'))?.leaderStoreId).toBe(3);
    c.setLeader(1, undefined);
    expect(c.find(Buffer.from('x'))?.leaderStoreId).toBeUndefined();
  });
});
