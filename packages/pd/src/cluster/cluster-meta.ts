/**
 * The cluster's metadata for one PD leader term: stores, regions indexed by id, by key
 * range and by store, bootstrap state. Changes apply to memory first (synchronously, so
 * every request sees one consistent state), then go to storage in the same order through
 * the term's MetaWriter; a heartbeat or registration resolves once its change is durable.
 * Heartbeat statistics (store usage, region leaders, sizes, write rates) stay in memory.
 *
 * Not here: loading (cluster-meta-loader.ts) and scheduling (schedule/).
 */

import { assert } from '../assert.js';
import type { Clock } from '../clock.js';
import type { PdConfig } from '../config.js';
import { invalidArgument, PdError, PdErrorCode } from '../errors.js';
import { describeRegion, isEpochStale } from '../meta/epoch.js';
import { bytesEqual, toHex } from '../meta/keys.js';
import type { RegionMeta, StoreMeta, StoreState } from '../meta/types.js';
import { encodeRegion, encodeStore } from '../storage/meta-codec.js';
import { BOOTSTRAP_KEY, regionKey, storeKey } from '../storage/meta-keys.js';
import type { MetaWrite } from '../storage/meta-storage.js';
import type { MetaWriter } from '../storage/meta-writer.js';
import { firstUncovered } from './coverage.js';
import {
  type RegionHeartbeat,
  type RegionInfo,
  regionFromHeartbeat,
  regionFromStorage,
  validateLeader,
  validateRegion,
} from './region-info.js';
import { RegionTree } from './region-tree.js';
import { planRegionUpdate } from './region-update.js';
import { type StoreInfo, type StoreStats, storeAfterHeartbeat } from './store-info.js';
import { StoreRegionIndex } from './store-region-index.js';

const encoder = new TextEncoder();

/** Stores and regions as this PD leader knows them. */
export class ClusterMeta {
  private bootstrapped = false;
  private readonly stores = new Map<number, StoreInfo>();
  private readonly regions = new Map<number, RegionInfo>();
  private readonly tree = new RegionTree();
  private readonly index = new StoreRegionIndex();
  /** Regions that have sent a heartbeat during this term. */
  private reported = 0;

  constructor(
    readonly clusterId: number,
    private readonly config: PdConfig,
    private readonly writer: MetaWriter,
    private readonly clock: Clock,
  ) {}

  // ---- bootstrap ----

  /** Whether the cluster has been bootstrapped. */
  isBootstrapped(): boolean {
    return this.bootstrapped;
  }

  /**
   * Bootstraps the cluster with its first store and its first region (the whole key space,
   * one peer on that store). Once per cluster: PD_ERR_ALREADY_BOOTSTRAPPED afterwards.
   */
  async bootstrap(store: StoreMeta, region: RegionMeta): Promise<void> {
    if (this.bootstrapped) {
      throw new PdError(PdErrorCode.AlreadyBootstrapped, 'the cluster is already bootstrapped');
    }
    validateStore(store);
    validateRegion(region);
    if (region.startKey.length > 0 || region.endKey.length > 0) {
      throw new PdError(PdErrorCode.InvalidRegion, 'the first region must cover every key');
    }
    if (region.peers.some((p) => p.storeId !== store.id || p.isLearner)) {
      throw new PdError(
        PdErrorCode.InvalidRegion,
        'the first region has one voter, on the first store',
      );
    }
    const meta: StoreMeta = { ...store, state: 'up' };
    this.bootstrapped = true;
    this.restoreStore(meta);
    this.restoreRegion(region);
    // The flag goes last: a leader that finds no flag ignores (and clears) the rest.
    await this.writer.write([
      { kind: 'put', key: storeKey(meta.id), value: encodeStore(meta) },
      { kind: 'put', key: regionKey(region.id), value: encodeRegion(region) },
      { kind: 'put', key: BOOTSTRAP_KEY, value: encoder.encode('{"v":1}') },
    ]);
  }

  // ---- stores ----

