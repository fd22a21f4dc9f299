/**
 * The store's side of the placement driver: store heartbeats, region heartbeats from the
 * regions this store leads, and the scheduling commands PD sends back (add or remove a peer,
 * promote a learner, transfer leadership, split). Commands are checked against the region's
 * current epoch and leadership, and then carried out through Raft like any admin request.
 *
 * It reaches PD only through PdPort (@atoll/pd-client's PdClient satisfies it).
 */

import type { atoll } from '@atoll/proto';
import { ConfChangeTransition, ConfChangeType, ProgressState } from '@atoll/raft';
import { compareBytes, sameEpoch, toProtoRegion } from './region.js';
import type { RegionPeer } from './region-peer.js';
import type { Store } from './store.js';

export interface PdPort {
  storeHeartbeat(stats: atoll.pd.IStoreStats): Promise<void>;
  /** Both halves of a split at once, so PD's map never shows a gap between them. */
  reportSplit(
    left: atoll.meta.IRegion,
    right: atoll.meta.IRegion,
    leader: atoll.meta.IPeer,
  ): Promise<void>;
  regionHeartbeat(request: atoll.pd.IRegionHeartbeatRequest): void;
  onRegionCommand(handler: (command: atoll.pd.IRegionHeartbeatResponse) => void): void;
}

export interface PdWorkerOptions {
  /** Ticks between store heartbeats (PD judges a store down by their absence). */
  readonly storeHeartbeatTicks: number;
  /** Ticks between region heartbeats of an active region this store leads. */
  readonly regionHeartbeatTicks: number;
  /** Ticks between region heartbeats of a hibernating region (it changes rarely). */
  readonly quiescentRegionHeartbeatTicks: number;
  /** Bytes of disk this store may use, and bytes free (statfs of the data folder). */
  readonly capacity: () => { capacity: number; available: number };
}

export const PD_WORKER_DEFAULTS: Omit<PdWorkerOptions, 'capacity'> = {
  // At 50 ms ticks: a store heartbeat a second, a region heartbeat every 5 s (30 s asleep).
  storeHeartbeatTicks: 20,
  regionHeartbeatTicks: 100,
  quiescentRegionHeartbeatTicks: 600,
};

/**
 * A follower this far behind the commit index is reported "pending" (not promotable), as is
 * one the leader does not yet know to match its log (probing, or receiving a snapshot).
 */
const PENDING_LAG_ENTRIES = 64;
/** Region heartbeats are considered once per this many ticks (one scan over the regions). */
const REGION_SCAN_TICKS = 10;
/** Keys counted at most when looking for a region's middle key. */
const MIDDLE_KEY_SCAN_MAX = 2_000_000;

interface Reported {
  tick: number;
  confVer: number;
  version: number;
  term: number;
  /** Ids of the pending and of the down peers reported, e.g. "4,7|9". */
  peerStates: string;
}

export class PdWorker {
  private readonly reported = new Map<number, Reported>();
  private lastStoreHeartbeatTick = 0;
  private storeWrittenKeys = 0;
  private storeWrittenBytes = 0;
  private readonly startedAt: number;

  constructor(
    private readonly store: Store,
    private readonly pd: PdPort,
    private readonly opts: PdWorkerOptions,
  ) {
    this.startedAt = store.env.now();
  }

  start(): void {
    this.pd.onRegionCommand((cmd) => this.onCommand(cmd));
    this.store.tickListeners.push((tick) => this.onTick(tick));
    this.store.splitListeners.push((left, right, leaderPeerId) => {
      this.pd
        .reportSplit(toProtoRegion(left), toProtoRegion(right), {
          id: leaderPeerId,
          storeId: this.store.storeId,
        })
        .catch((e: unknown) => {
          this.store.logger.warn(
            { region: left.id, error: String(e) },
            'reporting a split to PD failed; heartbeats will',
          );
        });
    });
  }

  private onTick(tick: number): void {
    if (tick - this.lastStoreHeartbeatTick >= this.opts.storeHeartbeatTicks) {
      this.sendStoreHeartbeat(tick);
    }
    if (tick % REGION_SCAN_TICKS === 0) {
      for (const peer of this.store.peers.values()) {
        if (peer.isLeader && peer.region.peers.length > 0) this.maybeRegionHeartbeat(peer, tick);
      }
    }
  }

  private sendStoreHeartbeat(tick: number): void {
    const intervalMs = (tick - this.lastStoreHeartbeatTick) * this.store.config.tickMs;
    this.lastStoreHeartbeatTick = tick;
    let leaders = 0;
    for (const p of this.store.peers.values()) if (p.isLeader) leaders++;
    const { capacity, available } = this.opts.capacity();
    const stats: atoll.pd.IStoreStats = {
      storeId: this.store.storeId,
      capacity,
      available,
      usedSize: Math.max(0, capacity - available),
      regionCount: this.store.peers.size,
      leaderCount: leaders,
      bytesWritten: this.storeWrittenBytes,
      keysWritten: this.storeWrittenKeys,
      startTimeMs: this.startedAt,
      intervalMs,
      isBusy: false,
    };
    this.storeWrittenBytes = 0;
    this.storeWrittenKeys = 0;
    this.pd.storeHeartbeat(stats).catch((e: unknown) => {
      this.store.logger.warn(
        { store: this.store.storeId, error: String(e) },
        'store heartbeat to PD failed',
      );
    });
  }

