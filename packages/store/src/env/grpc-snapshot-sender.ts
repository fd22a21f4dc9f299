/**
 * Sends one snapshot on the client-streaming `Snapshot` call: a first message with the
 * envelope (the Raft Snapshot message), then one message per data chunk with its CRC-32,
 * then a last message with the CRC-32 over all data (crc32.ts). Chunks keep their source's
 * boundaries (the storage layer frames each one), are refused above SNAPSHOT_CHUNK_BYTES_MAX,
 * are paced by a shared byte-rate limiter, and are written only as fast as HTTP/2 takes them:
 * the sender holds a couple of chunks at a time, never the snapshot.
 * Not here: choosing the peer or the channel (grpc-transport.ts).
 */

import type { atoll } from '@atoll/proto';
import { storeTransportService } from '@atoll/proto/grpc';
import type * as grpc from '@grpc/grpc-js';
import { isStoreErrorCode, StoreError, StoreErrorCode } from '../errors.js';
import { crc32 } from './crc32.js';
import type { ByteRateLimiter } from './rate-limiter.js';
import type { RaftEnvelope } from './transport.js';

type SnapshotCall = grpc.ClientWritableStream<atoll.store.ISnapshotChunk>;

/**
 * Chunk messages handed to gRPC and not yet taken by HTTP/2 before the sender stops reading
 * its source: one being sent, one ready behind it. Keeps the link busy while the sender
 * holds at most two chunks (plus the one it is reading).
 */
const SNAPSHOT_CHUNKS_UNFLUSHED_MAX = 2;

/** Test-only hooks into a snapshot send. */
export interface SnapshotSendHooks {
  /**
   * Sees each data chunk after its CRC-32 was computed and returns what goes on the wire:
   * return altered bytes to simulate corruption in transit.
   */
  readonly mutateChunk?: (index: number, data: Uint8Array) => Uint8Array;
}

/** One snapshot send. */
export interface SnapshotSend {
  readonly client: grpc.Client;
  readonly clusterId: number;
  readonly toStore: number;
  readonly envelope: RaftEnvelope;
  readonly chunks: AsyncIterable<Uint8Array>;
  readonly limiter: ByteRateLimiter;
  readonly chunkBytesMax: number;
  /** Aborts the send (the transport closes). */
  readonly signal: AbortSignal;
  readonly hooks?: SnapshotSendHooks;
}

/** Streams the snapshot; resolves when the receiver answers `accepted`. */
export function sendSnapshotOver(s: SnapshotSend): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let finished = false;
    let resolveFinished: () => void = () => {};
    const finishedPromise = new Promise<void>((r) => {
      resolveFinished = r;
    });
    const stop = new AbortController();
    const settle = (error?: Error) => {
      if (finished) return;
      finished = true;
      resolveFinished();
      stop.abort(error ?? new Error('snapshot send finished'));
      s.signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const call = s.client.makeClientStreamRequest(
      storeTransportService.snapshot.path,
      storeTransportService.snapshot.requestSerialize,
      storeTransportService.snapshot.responseDeserialize,
      (err: grpc.ServiceError | null, done?: atoll.store.ISnapshotDone) => {
        if (err) settle(callError(s.toStore, err));
        else if (done?.accepted) settle();
        else settle(refusal(s.toStore, done));
      },
    ) as SnapshotCall;
    const onAbort = () => {
      settle(new StoreError(StoreErrorCode.TransportClosed, 'the transport was closed'));
      call.cancel();
    };
    if (s.signal.aborted) {
      onAbort();
      return;
    }
    s.signal.addEventListener('abort', onAbort, { once: true });

    // Resolves when fewer than SNAPSHOT_CHUNKS_UNFLUSHED_MAX writes wait for HTTP/2 (whose
    // flow control paces them to the receiver), or when the call is over. gRPC's own
    // 'drain' would only push back after 16 buffered messages: up to 16 chunks in memory.
    let unflushed = 0;
    let wake: () => void = () => {};
    const write = async (chunk: atoll.store.ISnapshotChunk): Promise<void> => {
      unflushed++;
      call.write(chunk, () => {
        unflushed--;
        wake();
      });
      while (unflushed >= SNAPSHOT_CHUNKS_UNFLUSHED_MAX && !finished) {
        await Promise.race([
          new Promise<void>((r) => {
            wake = r;
          }),
          finishedPromise,
        ]);
      }
    };

    (async () => {
      await write({ clusterId: s.clusterId, envelope: s.envelope });
      let total = 0;
      let index = 0;
      for await (const data of s.chunks) {
        if (finished) return; // the receiver answered early (refused); stop reading the source
        if (data.byteLength > s.chunkBytesMax) {
          throw new StoreError(
            StoreErrorCode.SnapshotChunkTooLarge,
            `a snapshot chunk of ${data.byteLength} bytes is over the ${s.chunkBytesMax}-byte limit`,
            false,
            { bytes: data.byteLength, max: s.chunkBytesMax },
          );
        }
        await s.limiter.take(data.byteLength, stop.signal);
        const crc = crc32(data);
        total = crc32(data, total);
        const wire = s.hooks?.mutateChunk?.(index, data) ?? data;
        index++;
        await write({ data: wire, crc32: crc });
      }
      if (finished) return;
      await write({ last: true, totalCrc32: total });
      call.end();
    })().catch((e: unknown) => {
      if (finished) return;
      call.cancel();
      settle(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

function callError(toStore: number, err: grpc.ServiceError): StoreError {
  return new StoreError(
    StoreErrorCode.StoreUnreachable,
    `snapshot to store ${toStore} failed: ${err.details || err.message}`,
    true,
    { storeId: toStore, grpcCode: err.code },
  );
}

function refusal(toStore: number, done: atoll.store.ISnapshotDone | undefined): StoreError {
  const code = isStoreErrorCode(done?.errorCode) ? done.errorCode : StoreErrorCode.SnapshotRefused;
  return new StoreError(
    code,
    `store ${toStore} refused the snapshot: ${done?.errorMessage || 'no reason given'}`,
    code === StoreErrorCode.SnapshotChecksum || code === StoreErrorCode.TooManySnapshots,
    { storeId: toStore },
  );
}
