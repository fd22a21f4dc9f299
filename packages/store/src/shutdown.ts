/**
 * Graceful shutdown: before a store stops it hands leadership of its regions to
 * up-to-date followers on live stores (Raft thesis §3.10), so clients see a leader change
 * rather than an election timeout. Bounded by a deadline; whatever is not moved by then
 * is left to the normal election.
 */

import { ProgressState } from '@atoll/raft';
import { wake } from './hibernation.js';
import type { RegionPeer } from './region-peer.js';
import type { Store } from './store.js';

/** Picks the voter with the most log on a store believed up, or undefined. */
function transferTarget(store: Store, peer: RegionPeer): number | undefined {
  const progress = peer.node.status().progress;
  if (!progress) return undefined;
  let best: { id: number; match: number } | undefined;
  for (const [id, pr] of progress) {
    if (id === peer.peerId || pr.isLearner || pr.state === ProgressState.Snapshot) continue;
    const storeId = peer.storeOfPeer(id);
    if (storeId === undefined || store.downStores.has(storeId)) continue;
    if (!best || pr.matchIndex > best.match) best = { id, match: pr.matchIndex };
  }
  return best?.id;
}

/**
 * Moves leaders away, waiting at most `deadlineTicks` store ticks. Resolves with the number
 * of regions still led here.
 */
export async function moveLeadersAway(store: Store, deadlineTicks: number): Promise<number> {
  const leaders = () => [...store.peers.values()].filter((p) => p.isLeader);
  for (let t = 0; t < deadlineTicks && leaders().length > 0; t++) {
    let movable = 0;
    for (const peer of leaders()) {
      if (peer.node.raft.leadTransferee !== 0) {
        movable++;
        continue;
      }
      const target = transferTarget(store, peer);
      if (target === undefined) continue;
      movable++;
      wake(store, peer, 'shutdown');
      peer.node.transferLeader(target);
      store.markDirty(peer);
    }
    // Nothing can move (e.g. single-replica regions): do not wait out the deadline.
    if (movable === 0) break;
    await store.nextTick();
  }
  const left = leaders().length;
  store.logger.info(
    { store: store.storeId, stillLeading: left },
    'leaders moved away before shutdown',
  );
  return left;
}
