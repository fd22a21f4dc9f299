/**
 * The operator controller: admits operators within the limits (per scheduler, per store,
 * one per region), advances each as its region's heartbeats show steps done, hands out the
 * command for the current step, and drops operators that time out, become impossible or
 * are overtaken by events (the region split, or vanished). It keeps a bounded history.
 *
 * Operators live in memory only: after a PD failover they are gone, and the checkers find
 * whatever a half-done operator left behind (an extra learner, an extra voter) and tidy it.
 */

import { assert } from '../assert.js';
import type { RegionInfo } from '../cluster/region-info.js';
import type { PdConfig } from '../config.js';
import type { PdLogger } from '../logger.js';
import type { ClusterView } from '../schedule/cluster-view.js';
import { SCHEDULER_NAMES, type SchedulerName } from '../schedule/scheduler-names.js';
import { Operator, type OperatorSpec, type OperatorStatus } from './operator.js';
import type { RegionCommand } from './step.js';
import { checkStep } from './step-check.js';

/** Finished operators kept for status pages and tests: enough to see the last few passes. */
export const OPERATOR_HISTORY_MAX = 256;

/** How running operators will change a store's counts once they finish. */
export interface StoreInfluence {
  regions: number;
  leaders: number;
}

/** Counts for status pages, metrics and the simulation's limit checks. */
export interface OperatorStats {
  readonly runningByScheduler: Readonly<Record<SchedulerName, number>>;
  readonly runningByStore: ReadonlyMap<number, number>;
  readonly ended: Readonly<Record<Exclude<OperatorStatus, 'running'>, number>>;
}

/** Admits, advances and retires operators. */
export class OperatorController {
  private readonly byRegion = new Map<number, Operator>();
  private readonly schedulerCounts = Object.fromEntries(
    SCHEDULER_NAMES.map((n) => [n, 0]),
  ) as Record<SchedulerName, number>;
  private readonly storeCounts = new Map<number, number>();
  private readonly ended = { success: 0, cancelled: 0, timeout: 0, replaced: 0 };
  private readonly finished: Operator[] = [];
  private nextId = 1;

  constructor(
    private readonly config: PdConfig,
    private readonly logger: PdLogger,
  ) {}

  /** The region's running operator, if any. */
  get(regionId: number): Operator | undefined {
    return this.byRegion.get(regionId);
  }

  /** Running operators, oldest first. */
  running(): Operator[] {
    return [...this.byRegion.values()].sort((a, b) => a.id - b.id);
  }

  /** Recently finished operators, oldest first (at most OPERATOR_HISTORY_MAX). */
  history(): readonly Operator[] {
    return this.finished;
  }

  /** Whether the scheduler may start another operator. */
  hasRoom(scheduler: SchedulerName): boolean {
    return this.schedulerCounts[scheduler] < this.config.schedulerLimits[scheduler];
  }

  /** Whether the store may take part in another peer change. */
  storeHasRoom(storeId: number): boolean {
    return (this.storeCounts.get(storeId) ?? 0) < this.config.storeOperatorLimit;
  }

  /**
   * Admits an operator unless a limit forbids it or the region has an operator of equal or
   * higher priority (a lower-priority one is replaced). Returns the operator or undefined.
   */
  add(spec: OperatorSpec, view: ClusterView): Operator | undefined {
    assert(spec.steps.length > 0, 'an operator needs at least one step');
    const existing = this.byRegion.get(spec.regionId);
    if (existing && existing.priority >= spec.priority) return undefined;
    if (!this.hasRoom(spec.scheduler)) return undefined;
    const limited = new Set<number>();
    for (const s of spec.steps) {
      if (s.kind !== 'add-learner' && s.kind !== 'remove-peer') continue;
      // A store that is down does no work to remove a peer, so it is not held back.
      const h = view.storeHealth(s.storeId);
      if (h !== 'down' && h !== 'tombstone' && h !== 'unknown') limited.add(s.storeId);
    }
    for (const storeId of limited) if (!this.storeHasRoom(storeId)) return undefined;
    if (existing) this.end(existing, 'replaced', `replaced by ${spec.scheduler}`, view.nowMs);
    const timeout = spec.steps.every((s) => s.kind === 'transfer-leader')
      ? this.config.leaderOperatorTimeoutMs
      : this.config.peerOperatorTimeoutMs;
    const op = new Operator(
      this.nextId++,
      spec,
      view.nowMs,
      timeout,
      [...limited].sort((a, b) => a - b),
    );
    this.byRegion.set(spec.regionId, op);
    this.schedulerCounts[spec.scheduler]++;
    for (const s of op.limitedStores) this.storeCounts.set(s, (this.storeCounts.get(s) ?? 0) + 1);
    assert(
      this.schedulerCounts[spec.scheduler] <= this.config.schedulerLimits[spec.scheduler],
      'scheduler limit exceeded',
    );
    this.logger.info({ operator: op.id, region: op.regionId }, `created ${op.describe()}`);
    return op;
  }

