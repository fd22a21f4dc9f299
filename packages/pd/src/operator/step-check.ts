/**
 * Judging one step against the region's latest heartbeat: done, still to do (with the
 * command that does it, or none while waiting), or impossible (the operator is cancelled).
 * Completion is read from the region as its leader reports it, never assumed from having
 * sent a command: commands can be lost, refused or applied late.
 */

import type { RegionInfo } from '../cluster/region-info.js';
import { peerById, peerOnStore } from '../meta/epoch.js';
import type { PeerMeta } from '../meta/types.js';
import type { ClusterView } from '../schedule/cluster-view.js';
import type { Operator } from './operator.js';
import type { OperatorStep, ScheduleCommand } from './step.js';

/** The verdict on a step. */
export type StepVerdict =
  | { readonly state: 'done' }
  /** Not done: send `command` (if any; none means wait for the region to progress). */
  | { readonly state: 'todo'; readonly command: ScheduleCommand | undefined }
  | { readonly state: 'failed'; readonly reason: string };

const DONE: StepVerdict = { state: 'done' };
const WAIT: StepVerdict = { state: 'todo', command: undefined };

/** Judges `step` of `op` against `region` as `view` sees the cluster. */
export function checkStep(
  step: OperatorStep,
  op: Operator,
  region: RegionInfo,
  view: ClusterView,
): StepVerdict {
  switch (step.kind) {
    case 'add-learner':
      return checkAddLearner(step.storeId, step.peerId, region, view);
    case 'promote-learner':
      return checkPromote(step.storeId, step.peerId, region, view);
    case 'remove-peer':
      return checkRemove(step.peerId, region, view);
    case 'transfer-leader':
      return checkTransfer(step.toStoreId, region, view);
    case 'split-region':
      if (region.meta.epoch.version > op.spec.epoch.version) return DONE;
      return todo({
        kind: 'split-region',
        splitKey: step.splitKey ?? new Uint8Array(),
        newRegionId: step.newRegionId,
        newPeerIds: step.newPeerIds,
      });
  }
}

function checkAddLearner(
  storeId: number,
  peerId: number,
  region: RegionInfo,
  view: ClusterView,
): StepVerdict {
  const peer = peerById(region.meta, peerId);
  if (peer) {
    if (peer.storeId !== storeId) return failed(`peer ${peerId} appeared on store ${peer.storeId}`);
    // Done only once the learner has caught up: promoting a learner still receiving its
    // snapshot would add a voter that cannot vote, weakening the quorum.
    return view.isPeerPending(region, peer) ? WAIT : DONE;
  }
  if (peerOnStore(region.meta, storeId))
    return failed(`store ${storeId} already holds another peer`);
  const h = view.storeHealth(storeId);
  if (h !== 'up' && h !== 'disconnected') return failed(`target store ${storeId} is ${h}`);
  return todo({
    kind: 'change-peer',
    change: 'add-learner',
    peer: { id: peerId, storeId, isLearner: true },
  });
}

function checkPromote(
  storeId: number,
  peerId: number,
  region: RegionInfo,
  view: ClusterView,
): StepVerdict {
  const peer = peerById(region.meta, peerId);
  if (!peer) return failed(`learner ${peerId} disappeared`);
  if (!peer.isLearner) return DONE;
  if (view.isPeerDead(region, peer)) return failed(`learner ${peerId} is lost`);
  if (view.isPeerPending(region, peer)) return WAIT;
  return todo({
    kind: 'change-peer',
    change: 'add-voter',
    peer: { id: peerId, storeId, isLearner: false },
  });
}

function checkRemove(peerId: number, region: RegionInfo, view: ClusterView): StepVerdict {
  const peer = peerById(region.meta, peerId);
  if (!peer) return DONE;
  if (region.leader?.id === peerId) {
    // A leader does not remove itself: hand leadership to the best other voter first.
    const to = pickLeaderTarget(region, view, peerId);
    return to ? todo({ kind: 'transfer-leader', peer: to }) : WAIT;
  }
  return todo({ kind: 'change-peer', change: 'remove', peer });
}

function checkTransfer(toStoreId: number, region: RegionInfo, view: ClusterView): StepVerdict {
  if (region.leader?.storeId === toStoreId) return DONE;
  const target = peerOnStore(region.meta, toStoreId);
  if (!target || target.isLearner) return failed(`store ${toStoreId} holds no voter`);
  if (!view.isPeerHealthy(region, target))
    return failed(`the voter on store ${toStoreId} is not healthy`);
  return todo({ kind: 'transfer-leader', peer: target });
}

/**
 * The healthy voter (other than `excludePeerId`) on the store with the fewest leaders, ties
 * to the lower store id; undefined if there is none.
 */
export function pickLeaderTarget(
  region: RegionInfo,
  view: ClusterView,
  excludePeerId: number,
): PeerMeta | undefined {
  let best: PeerMeta | undefined;
  for (const p of region.meta.peers) {
    if (p.isLearner || p.id === excludePeerId || !view.isPeerHealthy(region, p)) continue;
    if (
      !best ||
      view.leaderCount(p.storeId) < view.leaderCount(best.storeId) ||
      (view.leaderCount(p.storeId) === view.leaderCount(best.storeId) && p.storeId < best.storeId)
    ) {
      best = p;
    }
  }
  return best;
}

function todo(command: ScheduleCommand): StepVerdict {
  return { state: 'todo', command };
}

function failed(reason: string): StepVerdict {
  return { state: 'failed', reason };
}
