/**
 * A small hand-driven cluster for scheduler and operator tests: a PD with stores that
 * heartbeat when told, and regions whose heartbeats the test writes out step by step.
 */

import type {
  PdConfigInput,
  PlacementDriver,
  RegionCommand,
  RegionHeartbeat,
  RegionMeta,
} from '../src/index.js';
import type { ManualClock, MemoryMetaStorage } from '../src/testing/index.js';
import { bootstrappedPd, store } from './helpers.js';

const TIB = 2 ** 40;

/** A PD with stores 1..n registered and reporting, and time control. */
export class Harness {
  /** Stores that heartbeat when time moves. */
  readonly alive = new Set<number>();
  /** Per-store stats overrides. */
  readonly stats = new Map<number, { available?: number; isBusy?: boolean }>();

  private constructor(
    readonly pd: PlacementDriver,
    readonly clock: ManualClock,
    readonly storage: MemoryMetaStorage,
  ) {}

  static async create(stores: number, config?: PdConfigInput): Promise<Harness> {
    const { pd, clock, storage } = await bootstrappedPd(config);
    // Tests name their own ids below 10,000; the PD's start above.
    await pd.allocId(10_000);
    const h = new Harness(pd, clock, storage);
    for (let id = 1; id <= stores; id++) {
      if (id > 1) await pd.putStore(store(id));
      h.alive.add(id);
    }
    h.heartbeatStores();
    return h;
  }

  /** Every alive store reports now. */
  heartbeatStores(): void {
    for (const id of this.alive) {
      const s = this.stats.get(id);
      this.pd.storeHeartbeat({
        storeId: id,
        capacity: TIB,
        available: s?.available ?? TIB / 2,
        isBusy: s?.isBusy ?? false,
      });
    }
  }

  /** Moves time forward in 10 s steps, alive stores reporting at each. */
  advance(ms: number): void {
    for (let left = ms; left > 0; left -= 10_000) {
      this.clock.advance(Math.min(10_000, left));
      this.heartbeatStores();
    }
  }

  /** Sends a region heartbeat; returns the command the PD answers with. */
  beat(region: RegionMeta, extra: Partial<RegionHeartbeat> & { leaderStoreId?: number } = {}) {
    const { leaderStoreId, ...rest } = extra;
    const leader =
      leaderStoreId === undefined
        ? region.peers.find((p) => !p.isLearner)!
        : region.peers.find((p) => p.storeId === leaderStoreId)!;
    return this.pd.regionHeartbeat({ region, leader, ...rest });
  }

  /** Runs a scheduling pass; returns its commands. */
  schedule(): Promise<RegionCommand[]> {
    return this.pd.schedule();
  }
}

/** A short form of a command, for assertions. */
export function short(c: RegionCommand | undefined): string | undefined {
  if (!c) return undefined;
  const cmd = c.command;
  switch (cmd.kind) {
    case 'change-peer':
      return `${cmd.change} ${cmd.peer.id}@${cmd.peer.storeId}`;
    case 'transfer-leader':
      return `transfer-leader ${cmd.peer.id}@${cmd.peer.storeId}`;
    case 'split-region':
      return `split ${cmd.newRegionId}`;
  }
}