  private maybeRegionHeartbeat(peer: RegionPeer, tick: number): void {
    const last = this.reported.get(peer.region.id);
    const term = peer.node.raft.term;
    // A sleeping leader has every peer caught up: nothing to compute.
    const pending = peer.quiescent ? [] : pendingPeers(peer);
    const down = this.downPeers(peer);
    // PD waits on these to promote a learner or replace a lost peer: report changes at once
    // rather than at the next periodic heartbeat (up to 30 s away for a sleeping region).
    const peerStates = `${pending.map((p) => p.id).join()}|${down.map((d) => d.peer?.id).join()}`;
    const changed =
      !last ||
      last.term !== term ||
      last.confVer !== peer.region.epoch.confVer ||
      last.version !== peer.region.epoch.version ||
      last.peerStates !== peerStates;
    const every = peer.quiescent
      ? this.opts.quiescentRegionHeartbeatTicks
      : this.opts.regionHeartbeatTicks;
    if (!changed && tick - last.tick < every) return;
    const intervalMs = last ? (tick - last.tick) * this.store.config.tickMs : 0;
    this.reported.set(peer.region.id, { tick, term, ...peer.region.epoch, peerStates });
    this.storeWrittenBytes += peer.writtenBytes;
    this.storeWrittenKeys += peer.writtenKeys;
    this.pd.regionHeartbeat({
      region: toProtoRegion(peer.region),
      leader: { id: peer.peerId, storeId: this.store.storeId },
      downPeers: down,
      pendingPeers: pending,
      approximateSize: peer.approxBytes,
      approximateKeys: peer.approxKeys,
      bytesWritten: peer.writtenBytes,
      keysWritten: peer.writtenKeys,
      intervalMs,
    });
    peer.writtenBytes = 0;
    peer.writtenKeys = 0;
  }

  private downPeers(peer: RegionPeer): atoll.pd.IPeerStats[] {
    const out: atoll.pd.IPeerStats[] = [];
    for (const p of peer.region.peers) {
      if (p.storeId === this.store.storeId || !this.store.downStores.has(p.storeId)) continue;
      const heard = this.store.lastHeard.get(p.storeId) ?? 0;
      out.push({
        peer: { id: p.id, storeId: p.storeId, role: p.isLearner ? 1 : 0 },
        downSeconds: Math.floor(((this.store.tick - heard) * this.store.config.tickMs) / 1000),
      });
    }
    return out;
  }

  /** Carries out a scheduling command if it still applies (same epoch, still the leader). */
  onCommand(cmd: atoll.pd.IRegionHeartbeatResponse): void {
    const regionId = Number(cmd.regionId ?? 0);
    const peer = this.store.peers.get(regionId);
    if (!peer?.isLeader) return;
    const epoch = {
      confVer: Number(cmd.regionEpoch?.confVer ?? 0),
      version: Number(cmd.regionEpoch?.version ?? 0),
    };
    if (!sameEpoch(epoch, peer.region.epoch)) return; // stale: PD re-sends once it sees the new epoch
    const route = { regionId, epoch };
    const log = (what: string, outcome: Promise<{ ok: boolean }>) =>
      outcome.then((o) => {
        if (!o.ok)
          this.store.logger.debug(
            { region: regionId, what, outcome: o },
            'PD command not carried out',
          );
      });

    if (cmd.changePeer?.peer) {
      const p = cmd.changePeer.peer;
      const meta = {
        id: Number(p.id),
        storeId: Number(p.storeId),
        isLearner: cmd.changePeer.kind === 1,
      };
      const type = [ConfChangeType.AddVoter, ConfChangeType.AddLearner, ConfChangeType.RemovePeer][
        cmd.changePeer.kind ?? 0
      ]!;
      const peers = type === ConfChangeType.RemovePeer ? [] : [meta];
      void log(
        `change-peer ${ConfChangeType[type]} ${meta.id}`,
        this.store.proposeConfChange(
          route,
          { transition: ConfChangeTransition.Auto, changes: [{ type, peerId: meta.id }] },
          peers,
        ),
      );
    } else if (cmd.transferLeader?.peer) {
      this.store.transferLeader(route, Number(cmd.transferLeader.peer.id));
    } else if (cmd.splitRegion) {
      const s = cmd.splitRegion;
      const key = s.splitKey && s.splitKey.length > 0 ? s.splitKey : this.middleKey(peer);
      if (!key) return;
      void log(
        'split',
        this.store.proposeSplit(
          route,
          key,
          Number(s.newRegionId),
          (s.newPeerIds ?? []).map(Number),
        ),
      );
    }
  }

  /** The region's middle key by a key-only scan (undefined if it has fewer than two keys). */
  middleKey(peer: RegionPeer): Uint8Array | undefined {
    const keys = this.store.storage.scan({
      start: peer.region.startKey,
      end: peer.region.endKey,
      limit: MIDDLE_KEY_SCAN_MAX,
      reverse: false,
      keyOnly: true,
    });
    peer.approxKeys = keys.length;
    if (keys.length < 2) return undefined;
    const middle = keys[Math.floor(keys.length / 2)]!.key;
    return compareBytes(middle, peer.region.startKey) > 0 ? middle : undefined;
  }
}

/** The peers a leader reports as not promotable: not known to match, or too far behind. */
export function pendingPeers(peer: RegionPeer): atoll.meta.IPeer[] {
  const progress = peer.node.status().progress;
  if (!progress) return [];
  const committed = peer.node.raft.log.committed;
  const out: atoll.meta.IPeer[] = [];
  for (const p of peer.region.peers) {
    const pr = progress.get(p.id);
    if (!pr || p.id === peer.peerId) continue;
    // A new learner has matched nothing and is probed first: with a short log the lag alone
    // would call it caught up, and PD would promote a voter that does not exist yet.
    if (pr.state !== ProgressState.Replicate || pr.matchIndex + PENDING_LAG_ENTRIES < committed) {
      out.push({ id: p.id, storeId: p.storeId, role: p.isLearner ? 1 : 0 });
    }
  }
  return out;
}
