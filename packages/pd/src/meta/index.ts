/**
 * @atoll/pd/meta: the cluster metadata types and key-range helpers, with no dependencies.
 * Store, PD client and PD core can share them without depending on one another.
 */
export {
  describeRegion,
  isEpochStale,
  learners,
  peerById,
  peerOnStore,
  sameEpoch,
  voters,
} from './epoch.js';
export {
  bytesEqual,
  compareBytes,
  compareEndKeys,
  fromHex,
  isValidRange,
  keyInRange,
  keyInRegion,
  rangesOverlap,
  toHex,
} from './keys.js';
export type { Epoch, PeerMeta, RegionMeta, StoreMeta, StoreState } from './types.js';
