/**
 * The PD core's configuration: every knob with its default and the reason for it, and the
 * validation that turns a bad value into PD_ERR_INVALID_CONFIG at start-up rather than an
 * odd schedule later.
 */

import { PdError, PdErrorCode } from './errors.js';
import { SCHEDULER_NAMES, type SchedulerName } from './schedule/scheduler-names.js';

const MIB = 1024 * 1024;

/** The PD core's settings; see PD_DEFAULTS for the values and the reasons. */
export interface PdConfig {
  /**
   * Voters every region should have, on distinct stores. 3 survives one store failure
   * without losing a quorum; 5 survives two at the cost of more copies and slower writes.
   */
  readonly maxReplicas: number;
  /**
   * A store silent this long is down: its replicas are rebuilt elsewhere. 60 s rides out a
   * restart or a short network blip (rebuilding a replica copies a whole region, so acting on
   * a hiccup costs far more than waiting) yet restores redundancy within minutes.
   */
  readonly maxStoreDownTimeMs: number;
  /**
   * A store silent this long gets no new replicas or leaders (but its own are not rebuilt
   * yet). Two missed 10 s store heartbeats.
   */
  readonly storeDisconnectMs: number;
  /** A region bigger than this is split. 144 MiB, as TiKV: halves of ~72 MiB snapshot in seconds. */
  readonly regionMaxBytes: number;
  /** A region with more keys than this is split (TiKV's default, 1.44 million). */
  readonly regionMaxKeys: number;
  /**
   * A region written faster than this (bytes/s) for `loadSplitDurationMs` is split, so that
   * its halves' leaders can be balanced onto different stores. ~30 MiB/s saturates one
   * region's Raft log on commodity disks (TiKV's byte threshold).
   */
  readonly loadSplitBytesPerSecond: number;
  /** Same, in keys written per second (TiKV's QPS threshold of 3000). */
  readonly loadSplitKeysPerSecond: number;
  /** How long a region must stay over a load threshold before it is split: 10 s ignores bursts. */
  readonly loadSplitDurationMs: number;
  /**
   * Operators each scheduler may have running at once. Repair is generous (redundancy is at
   * stake), splits are cheap, region moves each copy a region, leader transfers are cheap but
   * disturb clients briefly so they go a few at a time.
   */
  readonly schedulerLimits: Readonly<Record<SchedulerName, number>>;
  /**
   * Running operators that may add or remove a peer on one up store at once. Each added peer
   * is a snapshot of up to `regionMaxBytes` streamed into the store: 8 bounds that to ~1 GiB
   * in flight per store while still repairing a dead store's regions 8 at a time per target.
   */
  readonly storeOperatorLimit: number;
  /**
   * An operator that moves data (adds a peer, splits) is dropped after this long. 10 minutes
   * covers a 144 MiB snapshot over a congested link (PD's default).
   */
  readonly peerOperatorTimeoutMs: number;
  /** An operator that only moves leadership is dropped after this long (PD's 10 s). */
  readonly leaderOperatorTimeoutMs: number;
  /**
   * Region balance stops when the fullest and emptiest up stores differ by at most
   * max(regionBalanceMinTolerance, this percentage of the mean region count per store).
   * 5 % avoids shuffling regions back and forth for no gain.
   */
  readonly regionBalanceTolerancePercent: number;
  /** Floor of the region-balance tolerance: one move changes the difference by 2. */
  readonly regionBalanceMinTolerance: number;
  /** Leader balance: same rule over leader counts. */
  readonly leaderBalanceTolerancePercent: number;
  /** Floor of the leader-balance tolerance: one transfer changes the difference by 2. */
  readonly leaderBalanceMinTolerance: number;
  /**
   * A store with less free space than this fraction of its capacity receives no new
   * replicas: it keeps room for compaction and for the data its own regions will grow by.
   */
  readonly minAvailableRatio: number;
  /**
   * Regions examined by the replica and split checkers per scheduling pass (a cursor walks
   * the key space). Bounds one pass to a few milliseconds of CPU however big the cluster.
   */
  readonly patrolRegionsPerPass: number;
  /**
   * Balance schedulers wait after this PD becomes leader until every known region has sent a
   * heartbeat, or this long (the regions' leaders and sizes are not persisted, so until they
   * report the PD would balance on guesses).
   */
  readonly balanceWarmupMs: number;
  /**
   * A region report that would leave keys without any region (one half of a split, the
   * other half not reported yet) is refused for up to this long, so that routing never shows
   * a gap; after it, the report is taken alone. 20 s is four region heartbeats; 0 never holds.
   */
  readonly splitReportGraceMs: number;
}