  /**
   * Advances the region's operator with its latest report and returns the command for the
   * step in progress (undefined: nothing to send now).
   */
  step(region: RegionInfo, view: ClusterView): RegionCommand | undefined {
    const op = this.byRegion.get(region.meta.id);
    if (!op) return undefined;
    if (view.nowMs - op.createdAtMs > op.timeoutMs) {
      this.end(op, 'timeout', `not done within ${op.timeoutMs} ms`, view.nowMs);
      return undefined;
    }
    const epoch = region.meta.epoch;
    const stale = op.splits
      ? epoch.confVer !== op.spec.epoch.confVer
      : epoch.version !== op.spec.epoch.version;
    if (stale) {
      this.end(op, 'cancelled', 'the region changed under the operator', view.nowMs);
      return undefined;
    }
    for (;;) {
      const current = op.currentStep;
      if (!current) {
        this.end(op, 'success', 'all steps done', view.nowMs);
        return undefined;
      }
      const verdict = checkStep(current, op, region, view);
      if (verdict.state === 'done') {
        op.stepIndex++;
        continue;
      }
      if (verdict.state === 'failed') {
        this.end(op, 'cancelled', verdict.reason, view.nowMs);
        return undefined;
      }
      if (!verdict.command || !region.leader) return undefined;
      return {
        regionId: region.meta.id,
        epoch,
        storeId: region.leader.storeId,
        operatorId: op.id,
        command: verdict.command,
      };
    }
  }

  /** Ends operators past their deadline or whose region is no longer known. */
  expire(view: ClusterView): void {
    for (const op of this.running()) {
      if (!view.meta.getRegionById(op.regionId)) {
        this.end(op, 'cancelled', 'the region is gone', view.nowMs);
      } else if (view.nowMs - op.createdAtMs > op.timeoutMs) {
        this.end(op, 'timeout', `not done within ${op.timeoutMs} ms`, view.nowMs);
      }
    }
  }

  /** How the remaining steps of running operators will change per-store counts. */
  influence(): Map<number, StoreInfluence> {
    const out = new Map<number, StoreInfluence>();
    const at = (storeId: number) => {
      let i = out.get(storeId);
      if (!i) {
        i = { regions: 0, leaders: 0 };
        out.set(storeId, i);
      }
      return i;
    };
    for (const op of this.byRegion.values()) {
      for (const s of op.steps.slice(op.stepIndex)) {
        if (s.kind === 'add-learner') at(s.storeId).regions++;
        else if (s.kind === 'remove-peer') at(s.storeId).regions--;
        else if (s.kind === 'transfer-leader') {
          at(s.fromStoreId).leaders--;
          at(s.toStoreId).leaders++;
        }
      }
    }
    return out;
  }

  /** Counts of running and ended operators. */
  stats(): OperatorStats {
    return {
      runningByScheduler: { ...this.schedulerCounts },
      runningByStore: new Map(this.storeCounts),
      ended: { ...this.ended },
    };
  }

  private end(
    op: Operator,
    status: Exclude<OperatorStatus, 'running'>,
    reason: string,
    nowMs: number,
  ): void {
    assert(this.byRegion.get(op.regionId) === op, 'ending an operator that is not running');
    this.byRegion.delete(op.regionId);
    this.schedulerCounts[op.scheduler]--;
    for (const s of op.limitedStores) {
      const n = (this.storeCounts.get(s) ?? 0) - 1;
      assert(n >= 0, 'per-store operator count went negative');
      if (n === 0) this.storeCounts.delete(s);
      else this.storeCounts.set(s, n);
    }
    op.status = status;
    op.endReason = reason;
    op.endedAtMs = nowMs;
    this.ended[status]++;
    this.finished.push(op);
    if (this.finished.length > OPERATOR_HISTORY_MAX) this.finished.shift();
    const log = status === 'success' || status === 'replaced' ? this.logger.info : this.logger.warn;
    log.call(
      this.logger,
      { operator: op.id, region: op.regionId, reason },
      `ended ${op.describe()}`,
    );
  }
}
