/**
 * The simulator's knobs: the limits of a run (with why each is that number) and the fault,
 * workload and Raft profiles that one seed picks. Picking the profile from the seed
 * ("swarm testing", as in TigerBeetle's VOPR) means some seeds run with no drops but many
 * crashes, others with heavy reordering and no crashes, and so on: each fault gets seeds
 * where it is not drowned out by the others.
 *
 * This file holds no behaviour beyond drawing a profile from a generator.
 */

import type { RaftConfig, SeededRandom } from '../../src/index.js';

/**
 * Steps of the fault phase. One step is one tick of every running peer; 300 steps are 15-30
 * election timeouts, enough for several elections, crashes and membership changes per seed
 * while 500+ seeds still fit in CI's budget.
 */
export const FAULT_PHASE_STEPS = 300;

/**
 * The heal phase must reach agreement within this many ticks. Healing may need: a restarted
 * peer to time out (up to 2 election timeouts), a pre-vote and a vote round, a lagging or new
 * peer to fetch a snapshot and the log after it, a pending joint config to be left and a
 * leadership transfer to expire (1 election timeout each). 30 election timeouts cover all
 * of that with room; a run that needs more is a liveness bug worth a look.
 */
export const HEAL_TICKS_MAX = 300;

/** Raft timing used by every peer: the core's defaults, so the simulator tests what ships. */
export const ELECTION_TICKS = 10;
export const HEARTBEAT_TICKS = 1;

/**
 * Lines of the event log kept for a failure report (the newest ones). 400 lines cover the
 * last few steps of a 5-peer run in detail; `--verbose` prints everything instead.
 */
export const EVENT_LOG_LINES_MAX = 400;

/**
 * Messages the simulated network holds at once. A real network buffers only so much; beyond
 * this, new messages are dropped (as a congested link would). Normal runs stay far below it.
 */
export const NETWORK_IN_FLIGHT_MAX = 20_000;

/** Membership stays within these bounds (relative to the group's initial size). */
export const VOTERS_BELOW_INITIAL_MAX = 1;
export const VOTERS_ABOVE_INITIAL_MAX = 2;
/** Voters plus learners; each extra peer costs simulation time. */
export const PEERS_ABOVE_INITIAL_MAX = 3;

/** How the network and the peers misbehave in one run. Rates are per step. */
export interface FaultProfile {
  /** Chance that a message is lost. */
  readonly dropRate: number;
  /** Chance that a message is delivered twice. */
  readonly duplicateRate: number;
  /** Messages arrive 1 + [0, maxDelaySteps] steps after they are sent; random ties reorder. */
  readonly maxDelaySteps: number;
  /** Chance that a message is held back much longer (up to longDelayMaxSteps). */
  readonly longDelayRate: number;
  readonly longDelayMaxSteps: number;
  /** Chance per step that a symmetric partition starts (if none is in force). */
  readonly partitionRate: number;
  readonly partitionMaxSteps: number;
  /** Chance per step that one directed link is cut. */
  readonly linkCutRate: number;
  readonly linkCutMaxSteps: number;
  /** Chance per step that a running peer crashes; it restarts after up to downMaxSteps. */
  readonly crashRate: number;
  readonly downMaxSteps: number;
  /** Chance per step that a peer pauses (no ticks, no input, no disk) for up to pauseMaxSteps. */
  readonly pauseRate: number;
  readonly pauseMaxSteps: number;
  /** A Ready becomes durable [0, persistDelayMaxSteps] steps after it is taken. */
  readonly persistDelayMaxSteps: number;
  /**
   * Chance per Ready that the disk stalls (an fsync that takes long): the Ready, and every
   * later one, waits up to diskStallMaxSteps. Entries and votes stay volatile meanwhile,
   * which is when a crash costs the most.
   */
  readonly diskStallRate: number;
  readonly diskStallMaxSteps: number;
  /** Chance per step and peer that the peer's clock misses a tick (clocks drift apart). */
  readonly tickSkipRate: number;
  /** Committed entries are applied [0, applyDelayMaxSteps] steps after they are handed out. */
  readonly applyDelayMaxSteps: number;
  /**
   * With raft.storedSeparately (a write-ahead log in front of the storage): a durable Ready
   * reaches the storage [0, storedDelayMaxSteps] steps later.
   */
  readonly storedDelayMaxSteps: number;
}