  /**
   * Registers a store or updates its address. A new store starts `up`; an existing one keeps
   * its state. Refuses tombstones (PD_ERR_STORE_TOMBSTONE) and an address another live store
   * uses (PD_ERR_DUPLICATE_ADDRESS).
   */
  async putStore(store: StoreMeta): Promise<void> {
    this.requireBootstrapped();
    validateStore(store);
    const existing = this.stores.get(store.id);
    if (existing?.meta.state === 'tombstone') throw tombstone(store.id);
    for (const other of this.stores.values()) {
      if (
        other.meta.id !== store.id &&
        other.meta.state !== 'tombstone' &&
        other.meta.address === store.address
      ) {
        throw new PdError(
          PdErrorCode.DuplicateAddress,
          `store ${other.meta.id} already uses address ${store.address}`,
          false,
          { storeId: other.meta.id, address: store.address },
        );
      }
    }
    const meta: StoreMeta = {
      id: store.id,
      address: store.address,
      statusAddress: store.statusAddress,
      version: store.version,
      state: existing?.meta.state ?? 'up',
    };
    const m = existing?.meta;
    if (
      m &&
      m.address === meta.address &&
      m.statusAddress === meta.statusAddress &&
      m.version === meta.version
    ) {
      return;
    }
    this.stores.set(meta.id, {
      meta,
      lastHeartbeatMs: existing?.lastHeartbeatMs ?? this.clock.now(),
      stats: existing?.stats,
      writtenBytesPerSecond: existing?.writtenBytesPerSecond ?? 0,
      writtenKeysPerSecond: existing?.writtenKeysPerSecond ?? 0,
    });
    await this.writer.write([{ kind: 'put', key: storeKey(meta.id), value: encodeStore(meta) }]);
  }

  /**
   * Changes a store's administrative state: `offline` starts decommissioning an up store,
   * `up` cancels it, `tombstone` ends it (only for an offline store that holds no peer).
   */
  async setStoreState(storeId: number, state: StoreState): Promise<void> {
    const store = this.requireStore(storeId);
    const from = store.meta.state;
    if (from === state) return;
    if (from === 'tombstone') throw tombstone(storeId);
    if (state === 'tombstone' && (from !== 'offline' || this.index.regionsOn(storeId).size > 0)) {
      throw invalidArgument(
        `store ${storeId} must be offline and empty before it becomes a tombstone`,
      );
    }
    const meta: StoreMeta = { ...store.meta, state };
    this.stores.set(storeId, { ...store, meta });
    await this.writer.write([{ kind: 'put', key: storeKey(storeId), value: encodeStore(meta) }]);
  }

  /** Records a store heartbeat (memory only). */
  storeHeartbeat(stats: StoreStats): StoreInfo {
    this.requireBootstrapped();
    const store = this.requireStore(stats.storeId);
    if (store.meta.state === 'tombstone') throw tombstone(stats.storeId);
    const next = storeAfterHeartbeat(store, stats, this.clock.now());
    this.stores.set(stats.storeId, next);
    return next;
  }

  /** The store with this id, if registered. */
  getStore(storeId: number): StoreInfo | undefined {
    return this.stores.get(storeId);
  }

  /** Every registered store, by id. */
  allStores(): StoreInfo[] {
    return [...this.stores.values()].sort((a, b) => a.meta.id - b.meta.id);
  }

  // ---- regions ----

  /**
   * Applies a region heartbeat: refuses a stale or malformed description (changing
   * nothing), replaces the regions it overlaps, records the statistics, and resolves once a
   * changed description is durable.
   */
  async regionHeartbeat(hb: RegionHeartbeat): Promise<RegionInfo> {
    return (await this.regionReports([hb]))[0]!;
  }

  /**
   * Several region reports taken together (both halves of a split): they are checked as one
   * for keys they would leave without a region, then applied back to back before anything
   * is awaited, so no lookup sees the state between them.
   */
  async regionReports(hbs: readonly RegionHeartbeat[]): Promise<RegionInfo[]> {
    this.requireBootstrapped();
    for (const hb of hbs) {
      validateRegion(hb.region);
      validateLeader(hb.region, hb.leader);
    }
    this.holdIfGap(hbs);
    return Promise.all(hbs.map((hb) => this.applyReport(hb)));
  }

