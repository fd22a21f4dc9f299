/**
 * Region balance: moves replicas from the store with the most regions to the one with the
 * fewest (a store that just joined has none) until they differ by no more than the
 * tolerance. A move is add learner on the target, promote, remove the source peer
 * (leadership leaves the source first if it was there). Only healthy regions move: every
 * peer up and caught up, exactly maxReplicas voters, no learner.
 */

import type { RegionInfo } from '../cluster/region-info.js';
import { peerOnStore } from '../meta/epoch.js';
import { balanceStores, regionTolerance, tryPairs } from './balance.js';
import {
  expectedRegionCount,
  isSchedulable,
  propose,
  type ScheduleContext,
} from './schedule-context.js';

const NAME = 'balance-region';

/** The region balance scheduler. */
export class BalanceRegion {
  /** Creates move operators within the limits. */
  schedule(ctx: ScheduleContext): void {
    if (!ctx.warm) return;
    const stores = balanceStores(ctx);
    if (stores.length < 2) return;
    const count = (id: number) => expectedRegionCount(ctx, id);
    while (ctx.controller.hasRoom(NAME)) {
      const tol = regionTolerance(ctx.view.config, stores.map(count));
      const moved = tryPairs(ctx, stores, count, tol, (source, target) =>
        this.move(ctx, source, target),
      );
      if (!moved) return;
    }
  }

  private move(ctx: ScheduleContext, source: number, target: number): boolean {
    const { controller, view } = ctx;
    if (
      !controller.storeHasRoom(source) ||
      !controller.storeHasRoom(target) ||
      !view.hasSpace(target)
    ) {
      return false;
    }
    const region = pickRegion(ctx, source, target);
    if (!region) return false;
    const ids = ctx.ids.take(1);
    if (!ids) return false;
    const peerId = ids[0]!;
    const from = peerOnStore(region.meta, source)!;
    return (
      propose(
        ctx,
        NAME,
        region,
        [
          { kind: 'add-learner', storeId: target, peerId },
          { kind: 'promote-learner', storeId: target, peerId },
          { kind: 'remove-peer', storeId: source, peerId: from.id },
        ],
        `move peer ${from.id} from store ${source} to store ${target} as peer ${peerId}`,
      ) !== undefined
    );
  }
}

/**
 * A healthy region on `source` with no peer on `target`, lowest id first, preferring one
 * whose peer on `source` is a follower (moving it needs no leader transfer).
 */
function pickRegion(ctx: ScheduleContext, source: number, target: number): RegionInfo | undefined {
  const { view } = ctx;
  const ids = [...view.meta.regionsOnStore(source)].sort((a, b) => a - b);
  let leaderCandidate: RegionInfo | undefined;
  let examined = 0;
  for (const id of ids) {
    if (++examined > view.config.patrolRegionsPerPass) break;
    const region = view.meta.getRegionById(id)!;
    if (!isSchedulable(ctx, region, NAME) || ctx.controller.get(id)) continue;
    if (!isMovable(ctx, region) || peerOnStore(region.meta, target)) continue;
    if (region.leader?.storeId !== source) return region;
    leaderCandidate ??= region;
  }
  return leaderCandidate;
}

function isMovable(ctx: ScheduleContext, region: RegionInfo): boolean {
  const peers = region.meta.peers;
  return (
    peers.length === ctx.view.config.maxReplicas &&
    peers.every((p) => !p.isLearner && ctx.view.isPeerHealthy(region, p))
  );
}
