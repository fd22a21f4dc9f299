/**
 * Hibernation: idle regions stop ticking and send nothing, so 10,000 idle regions cost a
 * store close to nothing. Liveness is then checked per store pair, not per region.
 *
 * - A leader whose region has been idle for quiesceAfterTicks marks its next heartbeats
 *   "quiesce" and stops ticking; a follower that receives such a heartbeat from its leader
 *   stops too. Any proposal, read or message wakes a peer.
 * - Stores exchange one heartbeat per store pair every storeHeartbeatTicks. When a peer
 *   store is silent for storeDownTicks, the hibernating followers whose leader is there are
 *   woken so they can elect a new leader: at most wakePerTick per tick, and only those (a
 *   region whose leader is alive stays asleep). TiKV once woke every region at once when a
 *   store died; this is the guard against that storm.
 */

import { MessageType, Role } from '@atoll/raft';
import type { RegionPeer } from './region-peer.js';
import type { Store } from './store.js';

/**
 * Messages that do not wake a hibernating peer: a heartbeat response (e.g. to our last,
 * flagged heartbeat), and vote responses, which only a candidate uses. A sleeping peer is a
 * follower or leader: the responses are to a campaign it abandoned when its leader's flagged
 * heartbeat arrived, and woken by them it would time out against the sleeping leader and
 * campaign again, waking the whole region, over and over.
 */
export const NO_WAKE: ReadonlySet<MessageType> = new Set([
  MessageType.HeartbeatResponse,
  MessageType.PreVoteResponse,
  MessageType.VoteResponse,
]);

/**
 * A store presumed down was heard from again (it was only slow: an overloaded machine
 * stalls event loops for longer than storeDownTicks). The followers woken for it that
 * still follow the same leader there go back to sleep, their election clock reset: left
 * awake they would time out against a leader that sleeps and sends nothing, and elect a
 * new one, which under load turns into endless elections across thousands of regions.
 * Those not yet woken stay asleep.
 */
function resleep(store: Store, storeId: number): void {
  for (const peer of store.wakeQueue) {
    if (peer.leaderStoreId() === storeId) store.wakeQueue.delete(peer);
  }
  for (const [peer, leaderStore] of store.wokenForDownStore) {
    if (leaderStore !== storeId) continue;
    store.wokenForDownStore.delete(peer);
    const raft = peer.node.raft;
    if (raft.role !== Role.Follower || peer.leaderStoreId() !== storeId) continue;
    if (peer.hasPendingWork()) continue;
    raft.electionElapsed = 0;
    peer.quiescent = true;
    store.active.delete(peer);
  }
}

/** Wakes a hibernating peer: it ticks again from now on. `cause` is counted for /status. */
export function wake(store: Store, peer: RegionPeer, cause: string): void {
  peer.idleTicks = 0;
  // Work arrived after the flagged heartbeats went out: stay awake (what we send now wakes
  // the followers, and a sleeping leader would leave them to elect a new one).
  peer.quiesceNow = false;
  if (!peer.quiescent) return;
  peer.quiescent = false;
  store.active.add(peer);
  store.wakeCauses.set(cause, (store.wakeCauses.get(cause) ?? 0) + 1);
}

/** Whether this peer's outgoing heartbeats are its last before hibernating. */
export function noteQuiesce(peer: RegionPeer): boolean {
  return peer.quiesceNow;
}

/**
 * Before ticking: leaders that flagged last tick's heartbeats as their last stop now (so
 * they produce no unflagged heartbeat that would wake their followers again).
 */
export function beforeTick(store: Store): void {
  for (const peer of store.active) {
    if (!peer.quiesceNow) continue;
    peer.quiesceNow = false;
    // Still idle since the flagged heartbeats (nothing proposed, nothing replicated).
    if (!peer.isIdleLeader()) continue;
    peer.quiescent = true;
    store.active.delete(peer);
  }
}

export function onTickHibernation(store: Store): void {
  const { quiesceAfterTicks, storeHeartbeatTicks, storeDownTicks, wakePerTick } = store.config;

  for (const peer of store.active) {
    if (!peer.isLeader) continue;
    peer.idleTicks = peer.isIdleLeader() ? peer.idleTicks + 1 : 0;
    // This tick's heartbeats go out flagged; the next tick stops the peer (beforeTick).
    // Only on a tick that sent heartbeats (every heartbeatTicks): a leader that stopped on
    // another tick would tell nobody, and its followers would elect a new leader.
    if (peer.idleTicks >= quiesceAfterTicks && peer.node.raft.heartbeatElapsed === 0)
      peer.quiesceNow = true;
  }

  const others = store.peerStores();
  if (store.tick % storeHeartbeatTicks === 0) {
    for (const storeId of others) store.transport.sendHeartbeat(storeId);
    store.transport.flush();
  }

  for (const storeId of others) {
    // A store we have not heard from yet counts from when we first needed it.
    let heard = store.lastHeard.get(storeId);
    if (heard === undefined) {
      heard = store.tick;
      store.lastHeard.set(storeId, heard);
    }
    const silent = store.tick - heard > storeDownTicks;
    if (silent && !store.downStores.has(storeId)) {
      store.downStores.add(storeId);
      store.logger.warn({ store: store.storeId, peerStore: storeId }, 'peer store presumed down');
      // Only followers whose leader is there need a new election; the others sleep on.
      for (const peer of store.peers.values()) {
        if (peer.quiescent && peer.leaderStoreId() === storeId) store.wakeQueue.add(peer);
      }
    } else if (!silent && store.downStores.has(storeId)) {
      store.downStores.delete(storeId);
      resleep(store, storeId);
    }
  }
  let woken = 0;
  for (const peer of store.wakeQueue) {
    if (woken++ >= wakePerTick) break;
    store.wakeQueue.delete(peer);
    wake(store, peer, 'peer store down');
    store.wokenForDownStore.set(peer, peer.leaderStoreId());
  }
}