  /** Since when each region's reports have been held back for leaving a gap. */
  private readonly heldSince = new Map<number, number>();

  /**
   * Throws PD_ERR_SPLIT_PENDING if accepting `hbs` would leave keys that some region covers
   * now without any, until the region's reports have been held for splitReportGraceMs.
   * Stale reports pass through: applying them throws PD_ERR_STALE_EPOCH.
   */
  private holdIfGap(hbs: readonly RegionHeartbeat[]): void {
    const removed: RegionMeta[] = [];
    for (const hb of hbs) {
      const previous = this.regions.get(hb.region.id);
      if (previous && isEpochStale(hb.region.epoch, previous.meta.epoch)) return;
      if (previous && sameRange(previous.meta, hb.region)) continue;
      if (previous) removed.push(previous.meta);
      for (const e of this.tree.overlapping(hb.region.startKey, hb.region.endKey)) {
        const other = this.regions.get(e.id)!;
        if (other.meta.epoch.version > hb.region.epoch.version) return;
        removed.push(other.meta);
      }
    }
    const ids = hbs.map((hb) => hb.region.id);
    const gap = firstUncovered(
      removed,
      hbs.map((hb) => hb.region),
    );
    if (!gap) {
      for (const id of ids) this.heldSince.delete(id);
      return;
    }
    const now = this.clock.now();
    const since = this.heldSince.get(ids[0]!) ?? now;
    if (now - since >= this.config.splitReportGraceMs) {
      for (const id of ids) this.heldSince.delete(id);
      return;
    }
    this.heldSince.set(ids[0]!, since);
    throw new PdError(
      PdErrorCode.SplitPending,
      `${describeRegion(hbs[0]!.region)} alone would leave keys [${toHex(gap.startKey)}, ${toHex(gap.endKey)}) without a region; waiting for the rest of the split to be reported`,
      true,
      { regionId: ids[0]! },
    );
  }

  private async applyReport(hb: RegionHeartbeat): Promise<RegionInfo> {
    const leaderStore = this.requireStore(hb.leader.storeId);
    if (leaderStore.meta.state === 'tombstone') throw tombstone(hb.leader.storeId);
    const plan = planRegionUpdate(hb.region, (id) => this.regions.get(id), this.tree);
    const info = regionFromHeartbeat(hb, plan.previous, this.clock.now(), {
      bytesPerSecond: this.config.loadSplitBytesPerSecond,
      keysPerSecond: this.config.loadSplitKeysPerSecond,
    });
    for (const r of plan.replaced) this.forgetRegion(r);
    if (plan.previous) {
      this.index.remove(plan.previous);
      if (plan.rangeChanged) this.tree.remove(plan.previous.meta);
      if (plan.previous.lastHeartbeatMs === undefined) this.reported++;
    } else {
      this.reported++;
    }
    if (plan.rangeChanged) this.tree.insert(info.meta);
    this.regions.set(info.meta.id, info);
    this.index.add(info);
    if (plan.mustPersist) {
      const writes: MetaWrite[] = [
        { kind: 'put', key: regionKey(info.meta.id), value: encodeRegion(info.meta) },
      ];
      for (const r of plan.replaced) writes.push({ kind: 'delete', key: regionKey(r.meta.id) });
      await this.writer.write(writes);
    }
    return info;
  }

  /** The region with this id, if known. */
  getRegionById(regionId: number): RegionInfo | undefined {
    return this.regions.get(regionId);
  }

  /** The region containing `key`, if known. */
  getRegionByKey(key: Uint8Array): RegionInfo | undefined {
    const e = this.tree.find(key);
    return e && this.regions.get(e.id);
  }

  /** The region just before the one containing `key`. */
  getPrevRegion(key: Uint8Array): RegionInfo | undefined {
    const e = this.tree.prev(key);
    return e && this.regions.get(e.id);
  }

  /** Up to `limit` regions overlapping `[startKey, endKey)`, in key order. */
  scanRegions(startKey: Uint8Array, endKey: Uint8Array, limit: number): RegionInfo[] {
    return this.tree.scan(startKey, endKey, limit).map((e) => this.regions.get(e.id)!);
  }

