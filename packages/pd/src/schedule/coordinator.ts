/**
 * One scheduling pass: retire operators that timed out or lost their region, run the
 * schedulers in priority order (replica repair, split, region balance, leader balance),
 * and return the first command of every operator created, for the wiring layer to push on
 * the regions' heartbeat streams at once. Synchronous: the pass sees one consistent state
 * (ids come from a stock refilled before the pass).
 */

import type { ClusterMeta } from '../cluster/cluster-meta.js';
import type { PdConfig } from '../config.js';
import type { IdPool } from '../id/id-pool.js';
import type { OperatorController } from '../operator/operator-controller.js';
import type { RegionCommand } from '../operator/step.js';
import { BalanceLeader } from './balance-leader.js';
import { BalanceRegion } from './balance-region.js';
import { ClusterView } from './cluster-view.js';
import { ReplicaChecker } from './replica-checker.js';
import type { ScheduleContext } from './schedule-context.js';
import { SplitChecker } from './split-checker.js';

/** What a pass produced. */
export interface PassResult {
  /** First commands of the operators created, to send now. */
  readonly commands: readonly RegionCommand[];
  /** Offline stores that hold no peer any more: ready to become tombstones. */
  readonly emptiedStores: readonly number[];
}

/** Runs the schedulers of one leader term. */
export class Coordinator {
  private readonly replicas = new ReplicaChecker();
  private readonly splits = new SplitChecker();
  private readonly balanceRegion = new BalanceRegion();
  private readonly balanceLeader = new BalanceLeader();

  constructor(
    private readonly meta: ClusterMeta,
    private readonly controller: OperatorController,
    private readonly ids: IdPool,
    private readonly config: PdConfig,
    /** When this leader term began (balance waits for the regions to report). */
    private readonly termStartMs: number,
  ) {}

  /** Runs one pass at time `nowMs`. */
  runPass(nowMs: number): PassResult {
    const view = new ClusterView(this.meta, this.config, nowMs);
    this.controller.expire(view);
    const warm =
      this.meta.reportedRegionCount >= this.meta.regionCount ||
      nowMs - this.termStartMs >= this.config.balanceWarmupMs;
    const ctx: ScheduleContext = {
      view,
      controller: this.controller,
      ids: this.ids,
      warm,
      created: [],
      influence: this.controller.influence(),
    };
    this.replicas.schedule(ctx);
    this.splits.schedule(ctx);
    this.balanceRegion.schedule(ctx);
    this.balanceLeader.schedule(ctx);

    const commands: RegionCommand[] = [];
    for (const op of ctx.created) {
      const region = this.meta.getRegionById(op.regionId)!;
      const command = this.controller.step(region, view);
      if (command) commands.push(command);
    }
    const emptiedStores = this.meta
      .allStores()
      .filter((s) => s.meta.state === 'offline' && this.meta.regionsOnStore(s.meta.id).size === 0)
      .map((s) => s.meta.id);
    return { commands, emptiedStores };
  }
}
