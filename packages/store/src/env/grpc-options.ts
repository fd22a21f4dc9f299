/**
 * gRPC settings shared by a store's listeners and its outbound channels: message limits,
 * keepalive, reconnect pacing. Credentials are not here: insecure is every adapter's default
 * (loopback, tests) and tls.ts builds TLS ones from PEM files.
 */

import type * as grpc from '@grpc/grpc-js';
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
  // No DNS TXT lookup for a service config (Atoll has none): where DNS does not answer TXT
  // queries (docker's embedded DNS without an upstream) the pending lookup kept a CLI
  // process alive for its 28-second timeout after its work was done.
  'grpc.service_config_disable_resolution': 1,
};

/** Options for a store's gRPC server. */
export const grpcServerOptions: grpc.ServerOptions = {
  'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.max_concurrent_streams': SERVER_CONCURRENT_CALLS_MAX,
};
