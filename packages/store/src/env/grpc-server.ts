/** Starting and stopping a gRPC server on a host:port (port 0 picks a free one). */

import * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { grpcChannelOptions } from './grpc-transport.js';

export interface RunningGrpcServer {
  readonly server: grpc.Server;
  readonly port: number;
  /** Graceful within `deadlineMs`, then forced. */
  stop(deadlineMs?: number): Promise<void>;
}

export async function startGrpcServer(
  address: string,
  register: (server: grpc.Server) => void,
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<RunningGrpcServer> {
  const server = new grpc.Server(grpcChannelOptions);
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
  return {
    server,
    port,
    stop: (deadlineMs = 2_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
