/**
 * The placement driver core: the one object the wiring layer talks to. It serves while this
 * process is the leader of the PD's Raft group (becomeLeader() / resign()), answering store
 * and region heartbeats (with scheduling commands), lookups, bootstrap, id allocation, the
 * timestamp oracle and the GC safe point, and runs scheduling passes when asked.
 *
 * Not here: gRPC, the PD's Raft group, timers. The wiring layer calls schedule() and
 * tsoTick() periodically, converts wire messages to these types, and maps PdError codes to
 * wire errors (adding the leader's address to PD_ERR_NOT_LEADER).
 */

import type { Clock } from './clock.js';
import type { ClusterMeta } from './cluster/cluster-meta.js';
import type { RegionHeartbeat, RegionInfo, RegionWithLeader } from './cluster/region-info.js';
import type { StoreInfo, StoreStats } from './cluster/store-info.js';
import { type PdConfig, type PdConfigInput, resolveConfig } from './config.js';
import { invalidArgument, notLeader, PdError, PdErrorCode } from './errors.js';
import type { IdRange } from './id/id-allocator.js';
import { type LeaderTerm, loadLeaderTerm } from './leader-term.js';
import { type PdLogger, silentLogger } from './logger.js';
import { describeRegion, isEpochStale } from './meta/epoch.js';
import type { PeerMeta, RegionMeta, StoreMeta } from './meta/types.js';
import type { Operator } from './operator/operator.js';
import type { OperatorStats } from './operator/operator-controller.js';
import type { RegionCommand } from './operator/step.js';
import { ClusterView, type StoreHealth } from './schedule/cluster-view.js';
import type { MetaStorage } from './storage/meta-storage.js';
import { MetaWriter } from './storage/meta-writer.js';
import type { TsoBatch } from './tso/tso.js';

/** Most regions one scan returns: bounds a response to a few MiB of region descriptions. */
export const SCAN_REGIONS_MAX = 10_000;

/** What the wiring layer provides. */
export interface PlacementDriverOptions {
  /** The cluster this PD serves; requests and stored metadata naming another are refused. */
  readonly clusterId: number;
  readonly storage: MetaStorage;
  readonly clock: Clock;
  readonly config?: PdConfigInput;
  readonly logger?: PdLogger;
}

/** New ids for a split the store decided on its own (AskSplit). */
export interface SplitIds {
  readonly newRegionId: number;
  /** One per peer of the region, in the order of its peers. */
  readonly newPeerIds: readonly number[];
}

/** Running and recent operators, for status pages and tests. */
export interface OperatorsStatus {
  readonly running: readonly Operator[];
  readonly history: readonly Operator[];
  readonly stats: OperatorStats;
}

/** The PD core. */
export class PlacementDriver {
  readonly config: PdConfig;
  readonly clusterId: number;
  private readonly storage: MetaStorage;
  private readonly clock: Clock;
  private readonly logger: PdLogger;
  private term: LeaderTerm | undefined;
  private starting: Promise<void> | undefined;
  /** Bumped by resign(): a start that began before it must not begin serving. */
  private generation = 0;
  private lastWriter: MetaWriter | undefined;

  /** Checks the configuration (PD_ERR_INVALID_CONFIG); does not serve until becomeLeader(). */
  constructor(options: PlacementDriverOptions) {
    if (!Number.isSafeInteger(options.clusterId) || options.clusterId <= 0) {
      throw new PdError(PdErrorCode.InvalidConfig, 'the cluster id must be a positive integer');
    }
    this.config = resolveConfig(options.config);
    this.clusterId = options.clusterId;
    this.storage = options.storage;
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
  }

  // ---- leadership ----

