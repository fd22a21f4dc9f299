/**
 * Choosing the store that receives a new replica: an up store that reported this term, is
 * not busy, has space and room under its operator limit, and holds no peer of the region;
 * among those the one with the fewest regions (counting running operators), then the most
 * free space, then the lowest id, so that the choice is deterministic.
 */

import type { RegionMeta } from '../meta/types.js';
import { expectedRegionCount, type ScheduleContext } from './schedule-context.js';

/** The best store for a new replica of `region`, or undefined if none fits. */
export function pickTargetStore(ctx: ScheduleContext, region: RegionMeta): number | undefined {
  const { view, controller } = ctx;
  let best: { id: number; count: number; available: number } | undefined;
  for (const store of view.meta.allStores()) {
    const id = store.meta.id;
    if (region.peers.some((p) => p.storeId === id)) continue;
    if (!view.canReceive(id) || !view.hasSpace(id) || !controller.storeHasRoom(id)) continue;
    const candidate = { id, count: expectedRegionCount(ctx, id), available: view.available(id) };
    if (
      !best ||
      candidate.count < best.count ||
      (candidate.count === best.count && candidate.available > best.available)
    ) {
      best = candidate;
    }
  }
  return best?.id;
}
