/**
 * How a store talks to other stores: the port the store loop sees. The production adapter
 * (grpc-transport.ts) keeps one long-lived bidirectional stream per store pair and batches;
 * memory-transport.ts connects stores of one process for tests and the simulator.
 */

import type { atoll } from '@atoll/proto';

export type RaftEnvelope = atoll.store.IRaftEnvelope;

/** What a transport delivers to its store. Called from the transport's I/O callbacks. */
export interface TransportHandlers {
  /** Raft envelopes from `fromStore`, in the order that store sent them. */
  onEnvelopes(fromStore: number, envelopes: RaftEnvelope[]): void;
  /** A store-level heartbeat: `fromStore` is alive (liveness per store pair, not per region). */
  onStoreHeartbeat(fromStore: number): void;
  /**
   * A snapshot arrived: `envelope` carries the Raft Snapshot message; `chunks` yields the
   * region data, each chunk already checksum-verified. Resolve when it is safely stored;
   * reject to refuse it (the sender then reports the snapshot as failed).
   */
  onSnapshot(
    fromStore: number,
    envelope: RaftEnvelope,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void>;
}

export interface RaftTransport {
  /**
   * Queues envelopes for `toStore`; queued envelopes go out together on flush(). Returns
   * false when the queue for that store is full (back-pressure: a slow or dead store); the
   * caller then treats those peers as unreachable. Never blocks, never grows unbounded.
   */
  send(toStore: number, envelopes: RaftEnvelope[]): boolean;
  /** Sends a store-level heartbeat to `toStore` with the next flush. */
  sendHeartbeat(toStore: number): void;
  /** Sends everything queued, one batch message per destination store. */
  flush(): void;
  /**
   * Streams a snapshot to `toStore`: the envelope (with the Snapshot message) first, then
   * the data in bounded chunks, rate-limited. Chunk boundaries are kept: the receiver's
   * onSnapshot sees exactly the chunks given here (the storage layer frames each one), and a
   * chunk over SNAPSHOT_CHUNK_BYTES_MAX is refused. Resolves when the receiver accepted it,
   * i.e. its onSnapshot resolved after reading every chunk; rejects with a StoreError.
   */
  sendSnapshot(
    toStore: number,
    envelope: RaftEnvelope,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void>;
  /** Stops sending and receiving; releases streams. */
  close(): Promise<void>;
}
