/**
 * A deterministic model of a cluster driven by the PD core: stores that heartbeat, regions
 * whose leaders heartbeat and execute the PD's commands (each one applied at the region's
 * next heartbeat, as a store would: epoch-checked, one change at a time), leaders re-elected
 * when their store dies, data written into regions so they grow. One seed reproduces a run.
 *
 * The model also checks the PD: it records a violation if the PD ever asks for something a
 * careful operator would not (promote a learner that has not caught up, have a leader remove
 * itself, shrink a region below a live quorum, split with the wrong number of peer ids), and
 * after every step it checks the PD's region index and its operator limits.
 */

import {
  isPdError,
  type PdConfigInput,
  PdErrorCode,
  type PeerMeta,
  PlacementDriver,
  type RegionCommand,
  type RegionHeartbeat,
  type RegionMeta,
  SCHEDULER_NAMES,
} from '../../src/index.js';
import { ManualClock, MemoryMetaStorage } from '../../src/testing/index.js';
import { Rng } from './random.js';

/** Keys are 4-byte big-endian numbers; 0 is the empty start key, 2^32 the unbounded end. */
export const KEY_SPACE = 2 ** 32;
const MIB = 1024 * 1024;
const CAPACITY = 2 ** 40;
const CLUSTER_ID = 42;
/** Events kept for a failure report. */
const EVENTS_KEPT = 60;

