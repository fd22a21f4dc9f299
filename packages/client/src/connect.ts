/**
 * connect(): a client for a cluster run by a placement driver. It finds the PD leader among
 * the addresses given, learns the cluster id, and routes through PD's region map.
 *
 * @example
 * const client = await connect({ pd: ['127.0.0.1:2379'] });
 */

import { readFileSync } from 'node:fs';
import { PdClient } from '@atoll/pd-client';
import * as grpc from '@grpc/grpc-js';
import { AtollClient, DEFAULT_TIMEOUT_MS } from './client.js';
import { AtollError, ClientErrorCode } from './errors.js';
import { GrpcKvSender } from './grpc-kv-sender.js';
import { pdLocator } from './pd-locator.js';
import { SocketKvSender } from './socket-kv-sender.js';

export interface ConnectOptions {
  /** Placement driver addresses (host:port); any member will do, the leader is found. */
  readonly pd: readonly string[];
  /** Mutual TLS: the CA to trust and this client's certificate and key (PEM files). */
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  /** Deadline per operation, retries included (default 10 s). */
  readonly timeoutMs?: number;
  /** Refuse a cluster with another id (protects against pointing at the wrong cluster). */
  readonly clusterId?: number;
}

export async function connect(options: ConnectOptions): Promise<AtollClient> {
  if (!Array.isArray(options.pd) || options.pd.length === 0) {
    throw new AtollError(
      ClientErrorCode.InvalidArgument,
      'connect needs at least one PD address (pd: ["host:port"])',
    );
  }
  const credentials = options.tls
    ? grpc.credentials.createSsl(
        readFileSync(options.tls.caFile),
        readFileSync(options.tls.keyFile),
        readFileSync(options.tls.certFile),
      )
    : grpc.credentials.createInsecure();
  let pd: PdClient;
  try {
    pd = await PdClient.connect({
      endpoints: [...options.pd],
      credentials,
      ...(options.clusterId ? { clusterId: options.clusterId } : {}),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'PD_CLIENT_ERR_CLUSTER_MISMATCH') {
      throw new AtollError(
        ClientErrorCode.ClusterMismatch,
        (e as Error).message,
        false,
        {},
        { cause: e },
      );
    }
    throw new AtollError(
      ClientErrorCode.PdUnavailable,
      `cannot reach a placement driver at ${options.pd.join(', ')}: ${(e as Error).message}`,
      true,
      {},
      { cause: e },
    );
  }
  return new AtollClient({
    locator: pdLocator(pd),
    // Stores take Kv requests as framed sockets on their port, plaintext only: gRPC with TLS.
    sender: options.tls ? new GrpcKvSender(credentials) : new SocketKvSender(),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}