/** What clients and operators do during the fault phase. Rates are per step. */
export interface WorkloadProfile {
  readonly proposeRate: number;
  readonly confChangeRate: number;
  readonly readRate: number;
  readonly transferRate: number;
  /** Chance per step and peer that the peer snapshots its state machine and compacts. */
  readonly compactRate: number;
}

export interface RunProfile {
  readonly faults: FaultProfile;
  readonly workload: WorkloadProfile;
  /** The Raft options that vary per seed; timing is fixed above. */
  readonly raft: Partial<RaftConfig>;
  /** Index of the bootstrap snapshot: 0 (log from 1) or a few entries in (as real hosts do). */
  readonly bootstrapIndex: number;
}

/** A rate that is switched off in about a third of the seeds. */
function maybe(rng: SeededRandom, rate: number): number {
  return rng.chance(2 / 3) ? rate * (0.25 + rng.nextFloat()) : 0;
}

export function chooseProfile(rng: SeededRandom): RunProfile {
  const faults: FaultProfile = {
    dropRate: maybe(rng, 0.1),
    duplicateRate: maybe(rng, 0.05),
    maxDelaySteps: rng.nextInt(4),
    longDelayRate: maybe(rng, 0.01),
    longDelayMaxSteps: 30,
    partitionRate: maybe(rng, 0.03),
    partitionMaxSteps: 60,
    linkCutRate: maybe(rng, 0.02),
    linkCutMaxSteps: 40,
    crashRate: maybe(rng, 0.03),
    downMaxSteps: 30,
    pauseRate: maybe(rng, 0.02),
    pauseMaxSteps: 30,
    persistDelayMaxSteps: rng.nextInt(4),
    diskStallRate: maybe(rng, 0.02),
    diskStallMaxSteps: 20,
    applyDelayMaxSteps: rng.nextInt(4),
    tickSkipRate: maybe(rng, 0.1),
    storedDelayMaxSteps: 0,
  };
  const workload: WorkloadProfile = {
    proposeRate: 0.2 + 0.5 * rng.nextFloat(),
    confChangeRate: maybe(rng, 0.03),
    readRate: maybe(rng, 0.3),
    transferRate: maybe(rng, 0.03),
    compactRate: maybe(rng, 0.01),
  };
  // Small caps make batching, window-full pauses and refusals happen in a short run.
  const maxMessageBytes = pick(rng, [256, 1024, 1024 * 1024]);
  const raft: Partial<RaftConfig> = {
    maxMessageBytes,
    maxInflightMessages: pick(rng, [1, 2, 4, 256]),
    // 0 is "no byte cap"; otherwise a window of a few full messages.
    maxInflightBytes: pick(rng, [0, 4 * maxMessageBytes]),
    maxUncommittedEntriesBytes: pick(rng, [64, 1024, 64 * 1024 * 1024]),
    maxCommittedBytesPerReady: pick(rng, [32, 512, 64 * 1024 * 1024]),
    checkQuorum: rng.chance(0.5),
    preVote: rng.chance(0.8),
    disableProposalForwarding: rng.chance(0.2),
  };
  const bootstrapIndex = pick(rng, [0, 0, 1, 3]);
  // Drawn last, so the choices above stay what they were for every seed.
  if (rng.chance(0.5)) {
    return {
      faults: { ...faults, storedDelayMaxSteps: 1 + rng.nextInt(8) },
      workload,
      raft: { ...raft, storedSeparately: true },
      bootstrapIndex,
    };
  }
  return { faults, workload, raft, bootstrapIndex };
}

function pick<T>(rng: SeededRandom, options: readonly T[]): T {
  return options[rng.nextInt(options.length)]!;
}

/**
 * A profile with every network and peer fault off: the heal phase runs on it. The healed
 * network delivers in order after one step, like the TCP streams a store keeps per peer;
 * disks keep their delays.
 */
export function healedFaults(f: FaultProfile): FaultProfile {
  return {
    ...f,
    dropRate: 0,
    duplicateRate: 0,
    maxDelaySteps: 0,
    longDelayRate: 0,
    partitionRate: 0,
    linkCutRate: 0,
    crashRate: 0,
    pauseRate: 0,
    diskStallRate: 0,
  };
}