export function encodeKey(n: number): Uint8Array {
  if (n === 0 || n === KEY_SPACE) return new Uint8Array();
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

function decodeKey(k: Uint8Array, empty: number): number {
  if (k.length === 0) return empty;
  return ((k[0]! << 24) >>> 0) + (k[1]! << 16) + (k[2]! << 8) + k[3]!;
}

interface SimPeer {
  id: number;
  storeId: number;
  learner: boolean;
}

/** A region as the stores hold it (the truth the PD learns about through heartbeats). */
export interface SimRegion {
  id: number;
  start: number;
  end: number;
  version: number;
  confVer: number;
  peers: SimPeer[];
  leaderPeerId: number;
  sizeBytes: number;
  writtenBytes: number;
  /** Learners still catching up: heartbeats left. */
  pending: Map<number, number>;
  queued: RegionCommand | undefined;
  lastHeartbeatMs: number;
  /** A heartbeat from before the last epoch change, replayed now and then like a late message. */
  staleHeartbeat: RegionHeartbeat | undefined;
  lastReport: RegionHeartbeat | undefined;
}

interface SimStore {
  id: number;
  alive: boolean;
  diedAtMs: number;
  phaseMs: number;
}

export interface SimOptions {
  readonly seed: number;
  /** Stores at the start. */
  readonly stores: number;
  /** Regions at the start, spread over the stores; 0: only the bootstrap region (1 replica). */
  readonly regions: number;
  readonly replicas?: number;
  readonly config?: PdConfigInput;
  readonly tickMs?: number;
  readonly regionHeartbeatMs?: number;
  readonly storeHeartbeatMs?: number;
  readonly scheduleEveryMs?: number;
  /** Bytes written per tick, spread over a few random regions (they grow and split). */
  writeBytesPerTick?: number;
  readonly initialRegionBytes?: readonly [number, number];
}

/** The simulated cluster. */
export class ClusterSim {
  readonly rng: Rng;
  readonly clock = new ManualClock();
  readonly storage = new MemoryMetaStorage();
  pd!: PlacementDriver;
  readonly stores = new Map<number, SimStore>();
  readonly regions = new Map<number, SimRegion>();
  readonly violations: string[] = [];
  readonly events: string[] = [];
  /** The most operators ever seen running at once, per scheduler and on any one store. */
  readonly peakByScheduler = new Map<string, number>();
  peakPerStore = 0;
  /** Out-of-date heartbeats replayed (and refused). */
  staleReplays = 0;
  readonly replicas: number;
  private readonly tickMs: number;
  private readonly regionHeartbeatMs: number;
  private readonly storeHeartbeatMs: number;
  private readonly scheduleEveryMs: number;
  private lastScheduleMs = 0;
  private readonly storeLastHeartbeat = new Map<number, number>();

  private constructor(readonly options: SimOptions) {
    this.rng = new Rng(options.seed);
    this.replicas = options.replicas ?? 3;
    this.tickMs = options.tickMs ?? 1_000;
    this.regionHeartbeatMs = options.regionHeartbeatMs ?? 10_000;
    this.storeHeartbeatMs = options.storeHeartbeatMs ?? 10_000;
    this.scheduleEveryMs = options.scheduleEveryMs ?? 1_000;
  }

  /** A bootstrapped cluster in the layout the options describe, every region reported. */
  static async create(options: SimOptions): Promise<ClusterSim> {
    const sim = new ClusterSim(options);
    await sim.startPd();
    const firstStore = (await sim.pd.allocId()).first;
    const firstRegion = (await sim.pd.allocId(2)).first;
    await sim.pd.bootstrap(sim.storeMeta(firstStore), {
      id: firstRegion,
      startKey: new Uint8Array(),
      endKey: new Uint8Array(),
      epoch: { confVer: 1, version: 1 },
      peers: [{ id: firstRegion + 1, storeId: firstStore, isLearner: false }],
    });
    sim.stores.set(firstStore, {
      id: firstStore,
      alive: true,
      diedAtMs: 0,
      phaseMs: sim.rng.int(0, 9_999),
    });
    for (let i = 1; i < options.stores; i++) await sim.addStore();
    const storeIds = [...sim.stores.keys()];
    if (options.regions === 0) {
      sim.regions.set(
        firstRegion,
        sim.newRegion(firstRegion, 0, KEY_SPACE, 1, 1, [
          { id: firstRegion + 1, storeId: firstStore, learner: false },
        ]),
      );
    } else {
      const [minSize, maxSize] = options.initialRegionBytes ?? [8 * MIB, 64 * MIB];
      for (let i = 0; i < options.regions; i++) {
        const id = i === 0 ? firstRegion : (await sim.pd.allocId()).first;
        const start = Math.floor((i * KEY_SPACE) / options.regions);
        const end = Math.floor(((i + 1) * KEY_SPACE) / options.regions);
        const stores = sim.rng.sample(storeIds, Math.min(sim.replicas, storeIds.length));
        const ids = await sim.pd.allocId(stores.length);
        const peers = stores.map((storeId, j) => ({ id: ids.first + j, storeId, learner: false }));
        const r = sim.newRegion(id, start, end, 2, 1 + peers.length, peers);
        r.sizeBytes = sim.rng.int(minSize, maxSize);
        sim.regions.set(id, r);
      }
    }
    for (const s of sim.stores.values()) sim.storeHeartbeat(s);
    for (const r of sim.sortedRegions()) await sim.regionHeartbeat(r, false);
    sim.check();
    return sim;
  }

  /** Registers a new (empty) store and has it heartbeat. */
  async addStore(): Promise<number> {
    const id = (await this.pd.allocId()).first;
    await this.pd.putStore(this.storeMeta(id));
    const s: SimStore = { id, alive: true, diedAtMs: 0, phaseMs: this.rng.int(0, 9_999) };
    this.stores.set(id, s);
    this.storeHeartbeat(s);
    this.event(`store ${id} joins`);
    return id;
  }

  /** Stops a store for good. */
  killStore(id: number): void {
    const s = this.stores.get(id)!;
    s.alive = false;
    s.diedAtMs = this.clock.now();
    this.event(`store ${id} dies`);
  }

  /** A PD failover: the leader resigns, a new one loads from the same storage. */
  async failoverPd(): Promise<void> {
    await this.pd.resign();
    await this.startPd();
    this.event('PD failover');
  }

  /** Advances time by one tick and lets everything due happen. */
  async step(): Promise<void> {
    this.clock.advance(this.tickMs);
    const now = this.clock.now();
    this.write();
    for (const r of this.sortedRegions()) this.elect(r);
    for (const s of this.stores.values()) {
      if (s.alive && now - (this.storeLastHeartbeat.get(s.id) ?? 0) >= this.storeHeartbeatMs) {
        this.storeHeartbeat(s);
      }
    }
    for (const r of this.sortedRegions()) {
      if (!this.regions.has(r.id)) continue;
      const leaderStore = this.stores.get(this.peer(r, r.leaderPeerId)?.storeId ?? -1);
      if (!leaderStore?.alive) continue;
      if (now - r.lastHeartbeatMs >= this.regionHeartbeatMs) await this.regionHeartbeat(r, true);
    }
    if (now - this.lastScheduleMs >= this.scheduleEveryMs) {
      this.lastScheduleMs = now;
      for (const c of await this.pd.schedule()) this.deliver(c);
    }
    this.check();
  }

  /** Steps until `done()` holds; returns the simulated ms it took, or undefined after `maxMs`. */
  async runUntil(done: () => boolean, maxMs: number): Promise<number | undefined> {
    const start = this.clock.now();
    while (!done()) {
      if (this.clock.now() - start > maxMs) return undefined;
      await this.step();
    }
    return this.clock.now() - start;
  }

  /** Steps for `ms` of simulated time. */
  async runFor(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) await this.step();
  }

  // ---- views for assertions ----

  /** Regions in key order. */
  sortedRegions(): SimRegion[] {
    return [...this.regions.values()].sort((a, b) => a.start - b.start);
  }

  /** Exactly `replicas` voters on live stores, no learner, nothing lagging. */
  isHealthy(r: SimRegion, replicas = this.replicas): boolean {
    const voters = r.peers.filter((p) => !p.learner);
    return (
      voters.length === replicas &&
      r.peers.length === replicas &&
      r.peers.every((p) => this.stores.get(p.storeId)?.alive && !((r.pending.get(p.id) ?? 0) > 0))
    );
  }

  /** Peers per store (truth). */
  regionCounts(storeIds: readonly number[]): number[] {
    return storeIds.map(
      (s) => [...this.regions.values()].filter((r) => r.peers.some((p) => p.storeId === s)).length,
    );
  }

  /** Leaders per store (truth). */
  leaderCounts(storeIds: readonly number[]): number[] {
    return storeIds.map(
      (s) =>
        [...this.regions.values()].filter((r) => this.peer(r, r.leaderPeerId)?.storeId === s)
          .length,
    );
  }

  /** Whether the PD's regions are exactly the stores' regions (ids, ranges, epochs). */
  pdMatchesTruth(): boolean {
    const pdRegions = this.pd.clusterMeta.allRegions();
    const truth = this.sortedRegions();
    return (
      pdRegions.length === truth.length &&
      pdRegions.every((p, i) => {
        const t = truth[i]!;
        return (
          p.meta.id === t.id &&
          decodeKey(p.meta.startKey, 0) === t.start &&
          decodeKey(p.meta.endKey, KEY_SPACE) === t.end &&
          p.meta.epoch.version === t.version &&
          p.meta.epoch.confVer === t.confVer
        );
      })
    );
  }

  /** The last events, for failure reports. */
  describe(): string {
    return this.events.join('\n');
  }

  // ---- internals ----

  private async startPd(): Promise<void> {
    this.pd = new PlacementDriver({
      clusterId: CLUSTER_ID,
      storage: this.storage,
      clock: this.clock,
      // The initial regions are reported one by one (each alone leaves a gap until the
      // rest arrive): take every report at once. cluster-meta tests cover the grace.
      config: { splitReportGraceMs: 0, ...this.options.config },
    });
    await this.pd.becomeLeader();
  }

  private storeMeta(id: number) {
    return {
      id,
      address: `store-${id}:20160`,
      statusAddress: '',
      state: 'up' as const,
      version: 'sim',
    };
  }

  private newRegion(
    id: number,
    start: number,
    end: number,
    version: number,
    confVer: number,
    peers: SimPeer[],
  ): SimRegion {
    const voters = peers.filter((p) => !p.learner);
    return {
      id,
      start,
      end,
      version,
      confVer,
      peers,
      leaderPeerId: this.rng.pick(voters).id,
      sizeBytes: 0,
      writtenBytes: 0,
      pending: new Map(),
      queued: undefined,
      staleHeartbeat: undefined,
      lastReport: undefined,
      lastHeartbeatMs: this.clock.now() - this.rng.int(0, this.regionHeartbeatMs - 1),
    };
  }

  private peer(r: SimRegion, peerId: number): SimPeer | undefined {
    return r.peers.find((p) => p.id === peerId);
  }

  private meta(r: SimRegion): RegionMeta {
    return {
      id: r.id,
      startKey: encodeKey(r.start),
      endKey: encodeKey(r.end),
      epoch: { confVer: r.confVer, version: r.version },
      peers: r.peers.map((p): PeerMeta => ({ id: p.id, storeId: p.storeId, isLearner: p.learner })),
    };
  }

  private storeHeartbeat(s: SimStore): void {
    const mine = [...this.regions.values()].filter((r) => r.peers.some((p) => p.storeId === s.id));
    const used = mine.reduce((n, r) => n + r.sizeBytes, 0);
    this.pd.storeHeartbeat({
      storeId: s.id,
      capacity: CAPACITY,
      available: CAPACITY - used,
      usedSize: used,
      regionCount: mine.length,
      leaderCount: mine.filter((r) => this.peer(r, r.leaderPeerId)?.storeId === s.id).length,
      intervalMs: this.storeHeartbeatMs,
    });
    this.storeLastHeartbeat.set(s.id, this.clock.now());
  }

  private write(): void {
    const bytes = this.options.writeBytesPerTick ?? 0;
    if (bytes === 0) return;
    const regions = this.sortedRegions();
    for (let i = 0; i < 3; i++) {
      const r = this.rng.pick(regions);
      const n = this.rng.int(0, Math.floor((2 * bytes) / 3));
      r.sizeBytes += n;
      r.writtenBytes += n;
    }
  }

  /** A leader on a dead store is replaced by a live voter, if a quorum of voters is alive. */
  private elect(r: SimRegion): void {
    const leader = this.peer(r, r.leaderPeerId);
    if (leader && this.stores.get(leader.storeId)?.alive) return;
    const voters = r.peers.filter((p) => !p.learner);
    const alive = voters.filter((p) => this.stores.get(p.storeId)?.alive);
    if (alive.length * 2 <= voters.length) return; // no quorum: the region is stuck
    const next = alive.sort((a, b) => a.storeId - b.storeId)[0]!;
    r.leaderPeerId = next.id;
    r.queued = undefined; // the old leader's queue died with it
    this.event(`region ${r.id}: leader now on store ${next.storeId}`);
  }

  private async regionHeartbeat(r: SimRegion, applyQueued: boolean): Promise<void> {
    // Learners catch up a little between heartbeats (if their store is alive).
    for (const [peerId, left] of r.pending) {
      const p = this.peer(r, peerId);
      if (!p) r.pending.delete(peerId);
      else if (this.stores.get(p.storeId)?.alive) {
        if (left <= 1) r.pending.delete(peerId);
        else r.pending.set(peerId, left - 1);
      }
    }
    let created: SimRegion | undefined;
    if (applyQueued && r.queued) {
      const c = r.queued;
      r.queued = undefined;
      created = this.apply(r, c);
    }
    // After a split the left half's leader reports both halves at once, as a store does;
    // then each half heartbeats on its own, in either order.
    if (created) await this.reportSplit(r, created);
    if (created && this.rng.next() < 0.5) {
      await this.report(created);
      await this.report(r);
    } else {
      await this.report(r);
      if (created) await this.report(created);
    }
    if (r.staleHeartbeat && this.rng.next() < 0.05) await this.replayStale(r, r.staleHeartbeat);
  }

  /** Replays an out-of-date heartbeat: the PD must refuse it and change nothing. */
  private async replayStale(r: SimRegion, hb: RegionHeartbeat): Promise<void> {
    const before = this.pd.getRegionById(r.id)?.region.epoch;
    try {
      await this.pd.regionHeartbeat(hb);
      this.violations.push(`region ${r.id}: a stale heartbeat was accepted`);
    } catch (e) {
      if (!isPdError(e, PdErrorCode.StaleEpoch)) throw e;
    }
    const after = this.pd.getRegionById(r.id)?.region.epoch;
    if (before?.version !== after?.version || before?.confVer !== after?.confVer) {
      this.violations.push(`region ${r.id}: a refused heartbeat changed the PD's view`);
    }
    this.staleReplays++;
    this.event(`region ${r.id}: replayed a stale heartbeat`);
  }

  private async report(r: SimRegion): Promise<void> {
    const now = this.clock.now();
    const leader = this.peer(r, r.leaderPeerId)!;
    const hb: RegionHeartbeat = {
      region: this.meta(r),
      leader: { id: leader.id, storeId: leader.storeId, isLearner: false },
      downPeers: r.peers
        .filter((p) => !this.stores.get(p.storeId)?.alive)
        .map((p) => ({
          peer: { id: p.id, storeId: p.storeId, isLearner: p.learner },
          downSeconds: Math.floor((now - this.stores.get(p.storeId)!.diedAtMs) / 1000),
        })),
      pendingPeers: r.peers
        .filter((p) => (r.pending.get(p.id) ?? 0) > 0)
        .map((p) => ({ id: p.id, storeId: p.storeId, isLearner: p.learner })),
      approximateSize: r.sizeBytes,
      approximateKeys: Math.floor(r.sizeBytes / 1024) + 2,
      bytesWritten: r.writtenBytes,
      keysWritten: Math.floor(r.writtenBytes / 1024),
      intervalMs: Math.max(1, now - r.lastHeartbeatMs),
      ...(this.rng.next() < 0.5
        ? { splitKeyHint: encodeKey(Math.floor((r.start + r.end) / 2)) }
        : {}),
    };
    r.writtenBytes = 0;
    r.lastHeartbeatMs = now;
    const last = r.lastReport?.region.epoch;
    if (last && (last.version !== r.version || last.confVer !== r.confVer))
      r.staleHeartbeat = r.lastReport;
    r.lastReport = hb;
    try {
      const c = await this.pd.regionHeartbeat(hb);
      if (c) this.deliver(c);
    } catch (e) {
      if (!isPdError(e, PdErrorCode.StaleEpoch)) throw e;
      this.violations.push(`region ${r.id}: current heartbeat refused as stale: ${e.message}`);
    }
  }

  private async reportSplit(left: SimRegion, right: SimRegion): Promise<void> {
    const leader = this.peer(left, left.leaderPeerId)!;
    await this.pd.reportSplit(this.meta(left), this.meta(right), {
      id: leader.id,
      storeId: leader.storeId,
      isLearner: false,
    });
  }

  private deliver(c: RegionCommand): void {
    const r = this.regions.get(c.regionId);
    if (!r) return;
    const leader = this.peer(r, r.leaderPeerId);
    if (leader?.storeId !== c.storeId) return; // sent to a store that no longer leads it
    r.queued = c;
  }

  /** Applies a command as the region's leader would; returns a region a split created. */
  private apply(r: SimRegion, c: RegionCommand): SimRegion | undefined {
    if (c.epoch.version !== r.version || c.epoch.confVer !== r.confVer) {
      this.event(`region ${r.id}: stale command ignored`);
      return undefined;
    }
    const cmd = c.command;
    const fail = (why: string) =>
      this.violations.push(`region ${r.id} at ${this.clock.now()}: ${why}`);
    if (cmd.kind === 'transfer-leader') {
      const p = this.peer(r, cmd.peer.id);
      if (p && !p.learner && this.stores.get(p.storeId)?.alive) r.leaderPeerId = p.id;
      this.event(`region ${r.id}: leader to store ${cmd.peer.storeId}`);
      return undefined;
    }
    if (cmd.kind === 'split-region')
      return this.split(r, cmd.splitKey, cmd.newRegionId, cmd.newPeerIds, fail);
    const p = this.peer(r, cmd.peer.id);
    if (cmd.change === 'add-learner') {
      if (r.peers.some((q) => q.storeId === cmd.peer.storeId)) return undefined;
      r.peers.push({ id: cmd.peer.id, storeId: cmd.peer.storeId, learner: true });
      r.pending.set(
        cmd.peer.id,
        this.stores.get(cmd.peer.storeId)?.alive ? this.rng.int(1, 3) : Infinity,
      );
    } else if (cmd.change === 'add-voter') {
      if (!p?.learner) return undefined;
      if ((r.pending.get(p.id) ?? 0) > 0) fail(`promoted learner ${p.id} before it caught up`);
      p.learner = false;
    } else {
      if (!p) return undefined;
      if (p.id === r.leaderPeerId) fail(`asked leader ${p.id} to remove itself`);
      r.peers = r.peers.filter((q) => q !== p);
      const voters = r.peers.filter((q) => !q.learner);
      const alive = voters.filter((q) => this.stores.get(q.storeId)?.alive).length;
      if (alive * 2 <= voters.length) fail(`removing peer ${p.id} left no live quorum`);
    }
    r.confVer++;
    this.event(`region ${r.id}: ${cmd.change} peer ${cmd.peer.id} on store ${cmd.peer.storeId}`);
    return undefined;
  }

  private split(
    r: SimRegion,
    splitKey: Uint8Array,
    newRegionId: number,
    newPeerIds: readonly number[],
    fail: (why: string) => void,
  ): SimRegion | undefined {
    const key = splitKey.length > 0 ? decodeKey(splitKey, 0) : Math.floor((r.start + r.end) / 2);
    if (key <= r.start || key >= r.end) {
      fail(`split key ${key} outside (${r.start}, ${r.end})`);
      return undefined;
    }
    if (newPeerIds.length !== r.peers.length) fail('split with the wrong number of peer ids');
    if (this.regions.has(newRegionId)) fail(`split into existing region ${newRegionId}`);
    const leaderIndex = r.peers.findIndex((p) => p.id === r.leaderPeerId);
    const peers = r.peers.map((p, i) => ({
      id: newPeerIds[i]!,
      storeId: p.storeId,
      learner: p.learner,
    }));
    const right = this.newRegion(newRegionId, key, r.end, r.version + 1, r.confVer, peers);
    right.leaderPeerId = peers[leaderIndex]!.id;
    for (const [i, p] of r.peers.entries()) {
      const left = r.pending.get(p.id);
      if (left !== undefined) right.pending.set(peers[i]!.id, left);
    }
    const fraction = (key - r.start) / (r.end - r.start);
    right.sizeBytes = Math.floor(r.sizeBytes * (1 - fraction));
    r.sizeBytes -= right.sizeBytes;
    r.end = key;
    r.version++;
    right.lastHeartbeatMs = this.clock.now();
    this.regions.set(right.id, right);
    this.event(`region ${r.id}: split at ${key} into ${right.id}`);
    return right;
  }

  /** Checks the PD's index, its operator limits and the model's own contiguity. */
  check(): void {
    this.pd.clusterMeta.checkInvariants();
    const { stats } = this.pd.operators();
    const config = this.pd.config;
    for (const name of SCHEDULER_NAMES) {
      const n = stats.runningByScheduler[name];
      this.peakByScheduler.set(name, Math.max(n, this.peakByScheduler.get(name) ?? 0));
      if (n > config.schedulerLimits[name]) {
        this.violations.push(`${name}: ${stats.runningByScheduler[name]} operators running`);
      }
    }
    for (const [store, n] of stats.runningByStore) {
      this.peakPerStore = Math.max(this.peakPerStore, n);
      if (n > config.storeOperatorLimit) this.violations.push(`store ${store}: ${n} operators`);
    }
    const sorted = this.sortedRegions();
    let at = 0;
    for (const r of sorted) {
      if (r.start !== at) this.violations.push(`model: gap or overlap at ${at}`);
      at = r.end;
    }
    if (at !== KEY_SPACE) this.violations.push('model: key space not covered');
    if (this.violations.length > 0) {
      throw new Error(
        `violations:\n${this.violations.join('\n')}\nlast events:\n${this.describe()}`,
      );
    }
  }

  private event(text: string): void {
    this.events.push(`${this.clock.now()}: ${text}`);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
  }
}

/** Runs `body` for each seed; a failure names its seed so it can be replayed. */
export async function forSeeds(
  seeds: readonly number[],
  body: (seed: number) => Promise<void>,
): Promise<void> {
  for (const seed of seeds) {
    try {
      await body(seed);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      console.error(`PD simulation failed with seed ${seed} (replay: PD_SIM_SEED=${seed})`);
      throw new Error(`seed ${seed}: ${message}`, { cause: e });
    }
  }
}

/** Seeds to run: PD_SIM_SEED replays one; PD_SIM_SEEDS=n runs n; else `defaults`. */
export function simSeeds(defaults: readonly number[]): number[] {
  const one = process.env.PD_SIM_SEED;
  if (one) return [Number(one)];
  const n = Number(process.env.PD_SIM_SEEDS ?? 0);
  return n > 0 ? Array.from({ length: n }, (_, i) => 1000 + i) : [...defaults];
}
