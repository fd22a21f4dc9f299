/**
 * In-process clusters of stores for tests: in-memory storage, the test hub as transport, a
 * virtual clock. Everything a run does follows from its seed and the test's actions. With
 * `wal`, each store logs its batches ahead of the engine (store-wal.ts) on an in-memory disk,
 * and the engine's held commits are handed over a macrotask later (not on the virtual clock:
 * a test may await an admin change, which waits for them, without ticking).
 */

import type { atoll } from '@atoll/proto';
import { ConfChangeTransition, ConfChangeType } from '@atoll/raft';
import { openMemoryEngine } from '@atoll/storage';
import { CrashableDisk } from '@atoll/storage/testing';
import { EngineStoreStorage } from '../engine-storage.js';
import { MemoryTransportHub } from '../env/memory-transport.js';
import { KvService } from '../kv-service.js';
import type { RegionMeta } from '../region.js';
import type { RegionPeer, WriteOutcome } from '../region-peer.js';
import { Store } from '../store.js';
import { STORE_DEFAULTS, type StoreConfig } from '../store-config.js';
import { ENGINE_HOLD_MS, type EngineHold, StoreWal } from '../store-wal.js';
import { VirtualEnv } from './virtual-env.js';

export interface TestStore {
  readonly id: number;
  store: Store;
  kv: KvService;
  env: VirtualEnv;
  readonly storage: EngineStoreStorage;
  up: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function key(s: string): Uint8Array {
  return enc.encode(s);
}

/** A region spanning [start, end) with one peer per store: peer id = region id * 100 + store id. */
export function regionOn(id: number, storeIds: number[], start = '', end = ''): RegionMeta {
  return {
    id,
    startKey: key(start),
    endKey: key(end),
    epoch: { confVer: 1, version: 1 },
    peers: storeIds.map((s) => ({ id: id * 100 + s, storeId: s, isLearner: false })),
  };
}

/** Log segments of test stores: small, they live in memory. */
const WAL_SEGMENT_BYTES = 1024 * 1024;

export class StoreCluster {
  readonly hub = new MemoryTransportHub();
  readonly stores = new Map<number, TestStore>();
  private nextRequestId = 1;

  private constructor(
    private readonly seed: number,
    private readonly config: Partial<StoreConfig>,
  ) {}

  static async create(opts: {
    stores: number;
    regions: RegionMeta[];
    seed?: number;
    config?: Partial<StoreConfig>;
    /** Each store's storage (default: a fresh in-memory engine). */
    storage?: (storeId: number) => EngineStoreStorage;
    /** Default storage with a write-ahead log (on an in-memory disk). */
    wal?: boolean;
    /**
     * With `wal`: how long the engine holds logged batches. 'turn' (default): until the next
     * macrotask; 'forever': until something needs storage to show them (commitHeld).
     */
    hold?: 'turn' | 'forever';
  }): Promise<StoreCluster> {
    const c = new StoreCluster(opts.seed ?? 1, opts.config ?? {});
    for (let id = 1; id <= opts.stores; id++) {
      const storage =
        opts.storage?.(id) ??
        (opts.wal
          ? await c.walStorage(id, opts.hold ?? 'turn')
          : new EngineStoreStorage(openMemoryEngine()));
      c.startStore(id, storage);
    }
    for (const region of opts.regions) {
      for (const p of region.peers) await c.node(p.storeId).store.bootstrapRegion(region);
    }
    await c.settle();
    return c;
  }

  /** A memory engine with a write-ahead log on an in-memory disk. */
  private async walStorage(id: number, holding: 'turn' | 'forever'): Promise<EngineStoreStorage> {
    const engine = openMemoryEngine();
    const hold: EngineHold = {
      ms: ENGINE_HOLD_MS,
      after: (_ms, fn) => {
        if (holding === 'forever') return () => {};
        const t = setImmediate(fn);
        return () => clearImmediate(t);
      },
    };
    const files = new CrashableDisk().mount();
    const { wal } = await StoreWal.open(
      `store-${id}`,
      engine,
      { files, segmentBytes: WAL_SEGMENT_BYTES },
      hold,
    );
    return new EngineStoreStorage(engine, wal);
  }

  private startStore(id: number, storage: EngineStoreStorage): TestStore {
    const env = new VirtualEnv(this.seed * 1000 + id);
    const store = new Store({
      config: { ...STORE_DEFAULTS, ...this.config, storeId: id, clusterId: 1 },
      storage,
      transport: this.hub.transport(id),
      env,
    });
    this.hub.register(id, store);
    store.start();
    const ts: TestStore = { id, store, kv: new KvService(store), env, storage, up: true };
    this.stores.set(id, ts);
    return ts;
  }

  node(id: number): TestStore {
    const s = this.stores.get(id);
    if (!s) throw new Error(`no store ${id}`);
    return s;
  }

