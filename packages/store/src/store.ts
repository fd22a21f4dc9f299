/**
 * A store: one process hosting many region peers. It routes inbound Raft messages and client
 * requests to peers and drives them all with one store-wide tick and one loop (store-loop.ts)
 * that persists every peer's Ready in one batch. Hibernation and store liveness live in
 * hibernation.ts; snapshots in snapshots.ts.
 *
 * It is not a server: gRPC adapters (env/) call into it, and it reaches the world only through
 * its injected storage, transport and environment.
 */

import {
  type ConfChange,
  isRaftError,
  MessageType,
  RaftErrorCode,
  type RaftLogger,
  type Role,
  silentLogger,
} from '@atoll/raft';
import { encodeChangePeers, SPLIT_INIT_INDEX } from './apply.js';
import { type Command, encodeCommand, type WriteOp } from './command-codec.js';
import type { RaftEnvelope, RaftTransport, TransportHandlers } from './env/transport.js';
import { isStoreError, StoreError, StoreErrorCode } from './errors.js';
import { beforeTick, NO_WAKE, onTickHibernation, wake } from './hibernation.js';
import { StoreMetrics } from './metrics.js';
import {
  collectStale,
  isFromRemovedPeer,
  maybeCreateFromMessage,
  sendTombstone,
} from './peers-from-messages.js';
import { messageFromProto } from './raft-codec.js';
import {
  compareBytes,
  type Epoch,
  type PeerMeta,
  type RegionMeta,
  sameEpoch,
  type Tombstone,
  tombstoneOf,
} from './region.js';
import {
  epochNotMatch,
  notLeader,
  proposalDropped,
  type RegionError,
  regionNotFound,
  serverIsBusy,
} from './region-errors.js';
import { READS_WAITING_MAX, RegionPeer, type WriteOutcome } from './region-peer.js';
import { RequestTable } from './request-table.js';
import { moveLeadersAway } from './shutdown.js';
import { receiveSnapshot, releaseSnapshots, snapshotSource } from './snapshots.js';
import type { RegionState, StoreStorage } from './storage-port.js';
import type { StoreConfig } from './store-config.js';
import type { StoreEnv } from './store-env.js';
import { runLoop } from './store-loop.js';
import { writeBytes } from './write-proposals.js';

/** Gauges (regions, leaders, hibernating) are refreshed every so many ticks: a full scan. */
const GAUGE_EVERY_TICKS = 20;

/** Most regions an EpochNotMatch answer carries; the client asks PD for the rest. */
const EPOCH_NOT_MATCH_REGIONS_MAX = 16;

export interface StoreDeps {
  readonly config: StoreConfig;
  readonly storage: StoreStorage;
  readonly transport: RaftTransport;
  readonly env: StoreEnv;
  readonly logger?: RaftLogger;
  /** Called when the store must stop (storage failed): nothing more can be made durable. */
  readonly onFatal?: (error: Error) => void;
}

/** What a read request checks before it is served. */
export interface RequestRoute {
  readonly regionId: number;
  readonly epoch: Epoch;
}

export class Store implements TransportHandlers {
  readonly config: StoreConfig;
  readonly storage: StoreStorage;
  readonly transport: RaftTransport;
  readonly env: StoreEnv;
  readonly logger: RaftLogger;
  /** Peers by region id. */
  readonly peers = new Map<number, RegionPeer>();
  /**
   * Regions whose peer was removed from this store: that peer's id and the region's
   * membership version after the removal. Messages to it, or sent before a later membership
   * change, are dropped; a peer added later (a higher version) may be created here again.
   * Peer ids alone cannot tell: PD allocates them from batches, so a later peer may have a
   * smaller id.
   */
  readonly tombstones = new Map<number, Tombstone>();
  /** Peers that are not hibernating: the only ones ticked. */
  readonly active = new Set<RegionPeer>();
  /** Peers touched since the last loop iteration. */
  dirty = new Set<RegionPeer>();
  /**
   * Regions being created here (by a split or a bootstrap) whose batch is not durable yet:
   * not to be created from messages meanwhile, or a second peer would shadow the first.
   */
  readonly creating = new Set<number>();
  /** Peers asking for a snapshot to be generated between batches. */
  readonly snapshotRequests = new Set<RegionPeer>();
  tick = 0;
  /** Last tick at which each peer store was heard from. */
  readonly lastHeard = new Map<number, number>();
  /** Followers to wake because their leader's store went silent, at most wakePerTick a tick. */
  readonly wakeQueue = new Set<RegionPeer>();
  /** Followers woken because their leader's store went silent, by that store. */
  readonly wokenForDownStore = new Map<RegionPeer, number>();
  /** Why hibernating peers were woken, counted (shown on /status). */
  readonly wakeCauses = new Map<string, number>();
  /** Peer stores presumed down (silent for storeDownTicks). */
  readonly downStores = new Set<number>();
  private peerStoresCache: Set<number> | undefined;
  looping = false;
  private loopScheduled = false;
  private stopTicker: (() => void) | undefined;
  stopped = false;
  failed: Error | undefined;
  readonly metrics: StoreMetrics;

