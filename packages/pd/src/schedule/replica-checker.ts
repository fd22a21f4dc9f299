/**
 * Replica repair: keeps every region at `maxReplicas` voters on distinct, live stores.
 *
 * - A peer lost with its store (down for maxStoreDownTimeMs, removed) or reported down by
 *   the leader for as long is replaced: add a learner on a suitable store, wait until it has
 *   caught up, promote it, remove the lost peer. Adding before removing keeps the region's
 *   fault tolerance from dropping further while the new copy fills (Raft thesis §4.2.1:
 *   new servers join as non-voting members until they catch up).
 * - Peers on a store being decommissioned (offline) are moved away the same way.
 * - A region with too few voters gets new ones (that is how a freshly bootstrapped cluster
 *   grows from one replica to three as stores join); one with too many loses the surplus.
 * - Learners no operator is waiting for (left behind by an operator that timed out, was
 *   replaced, or was forgotten in a PD failover) are promoted if voters are missing, else
 *   removed.
 *
 * Regions on stores in trouble are checked first; the rest by a patrol cursor.
 */

import type { RegionInfo } from '../cluster/region-info.js';
import type { PeerMeta } from '../meta/types.js';
import type { OperatorStep } from '../operator/step.js';
import { Patrol } from './patrol.js';
import {
  expectedRegionCount,
  isSchedulable,
  propose,
  type ScheduleContext,
} from './schedule-context.js';
import { pickTargetStore } from './target-store.js';

const NAME = 'replica-repair';

/** A decision: the steps and why. */
interface Repair {
  readonly steps: readonly OperatorStep[];
  readonly reason: string;
}

/** The replica repair scheduler. */
export class ReplicaChecker {
  private readonly patrol = new Patrol();

  /** Creates repair operators within the limits. */
  schedule(ctx: ScheduleContext): void {
    const seen = new Set<number>();
    const visit = (region: RegionInfo): boolean => {
      if (seen.has(region.meta.id)) return true;
      seen.add(region.meta.id);
      if (!ctx.controller.hasRoom(NAME)) return false;
      this.check(ctx, region);
      return true;
    };
    // Regions with a peer on a store in trouble come first: they are the urgent ones.
    for (const store of ctx.view.meta.allStores()) {
      const h = ctx.view.storeHealth(store.meta.id);
      if (h !== 'down' && h !== 'offline' && h !== 'tombstone') continue;
      const ids = [...ctx.view.meta.regionsOnStore(store.meta.id)].sort((a, b) => a - b);
      for (const id of ids) if (!visit(ctx.view.meta.getRegionById(id)!)) return;
    }
    this.patrol.walk(ctx.view.meta, ctx.view.config.patrolRegionsPerPass, visit);
  }

  private check(ctx: ScheduleContext, region: RegionInfo): void {
    if (!isSchedulable(ctx, region, NAME)) return;
    const repair = decideRepair(ctx, region);
    if (repair) propose(ctx, NAME, region, repair.steps, repair.reason);
  }
}

/** What, if anything, the region needs; undefined when it is fine or nothing can be done. */
export function decideRepair(ctx: ScheduleContext, region: RegionInfo): Repair | undefined {
  const { view } = ctx;
  const max = view.config.maxReplicas;
  const peers = region.meta.peers;
  const lost = (p: PeerMeta) => view.isPeerDead(region, p) || view.isPeerLeaving(p);
  const voters = peers.filter((p) => !p.isLearner);
  const learners = peers.filter((p) => p.isLearner);
  // Anything else running on the region (a balance move) may own its learner or its extra
  // voter: only a lost peer justifies stepping in.
  const othersRunning = ctx.controller.get(region.meta.id) !== undefined;

  // With most voters lost the region has no quorum: no membership change can commit, so
  // there is nothing to schedule (recovering it needs an operator's unsafe recovery).
  const deadVoters = voters.filter((p) => view.isPeerDead(region, p)).length;
  if (deadVoters * 2 >= voters.length) return undefined;

  const lostLearner = learners.find(lost);
  if (lostLearner) return remove(lostLearner, 'remove a lost learner');

  const lostVoter = voters.find(lost);
  if (lostVoter) {
    const why = view.isPeerDead(region, lostVoter) ? 'lost' : 'leaving';
    if (voters.length > max)
      return remove(lostVoter, `remove ${why} voter ${lostVoter.id} (surplus)`);
    // A caught-up learner already there (say, from a move this repair replaces) is reused.
    const spare = learners.find((l) => !view.isPeerPending(region, l));
    if (spare) {
      return {
        steps: [promote(spare), removeStep(lostVoter)],
        reason: `replace ${why} voter ${lostVoter.id} with learner ${spare.id}`,
      };
    }
    return addVoter(ctx, region, [removeStep(lostVoter)], `replace ${why} voter ${lostVoter.id}`);
  }
  if (othersRunning) return undefined;

  const orphan = learners[0];
  if (orphan) {
    if (voters.length < max) {
      return { steps: [promote(orphan)], reason: `promote orphan learner ${orphan.id}` };
    }
    return remove(orphan, `remove orphan learner ${orphan.id}`);
  }
  if (voters.length < max) {
    return addVoter(ctx, region, [], `add a voter (${voters.length} of ${max})`);
  }
  if (voters.length > max) {
    const victim = pickSurplus(ctx, voters);
    return remove(victim, `remove surplus voter ${victim.id} (${voters.length} of ${max})`);
  }
  return undefined;
}

/** add learner on the best store, promote it, then `after`; undefined if no store fits. */
function addVoter(
  ctx: ScheduleContext,
  region: RegionInfo,
  after: OperatorStep[],
  reason: string,
): Repair | undefined {
  const storeId = pickTargetStore(ctx, region.meta);
  if (storeId === undefined) return undefined;
  const ids = ctx.ids.take(1);
  if (!ids) return undefined;
  const peerId = ids[0]!;
  return {
    steps: [
      { kind: 'add-learner', storeId, peerId },
      { kind: 'promote-learner', storeId, peerId },
      ...after,
    ],
    reason: `${reason}: new peer ${peerId} on store ${storeId}`,
  };
}

/** The surplus voter to drop: on the store with the most regions, ties to the higher id. */
function pickSurplus(ctx: ScheduleContext, voters: readonly PeerMeta[]): PeerMeta {
  let victim = voters[0]!;
  for (const p of voters) {
    const a = expectedRegionCount(ctx, p.storeId);
    const b = expectedRegionCount(ctx, victim.storeId);
    if (a > b || (a === b && p.storeId > victim.storeId)) victim = p;
  }
  return victim;
}

function remove(peer: PeerMeta, reason: string): Repair {
  return { steps: [removeStep(peer)], reason };
}

function removeStep(peer: PeerMeta): OperatorStep {
  return { kind: 'remove-peer', storeId: peer.storeId, peerId: peer.id };
}

function promote(peer: PeerMeta): OperatorStep {
  return { kind: 'promote-learner', storeId: peer.storeId, peerId: peer.id };
}
