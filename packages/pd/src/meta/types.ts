/**
 * The cluster's metadata types as the placement driver sees them: stores, regions, peers,
 * epochs. Plain readonly data with no behaviour and no dependencies, so the store, a PD
 * client and the PD core can all share them (this module is also exported on its own as
 * `@atoll/pd/meta`). The shapes match `@atoll/store`'s RegionMeta field for field, so a
 * store's region description is assignable to ours without conversion.
 *
 * Not here: wire encoding (the wiring layer converts to and from atoll.meta.* messages).
 */

/**
 * A region's version pair. `confVer` is bumped by every membership change, `version` by
 * every split (and merge). Invariant: neither ever decreases for one region id.
 */
export interface Epoch {
  readonly confVer: number;
  readonly version: number;
}

/** One replica of a region on one store. Peer ids are unique in the whole cluster. */
export interface PeerMeta {
  readonly id: number;
  readonly storeId: number;
  readonly isLearner: boolean;
}

/**
 * A region: the key range `[startKey, endKey)`, its epoch and its peers. An empty `endKey`
 * means "to the end of the key space"; keys compare as unsigned bytes.
 */
export interface RegionMeta {
  readonly id: number;
  readonly startKey: Uint8Array;
  /** Empty means unbounded. */
  readonly endKey: Uint8Array;
  readonly epoch: Epoch;
  readonly peers: readonly PeerMeta[];
}

/**
 * A store's administrative state, persisted by the PD. `up`: serving and eligible for new
 * replicas. `offline`: being decommissioned; its replicas are moved away, then it becomes
 * `tombstone`: gone for good, its heartbeats are refused. "Down" is not a state: it is
 * derived from silence (see PdConfig.maxStoreDownTimeMs) and never persisted.
 */
export type StoreState = 'up' | 'offline' | 'tombstone';

/** What the PD persists about a store (heartbeat statistics are kept in memory only). */
export interface StoreMeta {
  readonly id: number;
  /** host:port of the store's gRPC listener. Unique among stores that are not tombstones. */
  readonly address: string;
  /** host:port of the store's HTTP status port (metrics, status); may be empty. */
  readonly statusAddress: string;
  readonly state: StoreState;
  /** The store's software version, informational. */
  readonly version: string;
}
