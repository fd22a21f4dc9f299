/** A store's settings, their defaults, and why each default is what it is. */

import type { RaftConfig } from '@atoll/raft';

export interface StoreConfig {
  readonly storeId: number;
  readonly clusterId: number;
  /** One store-wide tick drives every region's Raft clock. */
  readonly tickMs: number;
  readonly raft: Partial<Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>>;
  /** A client request not answered within this many ticks fails (writes: outcome unknown). */
  readonly requestTimeoutTicks: number;
  /** A leader idle this many ticks stops ticking, and tells its followers to (hibernation). */
  readonly quiesceAfterTicks: number;
  /** How often a store tells each peer store it is alive. */
  readonly storeHeartbeatTicks: number;
  /** A peer store silent this long is presumed down: its regions' followers here wake up. */
  readonly storeDownTicks: number;
  /** Followers woken per tick when a store goes down, so 10,000 regions do not wake at once. */
  readonly wakePerTick: number;
  /** Compact a region's log once it holds this many applied entries. */
  readonly logCompactEntries: number;
}

export const STORE_DEFAULTS: Omit<StoreConfig, 'storeId' | 'clusterId'> = {
  // 50 ms ticks, elections after 10-20 ticks (0.5-1 s): fast failover, still far above
  // loopback and LAN round trips.
  tickMs: 50,
  // Followers hear of a new commit index with the next append or heartbeat (100 ms), not
  // from an empty append of its own: one message and one log write less per write on each
  // follower when writes come one at a time. Splits and membership changes still go out at
  // once (store-loop.ts).
  raft: {
    electionTicks: 10,
    heartbeatTicks: 2,
    disableProposalForwarding: true,
    lazyCommitNotice: true,
  },
  requestTimeoutTicks: 200,
  quiesceAfterTicks: 40,
  storeHeartbeatTicks: 4,
  storeDownTicks: 20,
  wakePerTick: 64,
  logCompactEntries: 10_000,
};

/**
 * Flags for the node process of a store, given by whatever starts one (atoll dev, the test
 * and bench launchers; by hand: node --max-semi-space-size=64 atoll store ...). A store keeps
 * every write it applied alive for a second (the engine's held commits) and a record of it
 * for a minute (request-table.ts): with V8's default 16 MB semi-spaces the young generation
 * is collected every few hundred milliseconds at 10,000 writes/s and copies all of that,
 * twice, on its way to the old generation. 64 MB semi-spaces (128 MB of young generation at
 * most) measured 6-16% more writes/s at concurrency 256 (alternating runs; one of six lost
 * to a slow disk moment).
 */
export const STORE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** The node flags for a process running `atoll <cliArgs>`: a store's, or none. */
export function nodeFlagsFor(cliArgs: readonly string[]): readonly string[] {
  return cliArgs[0] === 'store' ? STORE_NODE_FLAGS : [];
}