  /** The region at a position in key order (the checkers' patrol cursor). */
  regionAt(position: number): RegionInfo | undefined {
    const e = this.tree.at(position);
    return e && this.regions.get(e.id);
  }

  /** Number of known regions. */
  get regionCount(): number {
    return this.regions.size;
  }

  /** Number of regions that sent a heartbeat during this term. */
  get reportedRegionCount(): number {
    return this.reported;
  }

  /** Ids of regions with a peer on the store (live view). */
  regionsOnStore(storeId: number): ReadonlySet<number> {
    return this.index.regionsOn(storeId);
  }

  /** Ids of regions led from the store (live view). */
  leadersOnStore(storeId: number): ReadonlySet<number> {
    return this.index.leadersOn(storeId);
  }

  /** Every region in key order. */
  allRegions(): RegionInfo[] {
    return this.tree.all().map((e) => this.regions.get(e.id)!);
  }

  /** Asserts the indexes agree with each other (tests and the simulation). */
  checkInvariants(): void {
    this.tree.checkInvariants();
    assert(this.tree.size === this.regions.size, 'region index and region map disagree');
    for (const info of this.regions.values()) {
      const e = this.tree.find(info.meta.startKey);
      assert(e?.id === info.meta.id, () => `${describeRegion(info.meta)} missing from the index`);
      for (const p of info.meta.peers) {
        assert(this.index.regionsOn(p.storeId).has(info.meta.id), 'store index is missing a peer');
      }
    }
  }

  // ---- loading (cluster-meta-loader.ts) ----

  /** Marks the cluster bootstrapped (loading). */
  restoreBootstrapped(): void {
    this.bootstrapped = true;
  }

  /** Adds a loaded store; its silence is counted from now. */
  restoreStore(meta: StoreMeta): void {
    this.stores.set(meta.id, {
      meta,
      lastHeartbeatMs: this.clock.now(),
      stats: undefined,
      writtenBytesPerSecond: 0,
      writtenKeysPerSecond: 0,
    });
  }

  /**
   * Adds a loaded region under the heartbeat rules; returns the regions it replaced, or
   * undefined if it is itself stale (the loader deletes the losers' records).
   */
  restoreRegion(meta: RegionMeta): RegionMeta[] | undefined {
    let plan: ReturnType<typeof planRegionUpdate>;
    try {
      plan = planRegionUpdate(meta, (id) => this.regions.get(id), this.tree);
    } catch {
      return undefined;
    }
    assert(!plan.previous, () => `region ${meta.id} loaded twice`);
    for (const r of plan.replaced) this.forgetRegion(r);
    const info = regionFromStorage(meta);
    this.tree.insert(meta);
    this.regions.set(meta.id, info);
    this.index.add(info);
    return plan.replaced.map((r) => r.meta);
  }

  // ---- helpers ----

  private forgetRegion(info: RegionInfo): void {
    this.tree.remove(info.meta);
    this.regions.delete(info.meta.id);
    this.index.remove(info);
    this.heldSince.delete(info.meta.id);
    if (info.lastHeartbeatMs !== undefined) this.reported--;
  }

  private requireBootstrapped(): void {
    if (!this.bootstrapped) {
      throw new PdError(PdErrorCode.NotBootstrapped, 'the cluster is not bootstrapped', true);
    }
  }

  private requireStore(storeId: number): StoreInfo {
    const store = this.stores.get(storeId);
    if (!store) {
      throw new PdError(PdErrorCode.StoreNotFound, `store ${storeId} is not registered`, false, {
        storeId,
      });
    }
    return store;
  }
}

function validateStore(store: StoreMeta): void {
  if (!Number.isSafeInteger(store.id) || store.id <= 0) {
    throw invalidArgument('a store id must be a positive integer');
  }
  if (store.address.length === 0) throw invalidArgument(`store ${store.id} has no address`);
}

function tombstone(storeId: number): PdError {
  return new PdError(PdErrorCode.StoreTombstone, `store ${storeId} was removed for good`, false, {
    storeId,
  });
}

function sameRange(a: RegionMeta, b: RegionMeta): boolean {
  return bytesEqual(a.startKey, b.startKey) && bytesEqual(a.endKey, b.endKey);
}
