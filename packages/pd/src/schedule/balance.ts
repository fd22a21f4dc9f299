/**
 * What region and leader balance share: which stores take part (up, reported this term, not
 * busy), the tolerance rule, and the order in which source and target stores are tried.
 */

import type { PdConfig } from '../config.js';
import type { ScheduleContext } from './schedule-context.js';

/**
 * Stores that take part in balancing, by id: up and reported this term. A busy store may
 * give regions and leaders away but receives none (tryPairs skips it as a target).
 */
export function balanceStores(ctx: ScheduleContext): number[] {
  return ctx.view.meta
    .allStores()
    .filter((s) => ctx.view.storeHealth(s.meta.id) === 'up' && s.stats !== undefined)
    .map((s) => s.meta.id);
}

/**
 * The largest difference between the fullest and the emptiest store that counts as
 * balanced: max(floor, percent of the mean), so big clusters are not shuffled for a few
 * regions and small ones still converge.
 */
export function tolerance(counts: readonly number[], percent: number, floor: number): number {
  if (counts.length === 0) return floor;
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return Math.max(floor, Math.ceil((mean * percent) / 100));
}

/**
 * Tries (source, target) pairs from the most to the least unbalanced, ties by store id,
 * until `tryMove` succeeds for one; stops once the pair's difference is within tolerance.
 * Returns whether a move was made.
 */
export function tryPairs(
  ctx: ScheduleContext,
  stores: readonly number[],
  count: (storeId: number) => number,
  tol: number,
  tryMove: (source: number, target: number) => boolean,
): boolean {
  const bySize = [...stores].sort((a, b) => count(b) - count(a) || a - b);
  const ascending = [...stores].sort((a, b) => count(a) - count(b) || a - b);
  for (const source of bySize) {
    for (const target of ascending) {
      if (count(source) - count(target) <= tol) break;
      if (!ctx.view.canReceive(target)) continue;
      if (tryMove(source, target)) return true;
    }
  }
  return false;
}

/** Region-balance tolerance for the given counts. */
export function regionTolerance(config: PdConfig, counts: readonly number[]): number {
  return tolerance(counts, config.regionBalanceTolerancePercent, config.regionBalanceMinTolerance);
}

/** Leader-balance tolerance for the given counts. */
export function leaderTolerance(config: PdConfig, counts: readonly number[]): number {
  return tolerance(counts, config.leaderBalanceTolerancePercent, config.leaderBalanceMinTolerance);
}
