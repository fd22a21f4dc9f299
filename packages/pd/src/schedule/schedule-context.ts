/**
 * What one scheduling pass shares between its schedulers: the cluster view, the operator
 * controller, the id stock, the operators created so far and their influence on per-store
 * counts (so a later decision in the same pass sees the effect of an earlier one and the
 * pass does not pile every move onto the same emptiest store).
 */

import type { RegionInfo } from '../cluster/region-info.js';
import type { IdPool } from '../id/id-pool.js';
import type { Operator, OperatorSpec } from '../operator/operator.js';
import type { OperatorController, StoreInfluence } from '../operator/operator-controller.js';
import type { OperatorStep } from '../operator/step.js';
import type { ClusterView } from './cluster-view.js';
import { SCHEDULER_PRIORITY, type SchedulerName } from './scheduler-names.js';

/** The state of one scheduling pass. */
export interface ScheduleContext {
  readonly view: ClusterView;
  readonly controller: OperatorController;
  readonly ids: IdPool;
  /** Whether balance schedulers may run (the regions have reported since this term began). */
  readonly warm: boolean;
  /** Operators created in this pass, in order. */
  readonly created: Operator[];
  /** Per-store count changes that running and newly created operators will make. */
  readonly influence: Map<number, StoreInfluence>;
}

/** Region count of a store including the influence of running operators. */
export function expectedRegionCount(ctx: ScheduleContext, storeId: number): number {
  return ctx.view.regionCount(storeId) + (ctx.influence.get(storeId)?.regions ?? 0);
}

/** Leader count of a store including the influence of running operators. */
export function expectedLeaderCount(ctx: ScheduleContext, storeId: number): number {
  return ctx.view.leaderCount(storeId) + (ctx.influence.get(storeId)?.leaders ?? 0);
}

/** Admits an operator for `region` through the controller; records it on success. */
export function propose(
  ctx: ScheduleContext,
  scheduler: SchedulerName,
  region: RegionInfo,
  steps: readonly OperatorStep[],
  reason: string,
): Operator | undefined {
  const spec: OperatorSpec = {
    regionId: region.meta.id,
    epoch: region.meta.epoch,
    scheduler,
    priority: SCHEDULER_PRIORITY[scheduler],
    steps,
    reason,
  };
  const op = ctx.controller.add(spec, ctx.view);
  if (!op) return undefined;
  ctx.created.push(op);
  for (const s of steps) {
    if (s.kind === 'add-learner') bump(ctx, s.storeId, 1, 0);
    else if (s.kind === 'remove-peer') bump(ctx, s.storeId, -1, 0);
    else if (s.kind === 'transfer-leader') {
      bump(ctx, s.fromStoreId, 0, -1);
      bump(ctx, s.toStoreId, 0, 1);
    }
  }
  return op;
}

/** Whether the region can be scheduled by `scheduler` now (reported, no blocking operator). */
export function isSchedulable(
  ctx: ScheduleContext,
  region: RegionInfo,
  scheduler: SchedulerName,
): boolean {
  if (!region.leader) return false;
  const running = ctx.controller.get(region.meta.id);
  return !running || running.priority < SCHEDULER_PRIORITY[scheduler];
}

function bump(ctx: ScheduleContext, storeId: number, regions: number, leaders: number): void {
  const i = ctx.influence.get(storeId) ?? { regions: 0, leaders: 0 };
  i.regions += regions;
  i.leaders += leaders;
  ctx.influence.set(storeId, i);
}