  constructor(private readonly deps: StoreDeps) {
    this.config = deps.config;
    this.storage = deps.storage;
    this.transport = deps.transport;
    this.env = deps.env;
    this.logger = deps.logger ?? silentLogger;
    this.metrics = new StoreMetrics({ store: String(deps.config.storeId) });
  }

  get storeId(): number {
    return this.config.storeId;
  }

  /** Loads every region from storage, creates its peer and starts ticking. */
  start(): void {
    for (const st of this.storage.loadRegionStates()) {
      if (st.tombstone) this.tombstones.set(st.region.id, tombstoneOf(st.peerId, st.region));
      else this.createPeer(st);
    }
    this.stopTicker = this.env.every(this.config.tickMs, () => this.onTick());
    this.logger.info({ store: this.storeId, regions: this.peers.size }, 'store started');
  }

  /**
   * Stops gracefully: moves leadership away (at most `deadlineTicks`), then stops. Use
   * stop() alone to stop at once.
   */
  async shutdown(deadlineTicks: number): Promise<void> {
    if (!this.stopped) await moveLeadersAway(this, deadlineTicks);
    await this.stop();
  }

  /** Stops ticking and fails what is waiting. Leaders are not moved: see shutdown(). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTicker?.();
    const outcome = {
      ok: false as const,
      error: new StoreError(StoreErrorCode.ShuttingDown, 'the store is stopping', true),
    };
    for (const peer of this.peers.values()) peer.failAll(outcome, true);
    while (this.looping) await new Promise<void>((resolve) => this.env.defer(resolve));
    releaseSnapshots(this);
  }

  /**
   * Creates a region on this store from nothing (static placement or cluster bootstrap):
   * its log starts at the same fixed position on every replica, so no snapshot is needed.
   */
  async bootstrapRegion(region: RegionMeta): Promise<void> {
    if (this.knowsRegion(region.id)) return;
    const mine = region.peers.find((p) => p.storeId === this.storeId);
    if (!mine)
      throw new StoreError(
        StoreErrorCode.InvalidAdmin,
        `region ${region.id} has no peer on store ${this.storeId}`,
      );
    const state: RegionState = {
      region,
      peerId: mine.id,
      tombstone: false,
      appliedIndex: SPLIT_INIT_INDEX,
      confState: {
        voters: region.peers.filter((p) => !p.isLearner).map((p) => p.id),
        votersOutgoing: [],
        learners: region.peers.filter((p) => p.isLearner).map((p) => p.id),
        learnersNext: [],
        autoLeave: false,
      },
    };
    const batch = this.storage.newBatch();
    batch.applySnapshotPosition(region.id, SPLIT_INIT_INDEX, SPLIT_INIT_INDEX);
    batch.setHardState(region.id, { term: SPLIT_INIT_INDEX, vote: 0, commit: SPLIT_INIT_INDEX });
    batch.setRegionState(state);
    this.creating.add(region.id);
    try {
      await batch.commit();
    } finally {
      this.creating.delete(region.id);
    }
    this.createPeer(state);
  }

