/**
 * The receiving side of store-to-store traffic over gRPC: the StoreTransport service. Its
 * `Raft` streams are handed to a RaftBatchReceiver each (raft-batch-receiver.ts: checks,
 * delivery, acks); snapshots to grpc-snapshot-receiver.ts. The socket link's receiving side
 * is socket-raft-service.ts.
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { type ReceiverIdentity, receiveSnapshot } from './grpc-snapshot-receiver.js';
import { RaftBatchReceiver } from './raft-batch-receiver.js';
import type { TransportHandlers } from './transport.js';
import { SNAPSHOT_CHUNK_BYTES_MAX, SNAPSHOT_RECEIVES_MAX } from './transport-limits.js';

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
      const receiver = new RaftBatchReceiver(handlers, me, {
        write: (ack) => call.write(ack),
        pauseUntilDrained: () => {
          call.pause();
          call.once('drain', () => call.resume());
        },
        end: () => call.end(),
        get ended() {
          return call.writableEnded || call.destroyed;
        },
      });
      call.on('data', (batch: atoll.store.RaftBatch) => receiver.onBatch(batch));
      const forget = () => {
        open.delete(call);
        receiver.close();
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
