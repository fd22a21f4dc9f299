/**
 * Snapshots over the gRPC transport: several megabytes arrive intact and verified, chunk
 * boundaries are kept, corruption in transit and a wrong total are refused with
 * STORE_ERR_SNAPSHOT_CHECKSUM, the byte budget holds over a short transfer, and the limits
 * (chunk size, concurrent sends) refuse with their codes.
 */

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { atoll } from '@atoll/proto';
import { storeTransportService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/env/crc32.js';
import { grpcChannelOptions } from '../../src/env/grpc-options.js';
import { StoreTransportClient } from '../../src/env/grpc-raft-dialer.js';
import { GrpcRaftTransport, type GrpcTransportOptions } from '../../src/env/grpc-transport.js';
import { SNAPSHOT_CHUNK_BYTES_MAX, SNAPSHOT_SENDS_MAX } from '../../src/env/transport-limits.js';
import { StoreError, StoreErrorCode } from '../../src/errors.js';
import { envelope, Recorder, TestStoreServer, waitFor } from './helpers.js';

const MiB = 1024 * 1024;
const started: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

async function setup(more: Partial<GrpcTransportOptions> = {}, clusterId = 1) {
  const s2 = new TestStoreServer(2, new Recorder(), clusterId);
  await s2.start();
  started.push({ close: () => s2.stop() });
  const t1 = new GrpcRaftTransport({
    storeId: 1,
    clusterId: 1,
    resolve: async () => s2.address,
    ...more,
  });
  started.push(t1);
  return { s2, t1, rec: s2.handlers as Recorder };
}

/** Pseudo-random bytes, made once (so corruption is not hidden by uniform bytes). */
const NOISE = (() => {
  const data = new Uint8Array(MiB);
  let x = 12345;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
})();

/** `count` fresh chunks of `size` bytes, each different (its index in the first bytes). */
async function* chunksOf(count: number, size: number, produced?: { bytes: number }) {
  for (let c = 0; c < count; c++) {
    const data = new Uint8Array(size);
    for (let at = 0; at < size; at += NOISE.length) data.set(NOISE.subarray(0, size - at), at);
    new DataView(data.buffer).setUint32(0, c);
    if (produced) produced.bytes += size;
    yield data;
  }
}

async function digestOf(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of chunks) h.update(c);
  return h.digest('hex');
}