  /** Whether this store has, had (tombstone) or is creating a peer of region `id`. */
  knowsRegion(id: number): boolean {
    return this.peers.has(id) || this.tombstones.has(id) || this.creating.has(id);
  }

  createPeer(st: RegionState): RegionPeer {
    // A second peer would replace the first in `peers` but stay in `active`: an orphan that
    // nothing reaches, campaigning (and waking its region) forever.
    if (this.peers.has(st.region.id))
      throw new Error(`store ${this.storeId} already has a peer of region ${st.region.id}`);
    const log = this.storage.regionLog(st.region.id);
    const peer = new RegionPeer({
      region: st.region,
      peerId: st.peerId,
      log,
      confState: st.confState,
      applied: st.appliedIndex,
      random: this.env.random,
      raft: {
        ...this.config.raft,
        logger: this.logger,
        // A logged batch is durable before the storage shows it: Raft keeps its tail until then.
        storedSeparately: this.storage.logged,
      },
      requests: RequestTable.load(this.storage.loadRequestRecords(st.region.id)),
    });
    log.setSnapshotSource(snapshotSource(this, peer));
    this.peers.set(st.region.id, peer);
    this.regionsChanged();
    this.active.add(peer);
    this.markDirty(peer);
    return peer;
  }

  /** Removes a peer whose region no longer includes this store (after it is durable). */
  destroyPeer(peer: RegionPeer): void {
    const outcome = { ok: false as const, regionError: regionNotFound(peer.region.id) };
    peer.failAll(outcome, true);
    this.peers.delete(peer.region.id);
    this.active.delete(peer);
    this.dirty.delete(peer);
    this.tombstones.set(peer.region.id, tombstoneOf(peer.peerId, peer.region));
    this.wakeQueue.delete(peer);
    this.wokenForDownStore.delete(peer);
    this.regionsChanged();
    this.logger.info(
      { store: this.storeId, region: peer.region.id },
      'peer removed from this store',
    );
  }

  /** Every other store holding a peer of one of our regions (cached; see regionsChanged). */
  peerStores(): ReadonlySet<number> {
    if (!this.peerStoresCache) {
      const out = new Set<number>();
      for (const peer of this.peers.values()) {
        for (const p of peer.region.peers) if (p.storeId !== this.storeId) out.add(p.storeId);
      }
      this.peerStoresCache = out;
    }
    return this.peerStoresCache;
  }

  /** Call when a region's peers change (membership change, split, new or removed peer). */
  regionsChanged(): void {
    this.peerStoresCache = undefined;
  }

  // ---- the loop ---------------------------------------------------------------------------

  markDirty(peer: RegionPeer): void {
    this.dirty.add(peer);
    this.scheduleLoop();
  }

  /** Set while the loop waits for a batch to commit: new work wakes it to prepare the next. */
  loopWaiter: (() => void) | undefined;

  scheduleLoop(): void {
    if (this.looping && this.loopWaiter) {
      const wakeLoop = this.loopWaiter;
      this.loopWaiter = undefined;
      wakeLoop();
    }
    if (this.loopScheduled || this.looping || this.stopped) return;
    this.loopScheduled = true;
    this.env.defer(() => {
      this.loopScheduled = false;
      void this.runLoopSafely();
    });
  }

  private async runLoopSafely(): Promise<void> {
    if (this.looping || this.stopped) return;
    this.looping = true;
    try {
      await runLoop(this);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.looping = false;
    }
    if (this.dirty.size > 0) this.scheduleLoop();
  }

