/**
 * The network transport between real in-process servers on loopback, over both Raft links
 * (gRPC streams, framed TCP sockets on a shared port): order per store pair, batching,
 * bounded queues with a dead peer, reconnect after a restart on the same port, refusal of the
 * wrong cluster or store, store heartbeats, the window and cumulative acks, back-pressure.
 */

import { type AddressInfo, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { storeTransportService } from '@atoll/proto/grpc';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startLoopbackGrpcServer } from '../../src/env/grpc-server.js';
import {
  GrpcRaftTransport,
  type GrpcTransportOptions,
  type RaftLinkKind,
} from '../../src/env/grpc-transport.js';
import { envelopeBytes } from '../../src/env/send-queue.js';
import { StoreError, StoreErrorCode } from '../../src/errors.js';
import { envelope, Recorder, TestStoreServer, waitFor } from './helpers.js';

const started: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

async function serverOf(
  link: RaftLinkKind,
  storeId: number,
  clusterId = 1,
): Promise<TestStoreServer> {
  const s = new TestStoreServer(storeId, new Recorder(), clusterId, link);
  await s.start();
  started.push({ close: () => s.stop() });
  return s;
}

function transportOf(
  link: RaftLinkKind,
  storeId: number,
  servers: TestStoreServer[],
  more: Partial<GrpcTransportOptions> = {},
): GrpcRaftTransport {
  const t = new GrpcRaftTransport({
    storeId,
    clusterId: 1,
    raftLink: link,
    resolve: async (id) => {
      const s = servers.find((x) => x.storeId === id);
      if (!s) throw new Error(`store ${id} unknown`);
      return s.address;
    },
    random: () => 0.5,
    ...more,
  });
  started.push(t);
  return t;
}

const recorder = (s: TestStoreServer) => s.handlers as Recorder;

/** A gRPC StoreTransport server that accepts `Raft` streams and never reads them. */
async function stuckGrpcPeer(): Promise<string> {
  const stuck = await startLoopbackGrpcServer((s) =>
    s.addService(storeTransportService, {
      raft: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.pause(),
      snapshot: () => {},
    }),
  );
  started.push({ close: () => stuck.stop(0) });
  return `127.0.0.1:${stuck.port}`;
}