describe('gRPC snapshots', () => {
  it('streams 16 MiB verified, chunk by chunk, keeping chunk boundaries', async () => {
    const { t1, rec } = await setup({ snapshotBytesPerSecond: Number.POSITIVE_INFINITY });
    const produced = { bytes: 0 };
    let consumed = 0;
    let maxAhead = 0;
    const sizes: number[] = [];
    let digest = '';
    rec.snapshotReader = async (chunks) => {
      const h = createHash('sha256');
      for await (const c of chunks) {
        sizes.push(c.byteLength);
        consumed += c.byteLength;
        maxAhead = Math.max(maxAhead, produced.bytes - consumed);
        h.update(c);
      }
      digest = h.digest('hex');
      return consumed;
    };
    const env = envelope(5, 42, 2);
    await t1.sendSnapshot(2, env, chunksOf(16, MiB, produced));
    expect(rec.snapshots).toHaveLength(1);
    expect(rec.snapshots[0]!.bytes).toBe(16 * MiB);
    expect(rec.snapshots[0]!.from).toBe(1);
    expect(Number(rec.snapshots[0]!.envelope.message?.index)).toBe(42);
    expect(sizes).toEqual(Array(16).fill(MiB));
    expect(digest).toBe(await digestOf(chunksOf(16, MiB)));
    // The sender reads its source only as fast as gRPC drains: never the whole snapshot ahead.
    expect(maxAhead).toBeLessThanOrEqual(8 * MiB);
  });

  it('refuses a chunk corrupted in transit with STORE_ERR_SNAPSHOT_CHECKSUM', async () => {
    const { t1, rec } = await setup({
      snapshotBytesPerSecond: Number.POSITIVE_INFINITY,
      hooks: {
        mutateChunk: (index, data) => {
          if (index !== 2) return data;
          const bad = Uint8Array.from(data);
          bad[100] = (bad[100]! ^ 0x01) & 0xff;
          return bad;
        },
      },
    });
    let seenBeforeError = 0;
    rec.snapshotReader = async (chunks) => {
      for await (const _ of chunks) seenBeforeError++;
      return 0;
    };
    const error = await t1.sendSnapshot(2, envelope(5, 1, 2), chunksOf(4, 256 * 1024)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(StoreErrorCode.SnapshotChecksum);
    expect(seenBeforeError).toBe(2); // chunks 0 and 1 were fine; chunk 2 never reached the store
    expect(rec.snapshots).toEqual([]);
  });

  it('refuses a stream whose total checksum does not match', async () => {
    const { s2, rec } = await setup();
    const client = new StoreTransportClient(
      s2.address,
      grpc.credentials.createInsecure(),
      grpcChannelOptions,
    );
    try {
      const data = new Uint8Array(1000).fill(3);
      const done = await new Promise<atoll.store.ISnapshotDone>((resolve, reject) => {
        const call = client.makeClientStreamRequest(
          storeTransportService.snapshot.path,
          storeTransportService.snapshot.requestSerialize,
          storeTransportService.snapshot.responseDeserialize,
          (err: grpc.ServiceError | null, r?: atoll.store.ISnapshotDone) =>
            err ? reject(err) : resolve(r!),
        ) as grpc.ClientWritableStream<atoll.store.ISnapshotChunk>;
        call.write({ clusterId: 1, envelope: envelope(5, 1, 2) });
        call.write({ data, crc32: crc32(data) });
        call.write({ last: true, totalCrc32: crc32(data) ^ 1 });
        call.end();
      });
      expect(done.accepted).toBe(false);
      expect(done.errorCode).toBe(StoreErrorCode.SnapshotChecksum);
      expect(rec.snapshots).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('a snapshot for another cluster is refused with STORE_ERR_CLUSTER_MISMATCH', async () => {
    const { t1 } = await setup({}, 7);
    await expect(t1.sendSnapshot(2, envelope(5, 1, 2), chunksOf(1, 1024))).rejects.toMatchObject({
      code: StoreErrorCode.ClusterMismatch,
    });
  });

  it("the store's own refusal comes back with its code", async () => {
    const { t1, rec } = await setup();
    rec.snapshotReader = async () => {
      throw new StoreError(StoreErrorCode.Storage, 'disk full');
    };
    await expect(t1.sendSnapshot(2, envelope(5, 1, 2), chunksOf(2, 1024))).rejects.toMatchObject({
      code: StoreErrorCode.Storage,
    });
  });

  it('a store that stops reading early has not accepted the snapshot', async () => {
    const { t1, rec } = await setup();
    rec.snapshotReader = async (chunks) => {
      for await (const _ of chunks) break;
      return 0;
    };
    await expect(t1.sendSnapshot(2, envelope(5, 1, 2), chunksOf(3, 1024))).rejects.toMatchObject({
      code: StoreErrorCode.SnapshotRefused,
    });
  });

  it('refuses a chunk over the limit with STORE_ERR_SNAPSHOT_CHUNK_TOO_LARGE', async () => {
    const { t1 } = await setup();
    async function* huge() {
      yield new Uint8Array(SNAPSHOT_CHUNK_BYTES_MAX + 1);
    }
    await expect(t1.sendSnapshot(2, envelope(5, 1, 2), huge())).rejects.toMatchObject({
      code: StoreErrorCode.SnapshotChunkTooLarge,
    });
  });

  it('a dead store fails the send with STORE_ERR_STORE_UNREACHABLE', async () => {
    const { s2, t1 } = await setup();
    await s2.stop();
    await expect(t1.sendSnapshot(2, envelope(5, 1, 2), chunksOf(1, 1024))).rejects.toMatchObject({
      code: StoreErrorCode.StoreUnreachable,
    });
  });

  it(`sends at most ${SNAPSHOT_SENDS_MAX} snapshots at once`, async () => {
    const { t1 } = await setup();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* blocked() {
      await gate;
      yield new Uint8Array(10);
    }
    const sends = Array.from({ length: SNAPSHOT_SENDS_MAX }, () =>
      t1.sendSnapshot(2, envelope(5, 1, 2), blocked()),
    );
    await expect(t1.sendSnapshot(2, envelope(5, 1, 2), blocked())).rejects.toMatchObject({
      code: StoreErrorCode.TooManySnapshots,
    });
    release();
    await Promise.all(sends);
  });

  it('keeps to the byte budget over a short transfer', async () => {
    const budget = 4 * MiB; // bytes per second
    const chunk = 256 * 1024;
    const chunks = 16; // 4 MiB: about one second at the budget
    const { t1, rec } = await setup({ snapshotBytesPerSecond: budget });
    const start = performance.now();
    await t1.sendSnapshot(2, envelope(5, 1, 2), chunksOf(chunks, chunk));
    const seconds = (performance.now() - start) / 1000;
    expect(rec.snapshots[0]!.bytes).toBe(chunks * chunk);
    // The limiter lets the first chunk go at once and each next one when the budget has
    // paid for the previous: the transfer takes at least (total - one chunk) / budget. So
    // the observed rate may exceed the budget by one chunk's worth (here 1/15), no more.
    const rate = (chunks * chunk) / seconds;
    expect(rate).toBeLessThanOrEqual(budget * (chunks / (chunks - 1)) * 1.02);
  });

  it('bytes received so far never run ahead of the budget by more than one chunk', async () => {
    const budget = 2 * MiB;
    const chunk = 128 * 1024;
    const { t1, rec } = await setup({ snapshotBytesPerSecond: budget });
    const samples: { t: number; bytes: number }[] = [];
    let start = 0;
    rec.snapshotReader = async (chunks) => {
      let bytes = 0;
      for await (const c of chunks) {
        bytes += c.byteLength;
        samples.push({ t: (performance.now() - start) / 1000, bytes });
      }
      return bytes;
    };
    start = performance.now();
    await t1.sendSnapshot(2, envelope(5, 1, 2), chunksOf(12, chunk));
    await waitFor(() => rec.snapshots.length === 1, 'the snapshot recorded');
    for (const s of samples) expect(s.bytes).toBeLessThanOrEqual(budget * s.t + chunk * 1.05);
  });
});
