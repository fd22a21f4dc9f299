/**
 * TLS for every gRPC listener and channel: a CA to trust, and this process's certificate and
 * key. With a CA given, servers also require and check client certificates (mutual TLS), so
 * only processes holding a certificate from that CA can join the cluster.
 */

import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';

export interface TlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsCredentials {
  readonly server: grpc.ServerCredentials;
  readonly channel: grpc.ChannelCredentials;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new StoreError(
      StoreErrorCode.InvalidConfig,
      `cannot read the TLS ${what} ${path}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
}

export function loadTls(files: TlsFiles): TlsCredentials {
  const ca = read(files.caFile, 'CA certificate');
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'key');
  return {
    server: grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true),
    channel: grpc.credentials.createSsl(ca, key, cert),
  };
}
