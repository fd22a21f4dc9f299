/**
 * KvSender over gRPC: per store, one long-lived `Stream`; requests issued in the same turn
 * travel in one batch message, responses are matched by id. If the stream breaks, requests
 * not yet written fail as "not sent" (safe to retry) and those written as "unknown".
 */

import type { atoll } from '@atoll/proto';
import { kvService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { CONNECT_TIMEOUT_MS, PendingRequests } from './pending-requests.js';
import type { KvRequest, KvResponse, KvSender } from './ports.js';

export { BATCH_REQUESTS_MAX, CONNECT_TIMEOUT_MS, INFLIGHT_MAX } from './pending-requests.js';

const KvClient = grpc.makeGenericClientConstructor(kvService, 'Kv');

export const clientChannelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // No DNS TXT lookup for a service config (Atoll has none): where DNS does not answer TXT
  // queries (docker's embedded DNS without an upstream) the pending lookup kept a CLI
  // process alive for its 28-second timeout after its work was done.
  'grpc.service_config_disable_resolution': 1,
};

type KvStream = grpc.ClientDuplexStream<atoll.kv.IKvRequestBatch, atoll.kv.KvResponseBatch>;

class StoreStream {
  private readonly client: grpc.Client;
  private stream: KvStream | undefined;
  private readonly requests = new PendingRequests();
  private flushScheduled = false;
  private waiting = false;

  constructor(address: string, credentials: grpc.ChannelCredentials) {
    this.client = new KvClient(address, credentials, clientChannelOptions);
  }

  send(request: KvRequest, deadlineMs: number): Promise<KvResponse> {
    const answer = this.requests.add(request, deadlineMs);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return answer;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.requests.queued === 0 || this.waiting) return;
    // Until the channel is connected, nothing is written: a store that cannot be reached
    // fails requests as "not sent", which are safe to retry elsewhere.
    if (this.client.getChannel().getConnectivityState(true) !== grpc.connectivityState.READY) {
      this.waiting = true;
      this.client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (err) => {
        this.waiting = false;
        if (err) this.requests.failQueued(`cannot connect: ${err.message}`);
        else this.flush();
      });
      return;
    }
    const stream = this.open();
    while (this.requests.queued > 0) stream.write({ requests: this.requests.takeBatch() });
  }

  private open(): KvStream {
    if (this.stream) return this.stream;
    const stream = this.client.makeBidiStreamRequest(
      kvService.stream.path,
      kvService.stream.requestSerialize,
      kvService.stream.responseDeserialize,
    ) as KvStream;
    stream.on('data', (batch: atoll.kv.KvResponseBatch) => this.requests.answer(batch.responses));
    const broken = (e: Error) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.requests.failAll(`stream to store broke: ${e.message}`);
    };
    stream.on('error', broken);
    stream.on('end', () => broken(new Error('stream ended')));
    this.stream = stream;
    return stream;
  }

  close(): void {
    this.stream?.cancel();
    this.client.close();
  }
}

export class GrpcKvSender implements KvSender {
  private readonly streams = new Map<string, StoreStream>();

  constructor(
    private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {}

  send(address: string, request: KvRequest, deadlineMs: number): Promise<KvResponse> {
    let s = this.streams.get(address);
    if (!s) {
      s = new StoreStream(address, this.credentials);
      this.streams.set(address, s);
    }
    return s.send(request, deadlineMs);
  }

  async close(): Promise<void> {
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
  }
}
