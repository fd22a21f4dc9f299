/**
 * Log compaction: a region's log is cut once it holds logCompactEntries applied entries.
 * The applied data already covers them; a follower that still needs them gets a snapshot.
 * A leader keeps what its recently active followers still need, unless they lag so far
 * that a snapshot is cheaper than the log (twice the threshold).
 */

import type { RegionPeer } from './region-peer.js';
import type { StoreBatch } from './storage-port.js';

export function maybeCompactLog(peer: RegionPeer, batch: StoreBatch, threshold: number): void {
  const first = peer.log.firstIndex();
  const applied = peer.appliedIndex;
  if (applied - first + 1 < threshold) return;
  let target = applied;
  if (peer.isLeader) {
    let minMatch = applied;
    for (const [id, pr] of peer.node.raft.trk.progress) {
      if (id !== peer.peerId && pr.recentActive) minMatch = Math.min(minMatch, pr.matchIndex);
    }
    if (applied - minMatch < 2 * threshold) target = minMatch;
  }
  if (target >= first) batch.compactLog(peer.region.id, target);
}
