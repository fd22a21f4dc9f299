/**
 * The receiving end of one `Snapshot` call: checks the first message (envelope, cluster,
 * destination store), then hands the store an async iterable of verified chunks. Each
 * chunk's CRC-32 (crc32.ts) is checked before it is yielded, and the running CRC against the
 * last message's total; a mismatch throws STORE_ERR_SNAPSHOT_CHECKSUM into the store's reader, which then
 * refuses the snapshot. Chunks are pulled from the call one at a time, so the receiver holds
 * about one chunk (plus gRPC's buffers), never the snapshot.
 * Not here: the Raft stream (grpc-transport-service.ts).
 */

import type { atoll } from '@atoll/proto';
import { StoreError, StoreErrorCode } from '../errors.js';
import { crc32 } from './crc32.js';
import type { RaftEnvelope, TransportHandlers } from './transport.js';

/** Who this store is, for checking what arrives. */
export interface ReceiverIdentity {
  readonly clusterId: number;
  readonly storeId: number;
}

/** Checks a message's cluster and destination store; undefined when both are right. */
export function checkAddress(
  clusterId: number | null | undefined,
  toStore: number | null | undefined,
  me: ReceiverIdentity,
): StoreError | undefined {
  if (Number(clusterId ?? 0) !== me.clusterId) {
    return new StoreError(
      StoreErrorCode.ClusterMismatch,
      `this store belongs to cluster ${me.clusterId}, not ${clusterId}`,
      false,
      { expected: me.clusterId, got: Number(clusterId ?? 0) },
    );
  }
  if (Number(toStore ?? 0) !== me.storeId) {
    return new StoreError(
      StoreErrorCode.StoreMismatch,
      `this is store ${me.storeId}, not ${toStore}`,
      false,
      { expected: me.storeId, got: Number(toStore ?? 0) },
    );
  }
  return undefined;
}

/**
 * Receives one snapshot from `messages` (the call's messages in order) and passes it to
 * `handlers.onSnapshot`. Resolves when the store accepted it; rejects with a StoreError
 * (or the store's own error) otherwise. The snapshot counts as accepted only if the store
 * read it to the end, so every byte it kept was verified.
 */
export async function receiveSnapshot(
  messages: AsyncIterator<atoll.store.SnapshotChunk>,
  handlers: TransportHandlers,
  me: ReceiverIdentity,
  chunkBytesMax: number,
): Promise<void> {
  const first = await messages.next();
  if (first.done || !first.value.envelope) {
    throw new StoreError(StoreErrorCode.Malformed, 'a snapshot stream starts with its envelope');
  }
  const envelope: RaftEnvelope = first.value.envelope;
  const refusal = checkAddress(first.value.clusterId, envelope.toPeer?.storeId, me);
  if (refusal) throw refusal;
  const state = { complete: false };
  const chunks = verifiedChunks(first.value, messages, chunkBytesMax, state);
  await handlers.onSnapshot(Number(envelope.fromPeer?.storeId ?? 0), envelope, chunks);
  if (!state.complete) {
    throw new StoreError(
      StoreErrorCode.SnapshotRefused,
      'the store stopped reading before the end of the snapshot',
    );
  }
}

async function* verifiedChunks(
  first: atoll.store.SnapshotChunk,
  messages: AsyncIterator<atoll.store.SnapshotChunk>,
  chunkBytesMax: number,
  state: { complete: boolean },
): AsyncGenerator<Uint8Array> {
  let total = 0;
  let index = 0;
  let message: atoll.store.SnapshotChunk | undefined = first;
  for (;;) {
    if (message.data.byteLength > 0) {
      const data = verify(message, index, chunkBytesMax);
      total = crc32(data, total);
      index++;
      yield data;
    }
    if (message.last) {
      if (message.totalCrc32 !== total) {
        throw new StoreError(
          StoreErrorCode.SnapshotChecksum,
          'the snapshot failed its total checksum',
          true,
          { chunks: index },
        );
      }
      state.complete = true;
      return;
    }
    const next = await messages.next();
    if (next.done) {
      throw new StoreError(
        StoreErrorCode.SnapshotRefused,
        'the snapshot stream ended without its last chunk',
        true,
        { chunks: index },
      );
    }
    message = next.value;
  }
}

function verify(m: atoll.store.SnapshotChunk, index: number, max: number): Uint8Array {
  if (m.data.byteLength > max) {
    throw new StoreError(
      StoreErrorCode.SnapshotChunkTooLarge,
      `snapshot chunk ${index} has ${m.data.byteLength} bytes, over the ${max}-byte limit`,
      false,
      { chunk: index, bytes: m.data.byteLength, max },
    );
  }
  if (crc32(m.data) !== m.crc32) {
    throw new StoreError(
      StoreErrorCode.SnapshotChecksum,
      `snapshot chunk ${index} failed its checksum`,
      true,
      { chunk: index },
    );
  }
  return m.data;
}
