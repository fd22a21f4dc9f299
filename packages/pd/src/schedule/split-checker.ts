/**
 * Splits regions that grew too big (over regionMaxBytes or regionMaxKeys, as the leader
 * reports them) or that have been written too fast for too long (load split: the halves'
 * leaders can then live on different stores). The split key is the store's reported
 * approximate middle key when one is known, else the store picks it when it executes the
 * split. The new region's id and its peers' ids are allocated up front and travel in the
 * command, so a repeated command cannot create two regions.
 */

import type { RegionInfo } from '../cluster/region-info.js';
import { Patrol } from './patrol.js';
import { isSchedulable, propose, type ScheduleContext } from './schedule-context.js';

const NAME = 'split';

/** The split scheduler. */
export class SplitChecker {
  private readonly patrol = new Patrol();

  /** Creates split operators within the limit. */
  schedule(ctx: ScheduleContext): void {
    this.patrol.walk(ctx.view.meta, ctx.view.config.patrolRegionsPerPass, (region) => {
      if (!ctx.controller.hasRoom(NAME)) return false;
      // A split waits for any running operator (a move finishes within its timeout) rather
      // than cut it short and leave a stray learner behind.
      if (!isSchedulable(ctx, region, NAME) || ctx.controller.get(region.meta.id)) return true;
      const reason = splitReason(ctx, region);
      if (!reason) return true;
      const ids = ctx.ids.take(1 + region.meta.peers.length);
      if (!ids) return false;
      const [newRegionId, ...newPeerIds] = ids as [number, ...number[]];
      propose(
        ctx,
        NAME,
        region,
        [{ kind: 'split-region', splitKey: region.splitKeyHint, newRegionId, newPeerIds }],
        reason,
      );
      return true;
    });
  }
}

/** Why the region should be split now, or undefined. */
export function splitReason(ctx: ScheduleContext, region: RegionInfo): string | undefined {
  const c = ctx.view.config;
  if (region.approximateSize > c.regionMaxBytes) {
    return `size ${region.approximateSize} B over ${c.regionMaxBytes} B`;
  }
  if (region.approximateKeys > c.regionMaxKeys) {
    return `${region.approximateKeys} keys over ${c.regionMaxKeys}`;
  }
  // A single key cannot be split, however hot it is.
  if (region.hotSinceMs !== undefined && region.approximateKeys !== 1) {
    const hotMs = ctx.view.nowMs - region.hotSinceMs;
    if (hotMs >= c.loadSplitDurationMs) {
      return `written at ${Math.round(region.writtenBytesPerSecond)} B/s, ${Math.round(region.writtenKeysPerSecond)} keys/s for ${hotMs} ms`;
    }
  }
  return undefined;
}
