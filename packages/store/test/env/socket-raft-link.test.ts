/**
 * What only the socket Raft link has: its framing (frames cut anywhere by TCP, the size cap),
 * the shared port (socket Raft, gRPC snapshots and garbage on one port; silent connections
 * closed), a bad frame closing one connection and nothing else, and a peer that never
 * acknowledges being given up.
 * The behaviour both links share is in grpc-transport.test.ts.
 */

import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { atoll } from '@atoll/proto';
import { SeededRandom } from '@atoll/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcRaftTransport } from '../../src/env/grpc-transport.js';
import { splitHostPort } from '../../src/env/host-port.js';
import { encodeFrame, FrameReader, RAFT_SOCKET_PREFACE } from '../../src/env/raft-frames.js';
import { startSharedPortServer } from '../../src/env/shared-port-server.js';
import { SocketRaftDialer } from '../../src/env/socket-raft-dialer.js';
import { StoreError, StoreErrorCode } from '../../src/errors.js';
import { envelope, Recorder, TestStoreServer, waitFor } from './helpers.js';

const started: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

async function socketServer(storeId: number): Promise<TestStoreServer> {
  const s = new TestStoreServer(storeId, new Recorder(), 1, 'socket');
  await s.start();
  started.push({ close: () => s.stop() });
  return s;
}

function socketTransport(storeId: number, address: string): GrpcRaftTransport {
  const t = new GrpcRaftTransport({
    storeId,
    clusterId: 1,
    raftLink: 'socket',
    resolve: async () => address,
  });
  started.push(t);
  return t;
}

/** A raw client connection to `port`, closed after the test. */
async function rawConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume(); // read (and drop) what the server says, or its close never shows

  started.push({ close: async () => void socket.destroy() });
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

describe('Raft frames', () => {
  it('gives back every frame, whole and in order, however the stream is cut', () => {
    const seed = Number(process.env.SEED ?? 20261123);
    const random = new SeededRandom(seed);
    const bodies = Array.from({ length: 200 }, (_, i) =>
      Buffer.alloc(random.nextInt(3_000), i % 251),
    );
    const stream = Buffer.concat(bodies.map(encodeFrame));
    const reader = new FrameReader();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.byteLength; ) {
      // Cuts of 1 byte (a split length prefix) up to several frames at once.
      const n = 1 + random.nextInt(random.nextInt(4) === 0 ? 8 : 8_000);
      out.push(...reader.push(stream.subarray(at, at + n)));
      at += n;
    }
    expect(out.length, `seed ${seed}`).toBe(bodies.length);
    for (const [i, body] of bodies.entries())
      expect(out[i]!.equals(body), `seed ${seed}`).toBe(true);
    expect(reader.pendingBytes).toBe(0);
  });

  it('refuses a frame over the cap before buffering it', () => {
    const reader = new FrameReader(1_024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1_025);
    expect(() => reader.push(head)).toThrow(
      expect.objectContaining({ code: StoreErrorCode.Malformed }),
    );
  });
});

