/**
 * Clients over framed sockets to a store's shared port (SocketKvSender): a real store serves
 * them beside gRPC on the same port, and every way a connection fails tells the caller what
 * is safe: never connected or never written, "not sent"; written and then lost, "unknown";
 * a peer that goes silent is given up.
 */

import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import {
  createClient,
  GrpcKvSender,
  type RegionInfo,
  SendError,
  SendFailure,
  SocketKvSender,
  staticLocator,
} from '@atoll/client';
import { evenRegions } from '@atoll/store';
import { type RunningStore, startStoreServer } from '@atoll/store/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const region = evenRegions(1, [1], 'k')[0]!;
const info: RegionInfo = {
  id: region.id,
  startKey: Buffer.from(region.startKey),
  endKey: Buffer.from(region.endKey),
  epoch: region.epoch,
  peers: region.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: false })),
};

/** A TCP server that does `onSocket` with each connection, closed after the tests. */
const servers: Server[] = [];
async function rawServer(onSocket: (s: Socket) => void): Promise<string> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failureOf(p: Promise<unknown>): Promise<SendFailure> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SendError);
  return (e as SendError).failure;
}

describe('clients over framed sockets', () => {
  let store: RunningStore;

  beforeAll(async () => {
    store = await startStoreServer({
      storeId: 1,
      clusterId: 1,
      dataDir: 'memory:',
      listen: '127.0.0.1:0',
      resolveStore: async () => '127.0.0.1:1',
      bootstrapRegions: [region],
      config: { tickMs: 10 },
    });
  });
  afterAll(async () => {
    await store?.stop(false);
    for (const s of servers) s.close();
  });

  it('a store serves socket and gRPC clients on one port, with the same data', async () => {
    const addresses = new Map([[1, `127.0.0.1:${store.port}`]]);
    const sockets = createClient({
      locator: staticLocator([info], addresses),
      sender: new SocketKvSender(),
      timeoutMs: 10_000,
    });
    const grpc = createClient({
      locator: staticLocator([info], addresses),
      sender: new GrpcKvSender(),
      timeoutMs: 10_000,
    });
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `k${String(i).padStart(4, '0')}`);
      // Concurrent puts: many requests share a frame, answers come back matched by id.
      await Promise.all(keys.map((k) => sockets.put(k, `v-${k}`)));
      expect((await grpc.get('k0123'))?.toString()).toBe('v-k0123');
      await grpc.put('k0123', 'changed');
      expect((await sockets.get('k0123'))?.toString()).toBe('changed');
      expect((await sockets.scan()).length).toBe(300);
    } finally {
      await sockets.close();
      await grpc.close();
    }
  });

  it('nobody listening: the request was not sent', async () => {
    const closed = await rawServer(() => {});
    servers.pop()!.close();
    const sender = new SocketKvSender();
    expect(await failureOf(sender.send(closed, { get: { key: Buffer.from('k') } }, 5_000))).toBe(
      SendFailure.NotSent,
    );
    await sender.close();
  });

  it('written, then the connection breaks: the outcome is unknown', async () => {
    // Reads the request, then hangs up without answering.
    const address = await rawServer((s) => s.once('data', () => s.destroy()));
    const sender = new SocketKvSender();
    expect(await failureOf(sender.send(address, { get: { key: Buffer.from('k') } }, 5_000))).toBe(
      SendFailure.Unknown,
    );
    await sender.close();
  });

  it('a peer that reads and never answers is given up after the silence timeout', async () => {
    const address = await rawServer((s) => s.resume());
    const sender = new SocketKvSender({ silenceMs: 100 });
    const e = await sender
      .send(address, { get: { key: Buffer.from('k') } }, 30_000)
      .catch((x: unknown) => x);
    // The silence check, not the request's 30 s deadline, ended it.
    expect(e).toBeInstanceOf(SendError);
    expect((e as SendError).failure).toBe(SendFailure.Unknown);
    expect((e as SendError).message).toMatch(/no answer from the store for 100 ms/);
    await sender.close();
  });
});