  /** Storage failed: stop serving (fail-stop) rather than acknowledge what is not durable. */
  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    this.stopped = true;
    this.stopTicker?.();
    const outcome = {
      ok: false as const,
      error: new StoreError(
        StoreErrorCode.Storage,
        `storage failed, the store stopped: ${error.message}`,
        false,
      ),
    };
    for (const peer of this.peers.values()) peer.failAll(outcome, true);
    this.logger.warn(
      { store: this.storeId, error: error.message },
      'store stopped: storage failed',
    );
    this.deps.onFatal?.(error);
  }

  private tickWaiters: (() => void)[] = [];
  /** Called on every store tick (the PD worker hangs off this). */
  readonly tickListeners: ((tick: number) => void)[] = [];
  /** Called when a split was applied and is durable, on the store leading the left half. */
  readonly splitListeners: ((
    left: RegionMeta,
    right: RegionMeta,
    leftLeaderPeerId: number,
  ) => void)[] = [];

  /** Resolves at the next store tick (for waits measured in ticks, e.g. shutdown). */
  nextTick(): Promise<void> {
    return new Promise((resolve) => this.tickWaiters.push(resolve));
  }

  private onTick(): void {
    if (this.stopped) return;
    this.tick++;
    const waiters = this.tickWaiters;
    this.tickWaiters = [];
    for (const w of waiters) w();
    beforeTick(this);
    for (const peer of this.active) {
      peer.node.tick();
      peer.expire(this.tick, (what) => timeoutOutcome(what));
      this.dirty.add(peer);
    }
    onTickHibernation(this);
    for (const listener of this.tickListeners) listener(this.tick);
    if (this.tick % GAUGE_EVERY_TICKS === 0) this.updateGauges();
    this.scheduleLoop();
  }

  private updateGauges(): void {
    let leaders = 0;
    let quiescent = 0;
    for (const p of this.peers.values()) {
      if (p.isLeader) leaders++;
      if (p.quiescent) quiescent++;
    }
    this.metrics.regions.set(this.peers.size);
    this.metrics.leaders.set(leaders);
    this.metrics.quiescentRegions.set(quiescent);
  }

  // ---- inbound Raft traffic -------------------------------------------------------------

  onEnvelopes(fromStore: number, envelopes: RaftEnvelope[]): void {
    if (this.stopped) return;
    this.lastHeard.set(fromStore, this.tick);
    for (const env of envelopes) this.onEnvelope(env);
    this.scheduleLoop();
  }

  onStoreHeartbeat(fromStore: number): void {
    this.lastHeard.set(fromStore, this.tick);
  }

  onSnapshot(
    fromStore: number,
    envelope: RaftEnvelope,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    this.lastHeard.set(fromStore, this.tick);
    return receiveSnapshot(this, envelope, chunks);
  }

  private onEnvelope(env: RaftEnvelope): void {
    const regionId = Number(env.regionId ?? 0);
    const toPeer = Number(env.toPeer?.id ?? 0);
    let peer = this.peers.get(regionId);
    if (peer && (env.isTombstone || peer.peerId !== toPeer)) {
      // From a newer membership: our peer is named gone, or the region has another peer on
      // this store now. Either way ours was removed while it could not hear of it.
      const newer = Number(env.epoch?.confVer ?? 0) > peer.region.epoch.confVer;
      if (newer && (peer.peerId === toPeer) === Boolean(env.isTombstone)) collectStale(this, peer);
      return;
    }
    if (env.isTombstone) return;
    if (!peer) {
      peer = maybeCreateFromMessage(this, env);
      if (!peer) return;
    }
    if (isFromRemovedPeer(env, peer)) {
      sendTombstone(this, peer, env);
      return;
    }
    if (env.fromPeer?.id)
      peer.knownPeerStores.set(Number(env.fromPeer.id), Number(env.fromPeer.storeId ?? 0));
    const m = messageFromProto(env.message ?? {});
    try {
      peer.node.step(m);
    } catch (e) {
      if (!isRaftError(e)) throw e;
      this.logger.debug({ region: regionId, code: e.code }, 'dropped a raft message');
    }
    if (env.quiesce && m.from === peer.leaderPeerId && !peer.isLeader) {
      // The leader is idle and has stopped ticking: so can we.
      peer.quiescent = true;
      this.active.delete(peer);
    } else if (peer.quiescent && !NO_WAKE.has(m.type)) {
      wake(this, peer, `message ${MessageType[m.type]}`);
    }
    this.dirty.add(peer);
  }

  // ---- client requests --------------------------------------------------------------------

  /**
   * Finds the leader peer for a request and checks its epoch. Returns the peer or the
   * region error to answer with.
   */
  routeLeader(route: RequestRoute, allowFollower = false): RegionPeer | RegionError {
    const peer = this.peers.get(route.regionId);
    if (!peer || peer.region.peers.length === 0) return regionNotFound(route.regionId);
    if (!sameEpoch(peer.region.epoch, route.epoch)) {
      return epochNotMatch(this.overlappingRegions(peer.region, route.epoch.version), route.epoch);
    }
    if (!allowFollower && !peer.isLeader) return notLeader(peer.region, peer.leaderPeerId);
    return peer;
  }

  /**
   * The regions a client with a stale epoch needs: the region as it is now, and the regions
   * split off it since (the contiguous run of newer regions to its right).
   */
  overlappingRegions(region: RegionMeta, requestedVersion = 0): RegionMeta[] {
    const byStart = [...this.peers.values()]
      .map((p) => p.region)
      .filter((r) => r.peers.length > 0)
      .sort((a, b) => compareBytes(a.startKey, b.startKey));
    const out: RegionMeta[] = [region];
    let end = region.endKey;
    for (const r of byStart) {
      if (out.length >= EPOCH_NOT_MATCH_REGIONS_MAX || end.length === 0) break;
      if (compareBytes(r.startKey, end) === 0 && r.epoch.version > requestedVersion) {
        out.push(r);
        end = r.endKey;
      }
    }
    return out;
  }

  /**
   * Queues a client write for its region's leader; resolves when applied (and durable on a
   * majority) or refused. The loop proposes every write queued for a region in one turn as
   * ONE entry (see write-proposals.ts): per-write Raft, log and apply costs are shared.
   */
  proposeWrites(
    route: RequestRoute,
    writes: WriteOp[],
    requestId?: Uint8Array,
  ): Promise<WriteOutcome> {
    const routed = this.checkServing() ?? this.routeLeader(route);
    if (!(routed instanceof RegionPeer)) return Promise.resolve(asFailure(routed));
    const peer = routed;
    if (peer.tooManyWrites()) {
      return Promise.resolve({
        ok: false,
        regionError: serverIsBusy('too many writes in flight for this region', 10),
      });
    }
    wake(this, peer, 'write');
    const started = this.env.now();
    return new Promise<WriteOutcome>((resolve) => {
      peer.writesQueued.push({
        request: requestId && requestId.length > 0 ? { writes, requestId } : { writes },
        epoch: route.epoch,
        bytes: writeBytes(writes),
        done: (outcome) => {
          this.metrics.writeLatency.observe((this.env.now() - started) / 1000);
          resolve(outcome);
        },
      });
      this.metrics.proposals.inc();
      this.markDirty(peer);
    });
  }

  /** Proposes a split; the new region's ids are given by the caller (PD allocates them). */
  proposeSplit(
    route: RequestRoute,
    splitKey: Uint8Array,
    newRegionId: number,
    newPeerIds: number[],
  ): Promise<WriteOutcome> {
    return this.propose(route, (peer) => {
      // Checked here, not at apply: an apply that refused on some replicas only would split
      // the region on the others.
      if (this.knowsRegion(newRegionId))
        throw new StoreError(StoreErrorCode.InvalidAdmin, `region ${newRegionId} already exists`);
      const command: Command = {
        regionId: route.regionId,
        epoch: peer.region.epoch,
        requests: [],
        split: { splitKey, newRegionId, newPeerIds },
      };
      peer.node.propose(encodeCommand(command));
    });
  }

  /** Proposes a membership change; `peers` names the stores of the peers it adds. */
  proposeConfChange(route: RequestRoute, cc: ConfChange, peers: PeerMeta[]): Promise<WriteOutcome> {
    return this.propose(route, (peer) => {
      peer.node.proposeConfChange({ ...cc, context: encodeChangePeers(peers) });
    });
  }

  /** Asks the region's leader to hand leadership to `toPeerId`. */
  transferLeader(route: RequestRoute, toPeerId: number): RegionError | undefined {
    const peer = this.routeLeader(route);
    if (!(peer instanceof RegionPeer)) return peer;
    wake(this, peer, 'leadership transfer');
    peer.node.transferLeader(toPeerId);
    this.markDirty(peer);
    return undefined;
  }

  /** Proposes an admin command at once (one entry of its own). */
  private propose(route: RequestRoute, submit: (peer: RegionPeer) => void): Promise<WriteOutcome> {
    const routed = this.checkServing() ?? this.routeLeader(route);
    if (!(routed instanceof RegionPeer)) return Promise.resolve(asFailure(routed));
    const peer = routed;
    if (peer.tooManyWrites()) {
      return Promise.resolve({
        ok: false,
        regionError: serverIsBusy('too many writes in flight for this region', 10),
      });
    }
    wake(this, peer, 'write');
    return new Promise<WriteOutcome>((resolve) => {
      try {
        submit(peer);
      } catch (e) {
        if (isRaftError(e, RaftErrorCode.ProposalDropped)) {
          resolve({ ok: false, regionError: proposalDropped(e.details.reason ?? e.message) });
          return;
        }
        if (isStoreError(e)) {
          resolve({ ok: false, error: e });
          return;
        }
        throw e;
      }
      peer.trackProposal(this.tick + this.config.requestTimeoutTicks, [resolve]);
      this.markDirty(peer);
    });
  }

  /**
   * Waits until `route`'s region may be read linearizably (ReadIndex, Raft thesis §6.4),
   * then calls `read` on the peer; resolves with its result or a failure.
   */
  readLinearizable<T>(
    route: RequestRoute,
    read: (peer: RegionPeer) => T,
  ): Promise<T | (WriteOutcome & { ok: false })> {
    const routed = this.checkServing() ?? this.routeLeader(route);
    if (!(routed instanceof RegionPeer)) return Promise.resolve(asFailure(routed));
    const peer = routed;
    if (peer.readsQueued.length >= READS_WAITING_MAX) {
      return Promise.resolve({
        ok: false,
        regionError: serverIsBusy('too many reads waiting for this region', 10),
      });
    }
    wake(this, peer, 'read');
    const started = this.env.now();
    return new Promise((resolve) => {
      peer.readsQueued.push({
        deadlineTick: this.tick + this.config.requestTimeoutTicks,
        serve: (failure) => {
          if (failure) {
            resolve(failure);
            return;
          }
          this.metrics.readLatency.observe((this.env.now() - started) / 1000);
          // The region may have changed while we waited: check again before reading.
          const again = this.routeLeader(route);
          resolve(again instanceof RegionPeer ? read(again) : asFailure(again));
        },
      });
      this.markDirty(peer);
    });
  }

  /** Serves a read from this replica without a linearizability check (stale reads). */
  readStale<T>(
    route: RequestRoute,
    read: (peer: RegionPeer) => T,
  ): T | (WriteOutcome & { ok: false }) {
    const routed = this.checkServing() ?? this.routeLeader(route, true);
    if (!(routed instanceof RegionPeer)) return asFailure(routed);
    return read(routed);
  }

  private checkServing(): RegionError | StoreError | undefined {
    if (this.failed)
      return new StoreError(StoreErrorCode.Storage, `the store stopped: ${this.failed.message}`);
    if (this.stopped)
      return new StoreError(StoreErrorCode.ShuttingDown, 'the store is stopping', true);
    return undefined;
  }

  /** Regions and their roles here, for status pages and tests. */
  describe(): {
    regionId: number;
    peerId: number;
    role: Role;
    leader: number;
    applied: number;
    quiescent: boolean;
    awake?: string;
  }[] {
    return [...this.peers.values()].map((p) => ({
      regionId: p.region.id,
      peerId: p.peerId,
      role: p.node.raft.role,
      leader: p.leaderPeerId,
      applied: p.appliedIndex,
      quiescent: p.quiescent,
      ...(p.quiescent ? {} : { awake: p.awakeReason() }),
    }));
  }
}

function asFailure(e: RegionError | StoreError): WriteOutcome & { ok: false } {
  return e instanceof StoreError ? { ok: false, error: e } : { ok: false, regionError: e };
}

function timeoutOutcome(what: 'read' | 'write'): WriteOutcome & { ok: false } {
  const message =
    what === 'write'
      ? 'the write timed out: it may or may not have been applied'
      : 'the read timed out; retry';
  return { ok: false, error: new StoreError(StoreErrorCode.Timeout, message, what === 'read') };
}