describe('socket Raft link', () => {
  it('carries Raft over a socket and snapshots over gRPC, to one port', async () => {
    const s2 = await socketServer(2);
    const t1 = socketTransport(1, s2.address);
    t1.send(2, [envelope(1, 1, 2)]);
    t1.flush();
    await waitFor(() => (s2.handlers as Recorder).indexesFrom(1).length === 1, 'delivery');
    expect(s2.socketConnections).toBe(1);
    const data = (async function* () {
      yield new Uint8Array(64 * 1024).fill(3);
    })();
    await t1.sendSnapshot(2, envelope(1, 2, 2), data);
    expect((s2.handlers as Recorder).snapshots.map((x) => x.bytes)).toEqual([64 * 1024]);
  });

  it('closes a connection with a bad frame and keeps serving the others', async () => {
    const s2 = await socketServer(2);
    const t1 = socketTransport(1, s2.address);
    t1.send(2, [envelope(1, 1, 2)]);
    t1.flush();
    await waitFor(() => (s2.handlers as Recorder).indexesFrom(1).length === 1, 'delivery');

    // A frame announcing 1 GiB, and a frame that is not a RaftBatch.
    const tooBig = Buffer.alloc(4);
    tooBig.writeUInt32BE(1 << 30);
    const notABatch = encodeFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]));
    for (const bad of [tooBig, notABatch]) {
      const raw = await rawConnection(s2.port);
      raw.write(Buffer.concat([RAFT_SOCKET_PREFACE, bad]));
      await new Promise((resolve) => raw.once('close', resolve));
    }
    expect(s2.badFrames.map((e) => e instanceof StoreError && e.code)).toEqual([
      StoreErrorCode.Malformed,
      false, // protobufjs's own decode error
    ]);
    // Neither an HTTP/2 nor a Raft preface: gRPC gets it, and drops it.
    const junk = await rawConnection(s2.port);
    junk.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await new Promise((resolve) => junk.once('close', resolve));

    t1.send(2, [envelope(1, 2, 2)]);
    t1.flush();
    await waitFor(() => (s2.handlers as Recorder).indexesFrom(1).length === 2, 'still served');
    expect(s2.socketConnections).toBe(1);
  });

  it('closes a connection that stays silent before its first bytes', async () => {
    const server = await startSharedPortServer('127.0.0.1:0', () => {}, { raft: () => {} }, 100);
    started.push({ close: () => server.stop(0) });
    const silent = await rawConnection(server.port);
    const partial = await rawConnection(server.port);
    partial.write(RAFT_SOCKET_PREFACE.subarray(0, 4)); // half a preface, then nothing
    await Promise.all(
      [silent, partial].map((s) => new Promise((resolve) => s.once('close', resolve))),
    );
  });

  it('a bad address is a broken link, reported after dial(), never a throw', async () => {
    const broken: Error[] = [];
    const connection = new SocketRaftDialer().dial('no-port-here', {
      onAck: () => {},
      onBroken: (e) => broken.push(e),
    });
    expect(connection.write({ sequence: 1 })).toBe(true);
    await waitFor(() => broken.length === 1, 'the failure reported');
    expect(broken[0]).toMatchObject({ code: StoreErrorCode.StoreUnreachable });
    expect(splitHostPort('[::1]:20160')).toEqual(['::1', 20160]);
    expect(splitHostPort(':7')).toEqual(['127.0.0.1', 7]);
  });

  it('gives up a connection whose batches go unacknowledged', async () => {
    // A peer that reads everything and never answers: a store hung behind a live socket.
    const received: Buffer[] = [];
    const peers: Socket[] = [];
    const silent = createServer((socket) => {
      peers.push(socket);
      socket.on('data', (chunk: Buffer) => received.push(chunk));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    started.push({
      close: async () => {
        for (const p of peers) p.destroy();
        await new Promise((resolve) => silent.close(resolve));
      },
    });
    const broken: Error[] = [];
    const connection = new SocketRaftDialer(100).dial(
      `127.0.0.1:${(silent.address() as AddressInfo).port}`,
      { onAck: () => {}, onBroken: (e) => broken.push(e) },
    );
    started.push({ close: async () => connection.close() });
    connection.write({ clusterId: 1, fromStore: 1, toStore: 2, sequence: 1, envelopes: [] });
    await waitFor(() => broken.length > 0, 'the connection given up');
    expect(broken[0]).toMatchObject({ code: StoreErrorCode.StoreUnreachable });
    // It did send: the preface and one frame holding the batch.
    const bytes = Buffer.concat(received);
    expect(bytes.subarray(0, RAFT_SOCKET_PREFACE.byteLength).equals(RAFT_SOCKET_PREFACE)).toBe(
      true,
    );
    const frames = new FrameReader().push(bytes.subarray(RAFT_SOCKET_PREFACE.byteLength));
    expect(frames.map((f) => Number(atoll.store.RaftBatch.decode(f).sequence))).toEqual([1]);
  });

  it('keeps a connection whose batches are acknowledged, however long it lives', async () => {
    const s2 = await socketServer(2);
    const broken: Error[] = [];
    const acksWanted = 20;
    let acks = 0;
    let sent = 0;
    // Each batch the store receives makes the client write the next one, so a batch is always
    // unacknowledged when the next is written and the ack timer (50 ms) never restarts: only
    // the acks' progress keeps the connection. The store acks together every 10 ms at the
    // earliest (RAFT_ACK_DELAY_MS), so 20 acks span at least 200 ms, four ack timeouts.
    const write = () =>
      connection.write({
        clusterId: 1,
        fromStore: 1,
        toStore: 2,
        sequence: ++sent,
        envelopes: [envelope(1, sent, 2)],
      });
    const recorder = s2.handlers as Recorder;
    const deliver = recorder.onEnvelopes.bind(recorder);
    recorder.onEnvelopes = (from, envelopes) => {
      deliver(from, envelopes);
      if (acks < acksWanted && broken.length === 0) setImmediate(write);
    };
    const connection = new SocketRaftDialer(50).dial(s2.address, {
      onAck: () => {
        acks++;
      },
      onBroken: (e) => broken.push(e),
    });
    started.push({ close: async () => connection.close() });
    write();
    await waitFor(() => acks >= acksWanted || broken.length > 0, 'acks over several timeouts');
    expect(broken).toEqual([]);
  });
});
