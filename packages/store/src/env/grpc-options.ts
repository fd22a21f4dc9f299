/**
 * gRPC settings shared by a store's listeners and its outbound channels: message limits,
 * keepalive, reconnect pacing, and credentials (insecure on loopback by default, TLS from PEM
 * files when configured, so a `--tls-*` flag maps straight onto TlsFiles).
 */

import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import {
  GRPC_MESSAGE_BYTES_MAX,
  RECONNECT_BACKOFF_BASE_MS,
  RECONNECT_BACKOFF_CAP_MS,
} from './transport-limits.js';

/** Keepalive ping interval: finds a dead peer (half-open TCP) within ~15 s. */
const KEEPALIVE_TIME_MS = 10_000;
/** How long a keepalive ping may go unanswered before the connection is dropped. */
const KEEPALIVE_TIMEOUT_MS = 5_000;
/**
 * Concurrent calls per client connection a server admits (HTTP/2 streams). Bounds the unary
 * `Kv/Call` requests in progress per connection; a multiplexed Kv stream or a Raft stream
 * is one call however much it carries.
 */
export const SERVER_CONCURRENT_CALLS_MAX = 1_024;

/**
 * Options for channels to other stores (and store clients). The channel's own reconnect
 * back-off is aligned with the transport's (it would otherwise grow to 120 s and hide a
 * restarted store), and each channel gets its own subchannel so two transports in one
 * process (tests) never share a connection or its back-off state.
 */
export const grpcChannelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_BASE_MS,
  'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_CAP_MS,
  'grpc.use_local_subchannel_pool': 1,
};

/** Options for a store's gRPC server. */
export const grpcServerOptions: grpc.ServerOptions = {
  'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.max_concurrent_streams': SERVER_CONCURRENT_CALLS_MAX,
};

/** PEM files for TLS. Paths, so a command-line flag can name them directly. */
export interface TlsFiles {
  /** CA bundle that verifies the other side (server: client certificates; client: the server). */
  readonly caFile?: string;
  /** This side's certificate chain (required on a server; on a client, for mutual TLS). */
  readonly certFile?: string;
  /** This side's private key, with `certFile`. */
  readonly keyFile?: string;
}

/** Server TLS: certificate and key are required; `requireClientCert` turns on mutual TLS. */
export interface ServerTlsFiles extends TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly requireClientCert?: boolean;
}

/** Server credentials: TLS from `tls`, or insecure (loopback, tests) when it is undefined. */
export function serverCredentials(tls?: ServerTlsFiles): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.caFile ? readFileSync(tls.caFile) : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
    tls.requireClientCert ?? false,
  );
}

/** Channel credentials: TLS from `tls`, or insecure (loopback, tests) when it is undefined. */
export function channelCredentials(tls?: TlsFiles): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const read = (path: string | undefined) => (path ? readFileSync(path) : null);
  return grpc.credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}
