/**
 * @atoll/raft/testing: an in-memory, deterministic host for groups of Raft peers. Tests,
 * the seed demo and the core micro-benchmark use it; production hosts do not.
 */
export {
  type ClusterOptions,
  decodeAppliedLog,
  encodeAppliedLog,
  type MessageFilter,
  TestCluster,
  type TestPeer,
} from './memory-cluster.js';
