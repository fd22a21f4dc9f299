/**
 * The receiving side of store-to-store traffic: the StoreTransport gRPC service. Every Raft
 * batch is checked (cluster id, destination store) before its envelopes reach the store; a
 * mismatch is answered with an error ack (STORE_ERR_CLUSTER_MISMATCH or
 * STORE_ERR_STORE_MISMATCH) and the stream is closed. Accepted batches are delivered in order,
 * envelopes first and then the heartbeat, and acknowledged cumulatively for the sender's
 * window: at once when the sender asks, otherwise together within RAFT_ACK_DELAY_MS.
 * Snapshots: grpc-snapshot-receiver.ts.
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { checkAddress, type ReceiverIdentity, receiveSnapshot } from './grpc-snapshot-receiver.js';
import type { TransportHandlers } from './transport.js';
import {
  RAFT_ACK_DELAY_MS,
  SNAPSHOT_CHUNK_BYTES_MAX,
  SNAPSHOT_RECEIVES_MAX,
} from './transport-limits.js';

/** Who this store is. */
export type TransportServiceOptions = ReceiverIdentity;

type RaftCall = grpc.ServerDuplexStream<atoll.store.RaftBatch, atoll.store.IRaftBatchAck>;
type SnapshotCall = grpc.ServerReadableStream<atoll.store.SnapshotChunk, atoll.store.ISnapshotDone>;

/**
 * The service implementation to add to a grpc.Server, plus a way to end its streams.
 * (A type alias, not an interface, so it fits grpc's index-signature implementation type.)
 */
export type StoreTransportServiceImpl = {
  raft(call: RaftCall): void;
  snapshot(call: SnapshotCall, callback: grpc.sendUnaryData<atoll.store.ISnapshotDone>): void;
  /**
   * Ends every open inbound Raft stream. Call it before stopping the server: peers' streams
   * never end by themselves, so a graceful shutdown would otherwise wait for its deadline.
   */
  closeStreams(): void;
};

/**
 * Creates the StoreTransport service of one store, delivering to `handlers`.
 *
 * @example
 * server.addService(storeTransportService, createStoreTransportService(store, { clusterId, storeId }));
 */
export function createStoreTransportService(
  handlers: TransportHandlers,
  me: TransportServiceOptions,
): StoreTransportServiceImpl {
  const open = new Set<RaftCall>();
  let receiving = 0;

  return {
    raft(call: RaftCall): void {
      open.add(call);
      let refused = false;
      let received = 0;
      let ackTimer: NodeJS.Timeout | undefined;
      const ack = () => {
        if (ackTimer) clearTimeout(ackTimer);
        ackTimer = undefined;
        if (refused || call.writableEnded || call.destroyed) return;
        if (!call.write({ sequence: received })) {
          // The sender is not reading its acks: stop reading its batches until it does.
          call.pause();
          call.once('drain', () => call.resume());
        }
      };
      call.on('data', (batch: atoll.store.RaftBatch) => {
        if (refused) return;
        const sequence = Number(batch.sequence);
        const refusal = checkAddress(batch.clusterId, batch.toStore, me);
        if (refusal) {
          refused = true;
          call.write({ sequence, errorCode: refusal.code, errorMessage: refusal.message });
          call.end();
          return;
        }
        const from = Number(batch.fromStore);
        if (batch.envelopes.length > 0) handlers.onEnvelopes(from, batch.envelopes);
        if (batch.heartbeat) handlers.onStoreHeartbeat(from);
        received = Math.max(received, sequence);
        if (batch.ackRequested) ack();
        else ackTimer ??= setTimeout(ack, RAFT_ACK_DELAY_MS);
      });
      const forget = () => {
        open.delete(call);
        if (ackTimer) clearTimeout(ackTimer);
        ackTimer = undefined;
      };
      call.on('end', () => {
        forget();
        call.end();
      });
      call.on('error', forget);
      call.on('close', forget);
    },

    snapshot(call: SnapshotCall, callback: grpc.sendUnaryData<atoll.store.ISnapshotDone>): void {
      const answer = (e?: unknown) => {
        if (!e) {
          callback(null, { accepted: true });
          return;
        }
        const code = e instanceof StoreError ? e.code : StoreErrorCode.SnapshotRefused;
        callback(null, {
          accepted: false,
          errorCode: code,
          errorMessage: e instanceof Error ? e.message : String(e),
        });
      };
      if (receiving >= SNAPSHOT_RECEIVES_MAX) {
        answer(
          new StoreError(
            StoreErrorCode.TooManySnapshots,
            `already receiving ${receiving} snapshots`,
            true,
          ),
        );
        return;
      }
      receiving++;
      const messages = call[Symbol.asyncIterator]() as AsyncIterator<atoll.store.SnapshotChunk>;
      receiveSnapshot(messages, handlers, me, SNAPSHOT_CHUNK_BYTES_MAX)
        .then(
          () => answer(),
          (e: unknown) => answer(e),
        )
        .finally(() => {
          receiving--;
        });
    },

    closeStreams(): void {
      for (const call of open) call.end();
      open.clear();
    },
  };
}
