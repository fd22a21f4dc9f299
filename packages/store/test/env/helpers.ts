/**
 * Helpers for the transport tests: waiting for a condition with a deadline (never a fixed
 * sleep), envelopes that say where they come from, handlers that record what arrives, and
 * loopback store servers that can be stopped and restarted on the same port.
 */

import { storeTransportService } from '@atoll/proto/grpc';
import type * as grpc from '@grpc/grpc-js';
import { type RunningGrpcServer, startGrpcServer } from '../../src/env/grpc-server.js';
import type { RaftLinkKind } from '../../src/env/grpc-transport.js';
import {
  createStoreTransportService,
  type StoreTransportServiceImpl,
} from '../../src/env/grpc-transport-service.js';
import { startSharedPortServer } from '../../src/env/shared-port-server.js';
import { SocketRaftService } from '../../src/env/socket-raft-service.js';
import type { RaftEnvelope, TransportHandlers } from '../../src/env/transport.js';

/** A test server's graceful stop deadline: long, so a stop that is not graceful shows. */
const STOP_DEADLINE_MS = 5_000;

/** How often waitFor polls. */
const POLL_MS = 5;

/** Resolves once `done()` holds; fails after `timeoutMs` with `what` in the message. */
export async function waitFor(
  done: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** An envelope of region `regionId` whose Raft message index is `index` (to check order). */
export function envelope(
  regionId: number,
  index: number,
  toStore: number,
  dataBytes = 0,
): RaftEnvelope {
  return {
    regionId,
    fromPeer: { id: regionId * 10 + 1, storeId: 1 },
    toPeer: { id: regionId * 10 + toStore, storeId: toStore },
    epoch: { confVer: 1, version: 1 },
    message: {
      type: 3,
      index,
      term: 1,
      entries: dataBytes > 0 ? [{ term: 1, index, data: new Uint8Array(dataBytes).fill(7) }] : [],
    },
  };
}

/** Handlers that remember every delivery. */
export class Recorder implements TransportHandlers {
  /** Each onEnvelopes call: who from, and the Raft indexes it carried. */
  readonly deliveries: { from: number; indexes: number[] }[] = [];
  readonly heartbeats: number[] = [];
  readonly snapshots: { from: number; envelope: RaftEnvelope; bytes: number }[] = [];
  /** Set to make onSnapshot do something else with the chunks. */
  snapshotReader: ((chunks: AsyncIterable<Uint8Array>) => Promise<number>) | undefined;

  onEnvelopes(fromStore: number, envelopes: RaftEnvelope[]): void {
    this.deliveries.push({
      from: fromStore,
      indexes: envelopes.map((e) => Number(e.message?.index ?? 0)),
    });
  }

  onStoreHeartbeat(fromStore: number): void {
    this.heartbeats.push(fromStore);
  }

  async onSnapshot(
    fromStore: number,
    env: RaftEnvelope,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const bytes = this.snapshotReader ? await this.snapshotReader(chunks) : await count(chunks);
    this.snapshots.push({ from: fromStore, envelope: env, bytes });
  }

  /** Every Raft index received from `from`, in arrival order. */
  indexesFrom(from: number): number[] {
    return this.deliveries.filter((d) => d.from === from).flatMap((d) => d.indexes);
  }
}

async function count(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of chunks) n += c.byteLength;
  return n;
}

/**
 * A loopback server of one store id's transport: for the 'socket' link a shared port (socket
 * Raft connections and gRPC, as a store serves them), for 'grpc' a plain gRPC server.
 */
export class TestStoreServer {
  private running: RunningGrpcServer | undefined;
  private service: StoreTransportServiceImpl | undefined;
  private sockets: SocketRaftService | undefined;
  port = 0;
  /** Connections the socket service dropped for a bad frame. */
  readonly badFrames: Error[] = [];

  constructor(
    readonly storeId: number,
    readonly handlers: TransportHandlers,
    readonly clusterId = 1,
    readonly link: RaftLinkKind = 'grpc',
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts on a free port the first time, then on the same port again. */
  async start(): Promise<void> {
    const me = { clusterId: this.clusterId, storeId: this.storeId };
    const service = createStoreTransportService(this.handlers, me);
    const register = (s: grpc.Server) => s.addService(storeTransportService, service);
    const address = `127.0.0.1:${this.port}`;
    if (this.link === 'socket') {
      const sockets = new SocketRaftService(this.handlers, me, (e) => this.badFrames.push(e));
      this.running = await startSharedPortServer(address, register, {
        raft: (s) => sockets.accept(s),
      });
      this.sockets = sockets;
    } else {
      this.running = await startGrpcServer(address, register);
    }
    this.service = service;
    this.port = this.running.port;
  }

  /** Open socket Raft connections (0 for a gRPC server). */
  get socketConnections(): number {
    return this.sockets?.connections ?? 0;
  }

  /** Ends the peers' streams, then stops gracefully within STOP_DEADLINE_MS, then by force. */
  async stop(): Promise<void> {
    this.service?.closeStreams();
    this.sockets?.closeAll();
    await this.running?.stop(STOP_DEADLINE_MS);
    this.running = undefined;
  }
}