  /** Lets every pending callback, message and batch run to completion. */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const busy = [...this.stores.values()].some(
        (s) => s.up && (s.store.looping || s.store.dirty.size > 0),
      );
      if (!busy) return;
    }
  }

  private virtualMs = 0;
  private sleepers: { until: number; wake: () => void }[] = [];

  /** Milliseconds of virtual time so far (one tick = tickMs). */
  virtualNow(): number {
    return this.virtualMs;
  }

  /** Resolves once `ms` of virtual time has passed (driven by tick()). */
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ until: this.virtualMs + ms, wake }));
  }

  /** Advances every live store by `n` ticks. */
  async tick(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      for (const s of this.stores.values()) if (s.up) s.env.fire();
      this.virtualMs += this.tickMs;
      const due = this.sleepers.filter((s) => s.until <= this.virtualMs);
      this.sleepers = this.sleepers.filter((s) => s.until > this.virtualMs);
      for (const s of due) s.wake();
      await this.settle();
    }
  }

  private get tickMs(): number {
    return this.config.tickMs ?? STORE_DEFAULTS.tickMs;
  }

  /** Ticks until `done` holds; fails after `maxTicks`. */
  async tickUntil(done: () => boolean, maxTicks = 500, what = 'condition'): Promise<number> {
    for (let t = 0; t <= maxTicks; t++) {
      if (done()) return t;
      await this.tick();
    }
    throw new Error(`${what} not reached within ${maxTicks} ticks`);
  }

  /** Stops a store abruptly: no goodbye, nothing not yet committed survives. */
  async crash(id: number): Promise<void> {
    const s = this.node(id);
    s.up = false;
    this.hub.unregister(id);
    s.store.stopped = true;
    await this.settle();
  }

  /** Starts a crashed store again from its storage (or from `storage`, e.g. recovered). */
  async restart(id: number, storage?: EngineStoreStorage): Promise<void> {
    const old = this.node(id);
    const next = storage ?? old.storage;
    // A restarted process replays its write-ahead log into the engine before the store
    // starts; here the same log object lives on, so it hands over what it still holds.
    next.commitHeld();
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.startStore(id, next);
    await this.settle();
  }

  /** Proposes, on the region's current leader, a learner `peerId` on store `storeId`. */
  addLearner(regionId: number, peerId: number, storeId: number): Promise<WriteOutcome> {
    const leader = this.leaderStore(regionId);
    if (!leader) throw new Error(`region ${regionId} has no leader`);
    return leader.store.proposeConfChange(
      { regionId, epoch: leader.store.peers.get(regionId)!.region.epoch },
      {
        transition: ConfChangeTransition.Auto,
        changes: [{ type: ConfChangeType.AddLearner, peerId }],
      },
      [{ id: peerId, storeId, isLearner: true }],
    );
  }

  leaderOf(regionId: number): RegionPeer | undefined {
    let best: RegionPeer | undefined;
    for (const s of this.stores.values()) {
      if (!s.up) continue;
      const p = s.store.peers.get(regionId);
      if (p?.isLeader && (!best || p.node.raft.term > best.node.raft.term)) best = p;
    }
    return best;
  }

  leaderStore(regionId: number): TestStore | undefined {
    const leader = this.leaderOf(regionId);
    if (!leader) return undefined;
    return [...this.stores.values()].find((s) => s.up && s.store.peers.get(regionId) === leader);
  }

  /** The region holding `k` as some live store knows it (the freshest epoch). */
  regionFor(k: Uint8Array): RegionMeta | undefined {
    let best: RegionMeta | undefined;
    for (const s of this.stores.values()) {
      if (!s.up) continue;
      for (const p of s.store.peers.values()) {
        const r = p.region;
        const inside =
          Buffer.compare(k, r.startKey) >= 0 &&
          (r.endKey.length === 0 || Buffer.compare(k, r.endKey) < 0);
        if (inside && r.peers.length > 0 && (!best || r.epoch.version > best.epoch.version))
          best = r;
      }
    }
    return best;
  }

  /** Sends a request to the leader of the key's region, following region errors. */
  async request(
    k: Uint8Array,
    build: (ctx: atoll.kv.IContext) => atoll.kv.IKvRequest,
    maxTicks = 300,
  ): Promise<atoll.kv.IKvResponse> {
    let last: atoll.kv.IKvResponse | undefined;
    for (let t = 0; t < maxTicks; t++) {
      const region = this.regionFor(k);
      const leader = region && this.leaderStore(region.id);
      if (region && leader) {
        const peer = leader.store.peers.get(region.id)!;
        const ctx = { regionId: region.id, epoch: peer.region.epoch };
        const pending = leader.kv.handle({ id: this.nextRequestId++, ...build(ctx) });
        await this.settle();
        let resp: atoll.kv.IKvResponse | undefined;
        void pending.then((r) => {
          resp = r;
        });
        await this.settle();
        for (let i = 0; i < 50 && !resp; i++) await this.tick();
        if (resp && !resp.regionError) return resp;
        last = resp;
      }
      await this.tick();
    }
    throw new Error(
      `request failed: ${JSON.stringify(last?.regionError ?? last?.error ?? 'no leader')}`,
    );
  }

  async put(k: string, v: string): Promise<atoll.kv.IKvResponse> {
    return this.request(key(k), (context) => ({ put: { context, key: key(k), value: key(v) } }));
  }

  async get(k: string): Promise<string | undefined> {
    const resp = await this.request(key(k), (context) => ({ get: { context, key: key(k) } }));
    if (resp.error) throw new Error(resp.error.message ?? 'error');
    return resp.get?.notFound ? undefined : dec.decode(resp.get?.value ?? new Uint8Array());
  }

  /**
   * Every key-value pair a store's storage shows, as text, for comparing replicas. Batches
   * its engine holds are handed over first; they show on a later call (poll with tickUntil).
   */
  dataOf(id: number): string[] {
    this.node(id).storage.commitHeld();
    const all = this.node(id).storage.scan({
      start: new Uint8Array(),
      end: new Uint8Array(),
      limit: Number.MAX_SAFE_INTEGER,
      reverse: false,
      keyOnly: false,
    });
    return all.map((kv) => `${dec.decode(kv.key)}=${dec.decode(kv.value)}`);
  }

  /** Storage transactions a store has committed (each one fsync with LMDB). */
  commits(id: number): number {
    return this.node(id).storage.engine.transactions() ?? 0;
  }
}
