/** The knobs of one Raft peer, their defaults and why, and their validation. */

import { RaftError, RaftErrorCode } from './errors.js';
import { type RaftLogger, silentLogger } from './logger.js';
import type { RaftStorage } from './raft-storage.js';
import type { RandomSource } from './random.js';
import type { PeerId } from './types.js';

/** How ReadIndex requests are served (Raft thesis §6.4). */
export enum ReadOnlyOption {
  /** Confirm leadership with a heartbeat round per batch of reads. Always safe. */
  Safe = 'safe',
  /**
   * Trust the leader lease that check-quorum maintains: no round trip. Safe only while
   * clocks tick at similar rates (bounded drift); requires checkQuorum.
   */
  LeaseBased = 'lease-based',
}

export interface RaftConfig {
  readonly id: PeerId;
  readonly storage: RaftStorage;
  readonly random: RandomSource;
  /** Ticks without hearing from a leader before campaigning; randomised in [n, 2n). */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** The last applied index when restarting, so entries are not handed out twice. */
  readonly applied?: number;
  readonly maxMessageBytes?: number;
  readonly maxInflightMessages?: number;
  readonly maxInflightBytes?: number;
  readonly maxUncommittedEntriesBytes?: number;
  readonly maxCommittedBytesPerReady?: number;
  readonly checkQuorum?: boolean;
  readonly preVote?: boolean;
  readonly readOnlyOption?: ReadOnlyOption;
  readonly disableProposalForwarding?: boolean;
  /**
   * The host reports a Ready durable (RawNode.persisted) and readable from its RaftStorage
   * (RawNode.stored) separately, e.g. durable in a write-ahead log before its storage
   * engine commits it. Until stored, entries are kept and served from memory. A Ready with a
   * snapshot must be stored by the time it is reported persisted. Default false: persisted
   * means both.
   */
  readonly storedSeparately?: boolean;
  /**
   * A leader whose commit index moves tells followers with its next append or heartbeat,
   * instead of sending each an empty append at once (etcd's behaviour, the default false).
   * Halves the messages and follower log writes per write when writes come one at a time;
   * followers apply up to a heartbeat later (RawNode.broadcastCommit tells them at once).
   */
  readonly lazyCommitNotice?: boolean;
  readonly logger?: RaftLogger;
}

export type ResolvedRaftConfig = Required<RaftConfig>;

export const RAFT_DEFAULTS = {
  /** 10 heartbeats: tolerates a few lost heartbeats before a follower gives up on a leader. */
  electionTicks: 10,
  heartbeatTicks: 1,
  /** 1 MiB per append: big enough to batch thousands of small writes, small enough to pipeline. */
  maxMessageBytes: 1024 * 1024,
  /** 256 appends in flight per follower: enough to cover a round trip at high write rates. */
  maxInflightMessages: 256,
  /** 32 MiB in flight per follower caps memory on a slow link. */
  maxInflightBytes: 32 * 1024 * 1024,
  /** 64 MiB of proposed-but-uncommitted payload per leader before proposals are refused. */
  maxUncommittedEntriesBytes: 64 * 1024 * 1024,
  /** 64 MiB of committed entries per Ready keeps one apply batch bounded. */
  maxCommittedBytesPerReady: 64 * 1024 * 1024,
  checkQuorum: true,
  preVote: true,
  readOnlyOption: ReadOnlyOption.Safe,
  disableProposalForwarding: false,
  storedSeparately: false,
  lazyCommitNotice: false,
} as const;

export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  const r: ResolvedRaftConfig = {
    ...RAFT_DEFAULTS,
    applied: 0,
    logger: silentLogger,
    ...stripUndefined(c),
  } as ResolvedRaftConfig;
  const fail = (msg: string): never => {
    throw new RaftError(RaftErrorCode.InvalidConfig, msg);
  };
  if (!Number.isSafeInteger(r.id) || r.id <= 0) fail('id must be a positive integer');
  if (r.heartbeatTicks <= 0) fail('heartbeatTicks must be positive');
  if (r.electionTicks <= r.heartbeatTicks) fail('electionTicks must exceed heartbeatTicks');
  if (r.maxInflightMessages <= 0) fail('maxInflightMessages must be positive');
  if (r.maxInflightBytes > 0 && r.maxInflightBytes < r.maxMessageBytes) {
    fail('maxInflightBytes must be at least maxMessageBytes');
  }
  if (r.readOnlyOption === ReadOnlyOption.LeaseBased && !r.checkQuorum) {
    fail('lease-based reads require checkQuorum');
  }
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