/** The defaults. See each field for why. */
export const PD_DEFAULTS: PdConfig = {
  maxReplicas: 3,
  maxStoreDownTimeMs: 60_000,
  storeDisconnectMs: 20_000,
  regionMaxBytes: 144 * MIB,
  regionMaxKeys: 1_440_000,
  loadSplitBytesPerSecond: 30 * MIB,
  loadSplitKeysPerSecond: 3_000,
  loadSplitDurationMs: 10_000,
  schedulerLimits: {
    'replica-repair': 64,
    split: 16,
    'balance-region': 16,
    'balance-leader': 8,
  },
  storeOperatorLimit: 8,
  peerOperatorTimeoutMs: 10 * 60_000,
  leaderOperatorTimeoutMs: 10_000,
  regionBalanceTolerancePercent: 5,
  regionBalanceMinTolerance: 2,
  leaderBalanceTolerancePercent: 5,
  leaderBalanceMinTolerance: 2,
  minAvailableRatio: 0.2,
  patrolRegionsPerPass: 4096,
  balanceWarmupMs: 60_000,
  splitReportGraceMs: 20_000,
};

/** A partial configuration; `schedulerLimits` may name only some schedulers. */
export type PdConfigInput = Partial<Omit<PdConfig, 'schedulerLimits'>> & {
  readonly schedulerLimits?: Partial<Record<SchedulerName, number>>;
};

/** Defaults filled in and every value checked; throws PD_ERR_INVALID_CONFIG. */
export function resolveConfig(input: PdConfigInput = {}): PdConfig {
  const config: PdConfig = {
    ...PD_DEFAULTS,
    ...input,
    schedulerLimits: { ...PD_DEFAULTS.schedulerLimits, ...input.schedulerLimits },
  };
  const positiveInts: (keyof PdConfig)[] = [
    'maxReplicas',
    'maxStoreDownTimeMs',
    'storeDisconnectMs',
    'regionMaxBytes',
    'regionMaxKeys',
    'loadSplitBytesPerSecond',
    'loadSplitKeysPerSecond',
    'loadSplitDurationMs',
    'storeOperatorLimit',
    'peerOperatorTimeoutMs',
    'leaderOperatorTimeoutMs',
    'regionBalanceMinTolerance',
    'leaderBalanceMinTolerance',
    'patrolRegionsPerPass',
  ];
  for (const key of positiveInts) checkPositiveInt(config[key], key);
  checkNonNegative(config.balanceWarmupMs, 'balanceWarmupMs');
  checkNonNegative(config.splitReportGraceMs, 'splitReportGraceMs');
  checkNonNegative(config.regionBalanceTolerancePercent, 'regionBalanceTolerancePercent');
  checkNonNegative(config.leaderBalanceTolerancePercent, 'leaderBalanceTolerancePercent');
  for (const name of SCHEDULER_NAMES) {
    checkNonNegative(config.schedulerLimits[name], `schedulerLimits.${name}`);
  }
  if (config.minAvailableRatio < 0 || config.minAvailableRatio >= 1) {
    fail('minAvailableRatio must be in [0, 1)');
  }
  if (config.storeDisconnectMs > config.maxStoreDownTimeMs) {
    fail('storeDisconnectMs must not exceed maxStoreDownTimeMs');
  }
  return config;
}

function checkPositiveInt(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    fail(`${name} must be a positive integer`);
  }
}

function checkNonNegative(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${name} must be a non-negative number`);
  }
}

function fail(message: string): never {
  throw new PdError(PdErrorCode.InvalidConfig, `pd config: ${message}`);
}
