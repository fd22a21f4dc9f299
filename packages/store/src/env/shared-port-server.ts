/**
 * One port for every kind of traffic a store receives: gRPC (clients, PD, snapshots, admin)
 * and the framed socket links (@atoll/proto/frames): Raft from other stores, Kv from clients.
 * Each new connection's first bytes decide: a known preface goes to its socket service,
 * anything else (HTTP/2's preface) is handed, bytes and all, to the gRPC server through its
 * connection injector. Plaintext only: a TLS store binds its gRPC server alone
 * (grpc-server.ts) and serves everything over gRPC.
 */

import { createServer, type Server, type Socket } from 'node:net';
import { KV_PREFACE, PREFACE_BYTES, RAFT_PREFACE } from '@atoll/proto/frames';
import * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { grpcServerOptions } from './grpc-options.js';
import type { RunningGrpcServer } from './grpc-server.js';
import { SERVER_STOP_DEADLINE_MS } from './grpc-server.js';
import { splitHostPort } from './host-port.js';
import { CONNECTION_SNIFF_TIMEOUT_MS } from './transport-limits.js';

/** A running shared port: the gRPC server behind it, and the port. */
export interface SharedPortServer extends RunningGrpcServer {}

/** Who serves each framed socket link; each gets the socket with its preface read. */
export interface SocketRoutes {
  readonly raft: (socket: Socket) => void;
  /** Absent: a Kv preface is refused (the connection closed). */
  readonly kv?: (socket: Socket) => void;
}

/**
 * Listens on `address` (host:port; port 0 picks a free one), serves the services `register`
 * adds over gRPC, and passes framed socket connections, preface read, to `routes`. A
 * connection silent for `sniffTimeoutMs` before its first bytes is closed.
 * Fails with STORE_ERR_ADDRESS_IN_USE when the port is taken.
 */
export async function startSharedPortServer(
  address: string,
  register: (server: grpc.Server) => void,
  routes: SocketRoutes,
  sniffTimeoutMs = CONNECTION_SNIFF_TIMEOUT_MS,
): Promise<SharedPortServer> {
  const server = new grpc.Server(grpcServerOptions);
  register(server);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    sniff(socket, injector, routes, sniffTimeoutMs);
  });
  const port = await listen(listener, address);
  let stopping: Promise<void> | undefined;
  return {
    server,
    port,
    stop: (deadlineMs = SERVER_STOP_DEADLINE_MS) => {
      stopping ??= stop(listener, server, sockets, deadlineMs);
      return stopping;
    },
  };
}

/** Reads the first bytes of `socket` and hands it on. */
function sniff(
  socket: Socket,
  injector: grpc.ConnectionInjector,
  routes: SocketRoutes,
  timeoutMs: number,
): void {
  socket.setTimeout(timeoutMs, () => socket.destroy());
  socket.on('error', () => {}); // until an owner takes it: 'close' follows
  const onReadable = () => {
    // null until the whole preface's worth of bytes is in (or the socket ended).
    const head = socket.read(PREFACE_BYTES) as Buffer | null;
    if (head === null) {
      if (!socket.readableEnded && !socket.destroyed) socket.once('readable', onReadable);
      else socket.destroy();
      return;
    }
    socket.setTimeout(0);
    if (head.equals(RAFT_PREFACE)) {
      routes.raft(socket);
      return;
    }
    if (head.equals(KV_PREFACE)) {
      if (routes.kv) routes.kv(socket);
      else socket.destroy();
      return;
    }
    socket.unshift(head);
    injector.injectConnection(socket);
  };
  socket.once('readable', onReadable);
}

function listen(listener: Server, address: string): Promise<number> {
  const [host, port] = splitHostPort(address);
  return new Promise<number>((resolve, reject) => {
    listener.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'EADDRINUSE'
          ? new StoreError(StoreErrorCode.AddressInUse, `${address} is already in use`, false, {
              address,
            })
          : e,
      );
    });
    listener.listen(port, host, () => {
      const bound = listener.address();
      resolve(typeof bound === 'object' && bound ? bound.port : port);
    });
  });
}

/**
 * Stops listening, lets gRPC calls finish within `deadlineMs` (then cancels them) and closes
 * every connection still open, Raft sockets included (their owner closes them first anyway).
 */
function stop(
  listener: Server,
  server: grpc.Server,
  sockets: Set<Socket>,
  deadlineMs: number,
): Promise<void> {
  listener.close();
  return new Promise<void>((resolve) => {
    const done = () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      resolve();
    };
    const timer = setTimeout(
      () => {
        server.forceShutdown();
        done();
      },
      Math.max(0, deadlineMs),
    );
    server.tryShutdown(() => {
      clearTimeout(timer);
      done();
    });
  });
}
