/**
 * Keys of a benchmark: how an index in the key space becomes key bytes, where regions are
 * split so every region gets an equal share, and which index an operation picks (uniform or
 * YCSB's scrambled zipfian), from a seeded generator so a run can be repeated.
 *
 * A key is `k` + the index zero-padded to a fixed number of digits, then padded with `x` to
 * the key size: keys sort by index, and a region boundary (`k` + digits, no padding) sorts
 * just before the first key of its region.
 */

import { invalidArgument } from './errors.js';

/** Zipfian skew YCSB uses by default (its `zipfian_constant`). */
export const ZIPF_THETA_DEFAULT = 0.99;
/** Fewest digits in a key index, so that small key spaces keep the 1,000,000-key layout. */
const INDEX_DIGITS_MIN = 6;

/** How operations pick keys. */
export type KeyDistribution = 'uniform' | 'zipfian';

/** Turns key-space indexes into keys of a fixed size. */
export class KeyFormat {
  readonly digits: number;

  constructor(
    readonly keySpace: number,
    readonly keyBytes: number,
  ) {
    if (!Number.isSafeInteger(keySpace) || keySpace < 1)
      throw invalidArgument('the key space must be a positive integer');
    this.digits = Math.max(INDEX_DIGITS_MIN, String(keySpace - 1).length);
    if (keyBytes < this.digits + 1)
      throw invalidArgument(
        `keys of ${keyBytes} bytes cannot hold a key space of ${keySpace} (need ${this.digits + 1})`,
      );
  }

  /** The key of an index (0 <= index < keySpace). */
  key(index: number): Buffer {
    const s = `k${String(index).padStart(this.digits, '0')}`;
    return Buffer.from(s.padEnd(this.keyBytes, 'x'), 'latin1');
  }

  /** The start key of region `i` of `regions` equal shares (empty for the first). */
  regionStart(i: number, regions: number): Buffer {
    if (i === 0) return Buffer.alloc(0);
    const index = Math.floor((i * this.keySpace) / regions);
    return Buffer.from(`k${String(index).padStart(this.digits, '0')}`, 'latin1');
  }
}

/** A small, fast seeded generator (mulberry32): uniform doubles in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks key-space indexes. */
export interface KeyChooser {
  next(): number;
}

/** Every key equally likely. */
export function uniformKeys(keySpace: number, random: () => number): KeyChooser {
  return { next: () => Math.floor(random() * keySpace) };
}

const zetaCache = new Map<string, number>();

/** zeta(n, theta) = sum over i in 1..n of 1 / i^theta (cached: O(n) once per process). */
export function zeta(n: number, theta: number): number {
  const id = `${n}/${theta}`;
  const cached = zetaCache.get(id);
  if (cached !== undefined) return cached;
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / i ** theta;
  zetaCache.set(id, sum);
  return sum;
}

/** FNV-1a over the four bytes of a 32-bit integer: spreads hot ranks over the key space. */
function fnv1a32(x: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) {
    h ^= (x >>> (i * 8)) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Zipfian ranks (Gray et al., "Quickly generating billion-record synthetic databases",
 * SIGMOD 1994, as in YCSB's ZipfianGenerator): rank 0 is the most popular. With `scrambled`
 * (YCSB's ScrambledZipfianGenerator) ranks are hashed so that hot keys are spread over the key
 * space, and so over regions, instead of all sitting at its start.
 */
export function zipfianKeys(
  keySpace: number,
  random: () => number,
  theta = ZIPF_THETA_DEFAULT,
  scrambled = true,
): KeyChooser {
  if (!(theta > 0 && theta < 1)) throw invalidArgument('the zipfian theta must be in (0, 1)');
  const n = keySpace;
  const zetan = zeta(n, theta);
  const zeta2 = zeta(2, theta);
  const alpha = 1 / (1 - theta);
  const eta = (1 - (2 / n) ** (1 - theta)) / (1 - zeta2 / zetan);
  const half = 0.5 ** theta;
  const rank = (): number => {
    const u = random();
    const uz = u * zetan;
    if (uz < 1) return 0;
    if (uz < 1 + half) return Math.min(1, n - 1);
    return Math.min(n - 1, Math.floor(n * (eta * u - eta + 1) ** alpha));
  };
  return { next: scrambled ? () => fnv1a32(rank()) % n : rank };
}

/** A chooser for a distribution. */
export function keyChooser(
  distribution: KeyDistribution,
  keySpace: number,
  random: () => number,
  theta = ZIPF_THETA_DEFAULT,
): KeyChooser {
  return distribution === 'zipfian'
    ? zipfianKeys(keySpace, random, theta)
    : uniformKeys(keySpace, random);
}
