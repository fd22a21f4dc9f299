/**
 * gRPC channels to PD members, one per address, and the two call shapes the client uses:
 * one unary attempt with a deadline, and a bidirectional stream. No retries here: callers
 * decide what a failure means (pd-client.ts, tso-batcher.ts, heartbeat-stream.ts).
 */

import { pdService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';

/** The PD service's methods by name. */
export type PdMethod = keyof typeof pdService;
/** A method's request message. */
export type PdRequest<M extends PdMethod> = Parameters<
  (typeof pdService)[M]['requestSerialize']
>[0];
/** A method's response message. */
export type PdResponse<M extends PdMethod> = ReturnType<
  (typeof pdService)[M]['responseDeserialize']
>;

/**
 * Responses of up to 64 MiB: a scan of 10,000 regions with long keys is a few MiB, beyond
 * grpc-js's 4 MiB default.
 */
const MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Channel settings. The channel's own reconnect back-off is capped at 1 s (its default grows
 * to 120 s and would hide a restarted PD member for minutes); keepalive finds a half-open
 * connection to a dead member within ~15 s; each client gets its own subchannels, so two
 * clients in one process never share a connection's failure state.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MESSAGE_BYTES_MAX,
  'grpc.max_send_message_length': MESSAGE_BYTES_MAX,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.use_local_subchannel_pool': 1,
  // No DNS TXT lookup for a service config (Atoll has none): where DNS does not answer TXT
  // queries (docker's embedded DNS without an upstream) the pending lookup kept a CLI
  // process alive for its 28-second timeout after its work was done.
  'grpc.service_config_disable_resolution': 1,
};

/** One channel per PD member address. */
export class Connections {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(private readonly credentials: grpc.ChannelCredentials) {}

  private client(address: string): grpc.Client {
    let c = this.clients.get(address);
    if (!c) {
      c = new grpc.Client(address, this.credentials, CHANNEL_OPTIONS);
      this.clients.set(address, c);
    }
    return c;
  }

  /** One unary call; rejects with the gRPC error (transport failure or deadline). */
  unary<M extends PdMethod>(
    address: string,
    method: M,
    request: PdRequest<M>,
    deadlineMs: number,
  ): Promise<PdResponse<M>> {
    const def = pdService[method] as unknown as grpc.MethodDefinition<PdRequest<M>, PdResponse<M>>;
    return new Promise((resolve, reject) => {
      this.client(address).makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        { deadline: deadlineMs },
        (err, value) => {
          if (err || value === undefined) reject(err ?? new Error('empty response'));
          else resolve(value);
        },
      );
    });
  }

  /** Opens a bidirectional stream (RegionHeartbeat, Tso) to `address`. */
  stream<M extends 'regionHeartbeat' | 'tso'>(
    address: string,
    method: M,
  ): grpc.ClientDuplexStream<PdRequest<M>, PdResponse<M>> {
    const def = pdService[method] as unknown as grpc.MethodDefinition<PdRequest<M>, PdResponse<M>>;
    return this.client(address).makeBidiStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
    );
  }

  /** Closes every channel (calls in progress fail with CANCELLED). */
  closeAll(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
