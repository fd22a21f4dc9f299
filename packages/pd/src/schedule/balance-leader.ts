/**
 * Leader balance: moves leadership from the store leading the most regions to the one
 * leading the fewest, among regions with a healthy voter on the target, until the counts
 * differ by no more than the tolerance. Leaders serve every read and write of their region,
 * so their spread is the spread of the load.
 */

import { peerOnStore } from '../meta/epoch.js';
import { balanceStores, leaderTolerance, tryPairs } from './balance.js';
import {
  expectedLeaderCount,
  isSchedulable,
  propose,
  type ScheduleContext,
} from './schedule-context.js';

const NAME = 'balance-leader';

/** The leader balance scheduler. */
export class BalanceLeader {
  /** Creates leader transfer operators within the limit. */
  schedule(ctx: ScheduleContext): void {
    if (!ctx.warm) return;
    const stores = balanceStores(ctx);
    if (stores.length < 2) return;
    const count = (id: number) => expectedLeaderCount(ctx, id);
    while (ctx.controller.hasRoom(NAME)) {
      const tol = leaderTolerance(ctx.view.config, stores.map(count));
      const moved = tryPairs(ctx, stores, count, tol, (source, target) =>
        this.transfer(ctx, source, target),
      );
      if (!moved) return;
    }
  }

  private transfer(ctx: ScheduleContext, source: number, target: number): boolean {
    const { view } = ctx;
    const ids = [...view.meta.leadersOnStore(source)].sort((a, b) => a - b);
    let examined = 0;
    for (const id of ids) {
      if (++examined > view.config.patrolRegionsPerPass) break;
      const region = view.meta.getRegionById(id)!;
      if (!isSchedulable(ctx, region, NAME) || ctx.controller.get(id)) continue;
      const to = peerOnStore(region.meta, target);
      if (!to || to.isLearner || !view.isPeerHealthy(region, to)) continue;
      const op = propose(
        ctx,
        NAME,
        region,
        [{ kind: 'transfer-leader', fromStoreId: source, toStoreId: target }],
        `leader from store ${source} to store ${target}`,
      );
      if (op) return true;
    }
    return false;
  }
}
