/**
 * The receiving side of store-to-store traffic: the StoreTransport gRPC service. Every
 * batch is checked (cluster id, destination store) before its envelopes reach the store;
 * a mismatch is answered with a typed error and the stream is closed.
 */

import type { atoll } from '@atoll/proto';
import { crc32c } from '@atoll/storage';
import type * as grpc from '@grpc/grpc-js';
import { StoreErrorCode } from '../errors.js';
import type { TransportHandlers } from './transport.js';

export interface TransportServiceOptions {
  readonly clusterId: number;
  readonly storeId: number;
}

type RaftCall = grpc.ServerDuplexStream<atoll.store.RaftBatch, atoll.store.IRaftBatchAck>;
type SnapshotCall = grpc.ServerReadableStream<atoll.store.SnapshotChunk, atoll.store.ISnapshotDone>;

export function createStoreTransportService(
  handlers: TransportHandlers,
  opts: TransportServiceOptions,
) {
  return {
    raft(call: RaftCall): void {
      call.on('data', (batch: atoll.store.RaftBatch) => {
        const sequence = Number(batch.sequence);
        const refusal = checkAddress(batch.clusterId, batch.toStore, opts);
        if (refusal) {
          call.write({ sequence, errorCode: refusal.code, errorMessage: refusal.message });
          call.end();
          return;
        }
        const from = Number(batch.fromStore);
        if (batch.envelopes.length > 0) handlers.onEnvelopes(from, batch.envelopes);
        if (batch.heartbeat) handlers.onStoreHeartbeat(from);
        call.write({ sequence });
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },

    snapshot(call: SnapshotCall, callback: grpc.sendUnaryData<atoll.store.ISnapshotDone>): void {
      const it = call[Symbol.asyncIterator]() as AsyncIterator<atoll.store.SnapshotChunk>;
      const refuse = (code: string, message: string) =>
        callback(null, { accepted: false, errorCode: code, errorMessage: message });
      (async () => {
        const first = await it.next();
        if (first.done || !first.value.envelope)
          return refuse(StoreErrorCode.Malformed, 'a snapshot stream starts with its envelope');
        const refusal = checkAddress(
          first.value.clusterId,
          first.value.envelope.toPeer?.storeId,
          opts,
        );
        if (refusal) return refuse(refusal.code, refusal.message);
        const envelope = first.value.envelope;
        async function* chunks(): AsyncGenerator<Uint8Array> {
          let total = 0;
          for (;;) {
            const next = await it.next();
            if (next.done) throw new Error('the snapshot stream ended without its last chunk');
            const c = next.value;
            if (c.last) {
              if (c.totalCrc32 !== total) throw new Error('snapshot stream checksum mismatch');
              return;
            }
            if (crc32c(c.data) !== c.crc32) throw new Error('snapshot chunk checksum mismatch');
            total = crc32c(c.data, total);
            yield c.data;
          }
        }
        await handlers.onSnapshot(Number(envelope.fromPeer?.storeId ?? 0), envelope, chunks());
        callback(null, { accepted: true });
      })().catch((e: unknown) =>
        refuse(StoreErrorCode.Malformed, e instanceof Error ? e.message : String(e)),
      );
    },
  };
}

function checkAddress(
  clusterId: number | null | undefined,
  toStore: number | null | undefined,
  opts: TransportServiceOptions,
): { code: string; message: string } | undefined {
  if (Number(clusterId) !== opts.clusterId) {
    return {
      code: StoreErrorCode.ClusterMismatch,
      message: `this store belongs to cluster ${opts.clusterId}, not ${clusterId}`,
    };
  }
  if (Number(toStore) !== opts.storeId) {
    return {
      code: StoreErrorCode.StoreMismatch,
      message: `this is store ${opts.storeId}, not ${toStore}`,
    };
  }
  return undefined;
}