  /**
   * Starts serving: loads everything from MetaStorage and starts the TSO above the last
   * persisted window. Call once this process leads the PD's Raft group and has applied
   * every committed entry. Resolves when serving.
   */
  becomeLeader(): Promise<void> {
    if (this.term) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Stops serving (leadership lost or handed over); resolves once no write is in flight. */
  async resign(): Promise<void> {
    this.generation++;
    const term = this.term;
    this.term = undefined;
    if (!term) return;
    term.tso.stop();
    term.writer.close();
    await term.writer.drain();
    this.logger.info({}, 'PD leader term ended');
  }

  /** Whether this PD serves requests now. */
  get isServing(): boolean {
    return this.term !== undefined;
  }

  /** Throws PD_ERR_CLUSTER_MISMATCH unless `clusterId` is this cluster's. */
  checkClusterId(clusterId: number): void {
    if (clusterId !== this.clusterId) {
      throw new PdError(
        PdErrorCode.ClusterMismatch,
        `request for cluster ${clusterId}, this is cluster ${this.clusterId}`,
        false,
        { clusterId },
      );
    }
  }

  // ---- bootstrap and stores ----

  /** Whether the cluster has been bootstrapped. */
  isBootstrapped(): boolean {
    return this.requireTerm().meta.isBootstrapped();
  }

  /** Bootstraps the cluster: once (PD_ERR_ALREADY_BOOTSTRAPPED afterwards). */
  async bootstrap(store: StoreMeta, region: RegionMeta): Promise<void> {
    return this.requireTerm().meta.bootstrap(store, region);
  }

  /** Registers a store or updates its address. */
  async putStore(store: StoreMeta): Promise<void> {
    return this.requireTerm().meta.putStore(store);
  }

  /** Starts decommissioning a store: its replicas move away, then it becomes a tombstone. */
  async removeStore(storeId: number): Promise<void> {
    return this.requireTerm().meta.setStoreState(storeId, 'offline');
  }

  /** Records a store heartbeat. */
  storeHeartbeat(stats: StoreStats): void {
    this.requireTerm().meta.storeHeartbeat(stats);
  }

  /** The store with this id, if registered. */
  getStore(storeId: number): StoreInfo | undefined {
    return this.requireTerm().meta.getStore(storeId);
  }

  /** Every registered store by id, tombstones included unless excluded. */
  getAllStores(excludeTombstones = false): StoreInfo[] {
    const stores = this.requireTerm().meta.allStores();
    return excludeTombstones ? stores.filter((s) => s.meta.state !== 'tombstone') : stores;
  }

  /** Each store's health as the schedulers judge it now. */
  storesHealth(): Map<number, StoreHealth> {
    const term = this.requireTerm();
    const view = new ClusterView(term.meta, this.config, this.clock.now());
    return new Map(term.meta.allStores().map((s) => [s.meta.id, view.storeHealth(s.meta.id)]));
  }

  // ---- regions ----

  /**
   * Applies a region heartbeat and returns the command for the region's operator, if any,
   * to send back on the region's heartbeat stream. Throws PD_ERR_STALE_EPOCH (changing
   * nothing) for a stale description.
   */
  async regionHeartbeat(hb: RegionHeartbeat): Promise<RegionCommand | undefined> {
    const term = this.requireTerm();
    const info = await term.meta.regionHeartbeat(hb);
    if (this.term !== term) throw notLeader();
    const current = term.meta.getRegionById(info.meta.id) ?? info;
    return term.operators.step(current, new ClusterView(term.meta, this.config, this.clock.now()));
  }

  /**
   * Both halves of a split at once, from the left region's leader. The two in-memory updates
   * run back to back before anything is awaited, so no lookup ever sees the range between
   * them uncovered (reported one by one, there would be a moment with a gap). The right
   * region's leader is taken to be its peer on the reporting store until it reports itself.
   */
  async reportSplit(left: RegionMeta, right: RegionMeta, leader: PeerMeta): Promise<void> {
    const term = this.requireTerm();
    const rightLeader =
      right.peers.find((p) => p.storeId === leader.storeId && !p.isLearner) ??
      right.peers.find((p) => !p.isLearner);
    if (!rightLeader) {
      throw new PdError(PdErrorCode.InvalidRegion, `region ${right.id} has no voter`, false, {
        regionId: right.id,
      });
    }
    await term.meta.regionReports([
      { region: left, leader },
      { region: right, leader: rightLeader },
    ]);
    if (this.term !== term) throw notLeader();
  }

  /** New ids for a split the store decided itself; the region must be known and current. */
  async askSplit(region: RegionMeta): Promise<SplitIds> {
    const term = this.requireTerm();
    const known = term.meta.getRegionById(region.id);
    if (!known) {
      throw new PdError(PdErrorCode.RegionNotFound, `region ${region.id} is not known`, true, {
        regionId: region.id,
      });
    }
    if (isEpochStale(region.epoch, known.meta.epoch)) {
      throw new PdError(PdErrorCode.StaleEpoch, `${describeRegion(region)} is stale`, false, {
        regionId: region.id,
        currentRegions: [known.meta],
      });
    }
    const range = await term.ids.alloc(1 + region.peers.length);
    return {
      newRegionId: range.first,
      newPeerIds: region.peers.map((_, i) => range.first + 1 + i),
    };
  }

  /** The region containing `key` and its leader, if known. */
  getRegion(key: Uint8Array): RegionWithLeader | undefined {
    return withLeader(this.requireTerm().meta.getRegionByKey(key));
  }

  /** The region just before the one containing `key` (reverse scans). */
  getPrevRegion(key: Uint8Array): RegionWithLeader | undefined {
    return withLeader(this.requireTerm().meta.getPrevRegion(key));
  }

  /** The region with this id and its leader, if known. */
  getRegionById(regionId: number): RegionWithLeader | undefined {
    return withLeader(this.requireTerm().meta.getRegionById(regionId));
  }

  /** Up to `limit` (<= SCAN_REGIONS_MAX) regions overlapping [startKey, endKey), in key order. */
  scanRegions(startKey: Uint8Array, endKey: Uint8Array, limit: number): RegionWithLeader[] {
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalidArgument('scan limit must be >= 1');
    return this.requireTerm()
      .meta.scanRegions(startKey, endKey, Math.min(limit, SCAN_REGIONS_MAX))
      .map((r) => withLeader(r)!);
  }

  // ---- ids, timestamps, GC ----

  /** `count` ids never handed out before (across failovers). */
  async allocId(count = 1): Promise<IdRange> {
    return this.requireTerm().ids.alloc(count);
  }

  /** `count` contiguous timestamps above every one handed out before. */
  async tso(count = 1): Promise<TsoBatch> {
    return this.requireTerm().tso.next(count);
  }

  /** Renews the TSO window ahead of time; call every 50-100 ms. */
  async tsoTick(): Promise<void> {
    await this.requireTerm().tso.tick();
  }

  /** The durable GC safe point (a 64-bit timestamp value; 0 if never set). */
  getGcSafePoint(): bigint {
    return this.requireTerm().gcSafePoint.value;
  }

  /** Moves the GC safe point forward (never back); returns the one in force. */
  async updateGcSafePoint(safePoint: bigint): Promise<bigint> {
    return this.requireTerm().gcSafePoint.update(safePoint);
  }

  // ---- scheduling ----

  /**
   * Runs one scheduling pass and returns the first commands of new operators, to push on
   * the regions' heartbeat streams now. Also turns emptied offline stores into tombstones.
   */
  async schedule(): Promise<RegionCommand[]> {
    const term = this.requireTerm();
    await term.idPool.refill();
    if (this.term !== term) throw notLeader();
    const result = term.coordinator.runPass(this.clock.now());
    for (const storeId of result.emptiedStores) {
      await term.meta.setStoreState(storeId, 'tombstone');
      this.logger.info({ store: storeId }, 'offline store emptied: now a tombstone');
    }
    return [...result.commands];
  }

  /** Running and recent operators. */
  operators(): OperatorsStatus {
    const ops = this.requireTerm().operators;
    return { running: ops.running(), history: ops.history(), stats: ops.stats() };
  }

  /** The term's cluster metadata (read-only use: status pages, tests). */
  get clusterMeta(): ClusterMeta {
    return this.requireTerm().meta;
  }

  // ---- internals ----

  private async start(): Promise<void> {
    const generation = this.generation;
    if (this.lastWriter) {
      this.lastWriter.close();
      await this.lastWriter.drain();
    }
    let term: LeaderTerm | undefined;
    const writer = new MetaWriter(this.storage, (error) => this.onStorageFailure(term, error));
    this.lastWriter = writer;
    try {
      term = await loadLeaderTerm(
        {
          clusterId: this.clusterId,
          storage: this.storage,
          clock: this.clock,
          config: this.config,
          logger: this.logger,
        },
        writer,
      );
    } catch (e) {
      writer.close();
      throw e;
    }
    if (writer.isStopped || generation !== this.generation) {
      term.tso.stop();
      writer.close();
      throw notLeader();
    }
    this.term = term;
    this.logger.info(
      { regions: term.meta.regionCount, stores: term.meta.allStores().length },
      'PD leader term started',
    );
  }

  private onStorageFailure(term: LeaderTerm | undefined, error: unknown): void {
    this.logger.warn({ error: String(error) }, 'metadata storage failed: this PD stops serving');
    if (term && this.term === term) {
      this.term = undefined;
      term.tso.stop();
    }
  }

  private requireTerm(): LeaderTerm {
    if (!this.term) throw notLeader();
    return this.term;
  }
}

function withLeader(info: RegionInfo | undefined): RegionWithLeader | undefined {
  return info && { region: info.meta, leader: info.leader };
}
