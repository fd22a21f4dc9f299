/**
 * The Raft core's data types: entries, messages, hard and soft state, snapshots.
 *
 * These are plain data with no behaviour. The wire encoding lives in packages/proto;
 * this file only fixes the shapes that the state machine reads and writes.
 */

/** A peer id. Ids are positive integers; {@link NONE} means "nobody". */
export type PeerId = number;

/** The absent peer: no leader known, no vote cast. */
export const NONE: PeerId = 0;

/** What an entry carries. */
export enum EntryType {
  /** Application data, or an empty entry a new leader appends to commit its term. */
  Normal = 0,
  /** An encoded {@link ConfChange} (see conf-change-codec.ts). */
  ConfChange = 1,
}

/** One log entry. Invariant: `index` >= 1 and `term` >= 1 once in a log. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** The persistent state every peer must store before it sends what depends on it. */
export interface HardState {
  readonly term: number;
  /** Who this peer voted for in `term`, or NONE. */
  readonly vote: PeerId;
  /** Highest index known to be committed. */
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 });

/** The role a peer plays in its current term. */
export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

/** Volatile state worth telling the host about; never persisted. */
export interface SoftState {
  readonly leaderId: PeerId;
  readonly role: Role;
}

/**
 * A group's membership. During joint consensus (Raft thesis §4.3) `votersOutgoing` holds
 * the old voter set, and both majorities are needed.
 */
export interface ConfState {
  readonly voters: readonly PeerId[];
  readonly votersOutgoing: readonly PeerId[];
  readonly learners: readonly PeerId[];
  /** Voters of the outgoing config that become learners when the joint config is left. */
  readonly learnersNext: readonly PeerId[];
  /** Whether the leader leaves the joint config by itself once it is applied. */
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A state-machine image covering every entry up to `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/**
 * Message types. Local types never cross the wire: the host or the core itself steps them.
 */
export enum MessageType {
  /** Local: start an election. */
  Hup = 0,
  /** Local: the leader should send heartbeats. */
  Beat = 1,
  /** Local or forwarded from a follower: append these entries. */
  Propose = 2,
  Append = 3,
  AppendResponse = 4,
  Vote = 5,
  VoteResponse = 6,
  Snapshot = 7,
  Heartbeat = 8,
  HeartbeatResponse = 9,
  /** Local: the host could not reach `from`. */
  Unreachable = 10,
  /** Local: the host reports how sending a snapshot to `from` ended. */
  SnapshotStatus = 11,
  /** Local: the leader checks that a quorum has been active (Raft thesis §6.2). */
  CheckQuorum = 12,
  /** Local or forwarded: transfer leadership to `from` (Raft thesis §3.10). */
  TransferLeader = 13,
  /** Leader to transferee: campaign now, ignoring the election timeout. */
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResponse = 16,
  PreVote = 17,
  PreVoteResponse = 18,
}

/**
 * One Raft message. Fields that a type does not use are zero or empty.
 *
 * - Append: `index`/`logTerm` identify the entry preceding `entries`; `commit` is the
 *   leader's committed index.
 * - AppendResponse: `index` is the last index the follower matched; on `reject`,
 *   `rejectHint` and `logTerm` let the leader skip a whole term at once.
 * - Vote/PreVote: `index`/`logTerm` are the candidate's last entry.
 */
export interface Message {
  readonly type: MessageType;
  readonly to: PeerId;
  readonly from: PeerId;
  readonly term: number;
  readonly logTerm: number;
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly snapshot?: Snapshot;
  /** Opaque: read-index request ids, or CAMPAIGN_TRANSFER on transfer-driven votes. */
  readonly context?: Uint8Array;
}

/** Fills the unused fields of a message with zeroes. */
export function message(m: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...m,
  };
}

/** A linearizable read point: once `index` is applied, a read tagged `context` may be served. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/** How the host reports the end of a snapshot transfer. */
export enum SnapshotStatus {
  Finished = 'finished',
  Failure = 'failure',
}

/** Whether a message type is local to a peer and must never be sent over the wire. */
export function isLocalMessage(type: MessageType): boolean {
  return (
    type === MessageType.Hup ||
    type === MessageType.Beat ||
    type === MessageType.Unreachable ||
    type === MessageType.SnapshotStatus ||
    type === MessageType.CheckQuorum
  );
}

/** Whether a message type answers another (and so travels at the term it answers). */
export function isResponseMessage(type: MessageType): boolean {
  return (
    type === MessageType.AppendResponse ||
    type === MessageType.VoteResponse ||
    type === MessageType.HeartbeatResponse ||
    type === MessageType.Unreachable ||
    type === MessageType.PreVoteResponse ||
    type === MessageType.ReadIndexResponse
  );
}

/** The response type that answers a vote request type. */
export function voteResponseType(type: MessageType): MessageType {
  return type === MessageType.Vote ? MessageType.VoteResponse : MessageType.PreVoteResponse;
}
