/**
 * @atoll/raft: a deterministic Raft consensus core with no I/O. See README.md for the
 * contract between the core and its host.
 */

export { AssertionError, assert } from './assert.js';
export {
  type ConfChange,
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  decodeConfChange,
  describeConfChange,
  encodeConfChange,
  isLeaveJoint,
  LEAVE_JOINT,
} from './conf-change.js';
export { RAFT_DEFAULTS, type RaftConfig, ReadOnlyOption } from './config.js';
export {
  isRaftError,
  type ProposalDropReason,
  proposalDropped,
  RaftError,
  RaftErrorCode,
  type RaftErrorDetails,
} from './errors.js';
export { type RaftLogger, silentLogger } from './logger.js';
export { EMPTY_CONF_STATE, emptySnapshot, MemoryStorage } from './memory-storage.js';
export { jointCommittedIndex, jointVoteResult } from './quorum/joint.js';
export { majorityCommittedIndex, majorityVoteResult } from './quorum/majority.js';
export { VoteResult } from './quorum/vote-result.js';
export { CAMPAIGN_TRANSFER, Raft } from './raft.js';
export type { InitialState, RaftStorage } from './raft-storage.js';
export { type RandomSource, SeededRandom } from './random.js';
export { type PeerProgress, RawNode, type Status } from './raw-node.js';
export type { Ready } from './ready.js';
export { entriesBytes, entryBytes, limitSize, payloadBytes } from './sizes.js';
export { ProgressState } from './tracker/progress.js';
export {
  type ConfState,
  EMPTY_HARD_STATE,
  type Entry,
  EntryType,
  type HardState,
  isLocalMessage,
  type Message,
  MessageType,
  message,
  NONE,
  type PeerId,
  type ReadState,
  Role,
  type Snapshot,
  type SnapshotMetadata,
  SnapshotStatus,
  type SoftState,
} from './types.js';