/** A TCP server that accepts connections and never reads them. */
async function stuckSocketPeer(): Promise<string> {
  const sockets: Socket[] = [];
  const stuck = createServer((socket) => {
    socket.pause();
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
  started.push({
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => stuck.close(resolve));
    },
  });
  return `127.0.0.1:${(stuck.address() as AddressInfo).port}`;
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe.each(['grpc', 'socket'] as const)('transport, Raft over %s', (link) => {
  const server = (storeId: number, clusterId = 1) => serverOf(link, storeId, clusterId);
  const transport = (
    storeId: number,
    servers: TestStoreServer[],
    more: Partial<GrpcTransportOptions> = {},
  ) => transportOf(link, storeId, servers, more);

  it('delivers in order per store pair, from several stores to several stores', async () => {
    const s2 = await server(2);
    const s3 = await server(3);
    const t1 = transport(1, [s2, s3]);
    const t4 = transport(4, [s2, s3]);
    for (let i = 1; i <= 500; i++) {
      expect(t1.send(2, [envelope(1, i, 2)])).toBe(true);
      expect(t1.send(3, [envelope(1, i, 3)])).toBe(true);
      expect(t4.send(2, [envelope(7, 10_000 + i, 2)])).toBe(true);
      if (i % 50 === 0) {
        t1.flush();
        t4.flush();
      }
    }
    await waitFor(
      () =>
        recorder(s2).indexesFrom(1).length === 500 &&
        recorder(s3).indexesFrom(1).length === 500 &&
        recorder(s2).indexesFrom(4).length === 500,
      'all envelopes delivered',
    );
    expect(recorder(s2).indexesFrom(1)).toEqual(range(1, 500));
    expect(recorder(s3).indexesFrom(1)).toEqual(range(1, 500));
    expect(recorder(s2).indexesFrom(4)).toEqual(range(10_001, 500));
  });

  it('batches: many sends before a flush travel as one message', async () => {
    const s2 = await server(2);
    const t1 = transport(1, [s2]);
    for (let i = 1; i <= 1_000; i++) t1.send(2, [envelope(i % 7, i, 2)]);
    t1.sendHeartbeat(2);
    t1.flush();
    await waitFor(() => recorder(s2).indexesFrom(1).length === 1_000, 'delivery');
    expect(recorder(s2).deliveries.length).toBe(1);
    const stats = t1.stats()[0]!;
    expect(stats.batchesSent).toBe(1);
    expect(stats.envelopesSent).toBe(1_000);
    expect(stats.heartbeatsSent).toBe(1);
    await waitFor(() => t1.stats()[0]!.inflightBatches === 0, 'the batch acknowledged');
  });

  it('splits a flush over the byte cap into several ordered messages', async () => {
    const s2 = await server(2);
    const t1 = transport(1, [s2], { batchBytesMax: 64 * 1024 });
    // 100 envelopes of ~8 KiB: 7 fit in a 64 KiB batch.
    const perBatch = Math.floor((64 * 1024) / envelopeBytes(envelope(1, 1, 2, 8 * 1024)));
    for (let i = 1; i <= 100; i++) t1.send(2, [envelope(1, i, 2, 8 * 1024)]);
    t1.flush();
    await waitFor(() => recorder(s2).indexesFrom(1).length === 100, 'delivery');
    expect(recorder(s2).indexesFrom(1)).toEqual(range(1, 100));
    expect(t1.stats()[0]!.batchesSent).toBe(Math.ceil(100 / perBatch));
    expect(recorder(s2).deliveries.length).toBe(Math.ceil(100 / perBatch));
  });

  it('keeps at most the window of unacknowledged batches in flight', async () => {
    const s2 = await server(2);
    const t1 = transport(1, [s2], { window: 2, batchBytesMax: 1 });
    // batchBytesMax 1: one envelope per batch, so 50 envelopes want 50 batches.
    let maxInflight = 0;
    for (let i = 1; i <= 50; i++) t1.send(2, [envelope(1, i, 2)]);
    t1.flush();
    await waitFor(() => {
      maxInflight = Math.max(maxInflight, t1.stats()[0]!.inflightBatches);
      return recorder(s2).indexesFrom(1).length === 50;
    }, 'delivery through a window of 2');
    expect(maxInflight).toBeLessThanOrEqual(2);
    expect(t1.stats()[0]!.batchesSent).toBe(50);
    expect(recorder(s2).indexesFrom(1)).toEqual(range(1, 50));
  });

  it('acknowledges batches together: fewer acks than batches, the window kept open', async () => {
    const s2 = await server(2);
    const t1 = transport(1, [s2]);
    // One batch per flush, a turn of the event loop apart: as a store loop sends at low load.
    for (let i = 1; i <= 200; i++) {
      t1.send(2, [envelope(1, i, 2)]);
      t1.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => recorder(s2).indexesFrom(1).length === 200, 'delivery');
    // The last batches did not ask for an ack: the receiver's delayed ack still comes.
    await waitFor(() => t1.stats()[0]!.inflightBatches === 0, 'every batch acknowledged');
    const stats = t1.stats()[0]!;
    expect(stats.batchesSent).toBe(200);
    expect(stats.acks).toBeLessThanOrEqual(100);
    expect(recorder(s2).indexesFrom(1)).toEqual(range(1, 200));
  });

  it('stops writing when the connection pushes back, even with the window open', async () => {
    // A peer that accepts the connection and never reads it: flow control fills up (HTTP/2's
    // windows, or the socket's kernel buffers).
    const address = link === 'grpc' ? await stuckGrpcPeer() : await stuckSocketPeer();
    const t1 = new GrpcRaftTransport({
      storeId: 1,
      clusterId: 1,
      raftLink: link,
      resolve: async () => address,
      window: 1_000,
      batchBytesMax: 64 * 1024,
    });
    started.push(t1);
    const envelopes = 1_000;
    for (let i = 1; i <= envelopes; i++) t1.send(2, [envelope(1, i, 2, 60 * 1024)]);
    t1.flush();
    await waitFor(() => t1.stats()[0]!.blockedOnDrain, 'back-pressure from the connection');
    const stats = t1.stats()[0]!;
    // grpc-js buffers up to 16 messages before write() says no; loopback kernel buffers take
    // a few MiB. Either way most of the 60 MiB waits in the queue, within the window.
    expect(stats.batchesSent).toBeLessThan(link === 'grpc' ? 40 : 200);
    expect(stats.inflightBatches).toBe(stats.batchesSent);
    expect(stats.queuedEnvelopes).toBe(envelopes - stats.envelopesSent);
  });

  it("closeStreams lets a server stop gracefully despite peers' open streams", async () => {
    const s2 = await server(2);
    const t1 = transport(1, [s2]);
    t1.send(2, [envelope(1, 1, 2)]);
    t1.flush();
    await waitFor(() => recorder(s2).deliveries.length === 1, 'the stream is open');
    const start = performance.now();
    await s2.stop(); // closeStreams, then a graceful stop with a 5 s deadline (helpers.ts)
    expect(performance.now() - start).toBeLessThan(2_500);
  });

  it('refuses sends once the queue to a dead store is full, and holds no more', async () => {
    const s2 = await server(2);
    await s2.stop(); // the port is known, nobody listens
    const t1 = transport(1, [s2], { queueEnvelopesMax: 100, queueBytesMax: 1 << 20 });
    let accepted = 0;
    let refused = 0;
    for (let i = 1; i <= 1_000; i++) {
      if (t1.send(2, [envelope(1, i, 2)])) accepted++;
      else refused++;
      t1.flush();
    }
    // The first flush may hand up to a window of batches to the (failing) stream; after that
    // everything waits in the bounded queue.
    const stats = t1.stats()[0]!;
    expect(refused).toBeGreaterThan(0);
    expect(stats.queuedEnvelopes).toBeLessThanOrEqual(100);
    expect(stats.queuedBytes).toBeLessThanOrEqual(1 << 20);
    expect(stats.refusedSends).toBe(refused);
    expect(accepted + refused).toBe(1_000);
  });

  it('refuses by bytes too', async () => {
    const s2 = await server(2);
    await s2.stop();
    const t1 = transport(1, [s2], { queueBytesMax: 64 * 1024 });
    expect(t1.send(2, [envelope(1, 1, 2, 40 * 1024)])).toBe(true);
    expect(t1.send(2, [envelope(1, 2, 2, 40 * 1024)])).toBe(false);
    expect(t1.stats()[0]!.queuedBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('reconnects after the peer restarts on the same port', async () => {
    const s2 = await server(2);
    const errors: Error[] = [];
    const t1 = transport(1, [s2], { onError: (_id, e) => errors.push(e) });
    t1.send(2, [envelope(1, 1, 2)]);
    t1.flush();
    await waitFor(() => recorder(s2).indexesFrom(1).length === 1, 'first delivery');

    await s2.stop();
    // Keep flushing while the peer is down, as the store loop would; the link notices.
    await waitFor(() => {
      t1.send(2, [envelope(1, 2, 2)]);
      t1.flush();
      return !t1.stats()[0]!.connected;
    }, 'the link sees the broken stream');
    expect(errors.length).toBeGreaterThan(0);

    await s2.start();
    let next = 1_000;
    await waitFor(
      () => {
        t1.send(2, [envelope(1, ++next, 2)]);
        t1.flush();
        return recorder(s2)
          .indexesFrom(1)
          .some((i) => i >= 1_000);
      },
      'delivery after the restart',
      15_000,
    );
    expect(t1.stats()[0]!.streamsOpened).toBeGreaterThanOrEqual(2);
    // Whatever arrives after the restart still arrives in order.
    const after = recorder(s2)
      .indexesFrom(1)
      .filter((i) => i >= 1_000);
    expect(after).toEqual([...after].sort((a, b) => a - b));
  });

  it('a store of another cluster is refused with STORE_ERR_CLUSTER_MISMATCH', async () => {
    const s2 = await server(2, 99);
    const errors: Error[] = [];
    const t1 = transport(1, [s2], { onError: (_id, e) => errors.push(e) });
    t1.send(2, [envelope(1, 1, 2)]);
    t1.flush();
    await waitFor(() => errors.length > 0, 'the refusal');
    const e = errors.find((x) => x instanceof StoreError) as StoreError;
    expect(e.code).toBe(StoreErrorCode.ClusterMismatch);
    expect(recorder(s2).deliveries).toEqual([]);
    expect(t1.stats()[0]!.connected).toBe(false);
  });

  it('a batch for another store is refused with STORE_ERR_STORE_MISMATCH', async () => {
    const s2 = await server(2);
    const errors: Error[] = [];
    // The resolver is wrong: it sends store 3's traffic to store 2.
    const t1 = new GrpcRaftTransport({
      storeId: 1,
      clusterId: 1,
      raftLink: link,
      resolve: async () => s2.address,
      onError: (_id, e) => errors.push(e),
    });
    started.push(t1);
    t1.send(3, [envelope(1, 1, 3)]);
    t1.sendHeartbeat(3);
    t1.flush();
    await waitFor(() => errors.some((x) => x instanceof StoreError), 'the refusal');
    const e = errors.find((x) => x instanceof StoreError) as StoreError;
    expect(e.code).toBe(StoreErrorCode.StoreMismatch);
    expect(recorder(s2).deliveries).toEqual([]);
    expect(recorder(s2).heartbeats).toEqual([]);
  });

  it('delivers store heartbeats, collapsed to one per flush, after the envelopes', async () => {
    const s2 = await server(2);
    const order: string[] = [];
    const h = recorder(s2);
    const onEnvelopes = h.onEnvelopes.bind(h);
    const onHeartbeat = h.onStoreHeartbeat.bind(h);
    h.onEnvelopes = (from, envs) => {
      order.push('envelopes');
      onEnvelopes(from, envs);
    };
    h.onStoreHeartbeat = (from) => {
      order.push('heartbeat');
      onHeartbeat(from);
    };
    const t1 = transport(1, [s2]);
    t1.sendHeartbeat(2);
    t1.sendHeartbeat(2);
    t1.flush();
    await waitFor(() => h.heartbeats.length === 1, 'a heartbeat alone');
    t1.send(2, [envelope(1, 1, 2)]);
    t1.sendHeartbeat(2);
    t1.flush();
    await waitFor(() => h.heartbeats.length === 2, 'a heartbeat with envelopes');
    expect(h.heartbeats).toEqual([1, 1]);
    expect(order).toEqual(['heartbeat', 'envelopes', 'heartbeat']);
  });

  it('after close, send refuses and snapshots fail with STORE_ERR_TRANSPORT_CLOSED', async () => {
    const s2 = await server(2);
    const t1 = transport(1, [s2]);
    await t1.close();
    expect(t1.send(2, [envelope(1, 1, 2)])).toBe(false);
    await expect(
      t1.sendSnapshot(2, envelope(1, 1, 2), (async function* () {})()),
    ).rejects.toMatchObject({ code: StoreErrorCode.TransportClosed });
  });

  it('asks the resolver again after a failed connection (a store restarted elsewhere)', async () => {
    const s2 = await server(2);
    // First answer: an address nobody listens on (the store's old port).
    const probe = await startLoopbackGrpcServer(() => {});
    const stale = `127.0.0.1:${probe.port}`;
    await probe.stop();
    let address = stale;
    const forgotten: number[] = [];
    const t = transport(1, [s2], {
      resolve: async () => address,
      forget: (id) => {
        forgotten.push(id);
        address = s2.address;
      },
    });
    // Raft resends what a broken link lost: so does this test, until one arrives.
    let index = 0;
    await waitFor(() => {
      t.send(2, [envelope(1, ++index, 2)]);
      t.flush();
      return recorder(s2).indexesFrom(1).length > 0;
    }, 'delivered at the new address');
    expect(forgotten).toContain(2);
  });
});
