/**
 * Starting and stopping a gRPC server: bind (port 0 picks a free port, reported back), and
 * stop gracefully within a deadline, then by force. Not here: which services it serves.
 */

import * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { grpcServerOptions } from './grpc-options.js';

/** How long stop() lets calls in progress finish by default before cancelling them. */
export const SERVER_STOP_DEADLINE_MS = 2_000;

/** A bound, serving gRPC server. */
export interface RunningGrpcServer {
  readonly server: grpc.Server;
  /** The bound port (the one picked when the address asked for port 0). */
  readonly port: number;
  /** Graceful (tryShutdown) within `deadlineMs`, then forced; idempotent. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Binds a server to `address` (host:port), registers services with `register`, and starts
 * serving. Fails with STORE_ERR_ADDRESS_IN_USE when the port is taken.
 */
export async function startGrpcServer(
  address: string,
  register: (server: grpc.Server) => void,
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  options: grpc.ServerOptions = grpcServerOptions,
): Promise<RunningGrpcServer> {
  const server = new grpc.Server(options);
  register(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, p) => {
      if (!err) {
        resolve(p);
        return;
      }
      const inUse = /EADDRINUSE|address already in use|No address added/i.test(err.message);
      reject(
        inUse
          ? new StoreError(StoreErrorCode.AddressInUse, `${address} is already in use`, false, {
              address,
            })
          : err,
      );
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    server,
    port,
    stop: (deadlineMs = SERVER_STOP_DEADLINE_MS) => {
      stopping ??= stopServer(server, deadlineMs);
      return stopping;
    },
  };
}

/** Starts a server on 127.0.0.1 with a free port: for tests and benchmarks. */
export function startLoopbackGrpcServer(
  register: (server: grpc.Server) => void,
  credentials?: grpc.ServerCredentials,
): Promise<RunningGrpcServer> {
  return startGrpcServer('127.0.0.1:0', register, credentials);
}

function stopServer(server: grpc.Server, deadlineMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // Even with no deadline, tryShutdown goes first: it sends clients a GOAWAY, so they stop
    // starting calls here before the connection is cut.
    const timer = setTimeout(
      () => {
        server.forceShutdown();
        resolve();
      },
      Math.max(0, deadlineMs),
    );
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
