/**
 * KvSender over gRPC: per store, one long-lived `Stream`; requests issued in the same turn
 * travel in one batch message, responses are matched by id. If the stream breaks, requests
 * not yet written fail as "not sent" (safe to retry) and those written as "unknown".
 */

import type { atoll } from '@atoll/proto';
import { kvService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { type KvRequest, type KvResponse, type KvSender, SendError, SendFailure } from './ports.js';

/** Requests coalesced into one stream message at most. */
export const BATCH_REQUESTS_MAX = 1_024;
/** How long to wait for a connection before requests fail as "not sent". */
export const CONNECT_TIMEOUT_MS = 1_000;
/** Requests in flight per store connection before new ones wait: bounds client memory. */
export const INFLIGHT_MAX = 65_536;

const KvClient = grpc.makeGenericClientConstructor(kvService, 'Kv');

export const clientChannelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

interface Pending {
  readonly resolve: (r: KvResponse) => void;
  readonly reject: (e: Error) => void;
  written: boolean;
  timer: NodeJS.Timeout | undefined;
}

class StoreStream {
  private readonly client: grpc.Client;
  private stream:
    | grpc.ClientDuplexStream<atoll.kv.IKvRequestBatch, atoll.kv.KvResponseBatch>
    | undefined;
  private readonly pending = new Map<number, Pending>();
  private outbox: atoll.kv.IKvRequest[] = [];
  private flushScheduled = false;
  private nextId = 1;

  constructor(address: string, credentials: grpc.ChannelCredentials) {
    this.client = new KvClient(address, credentials, clientChannelOptions);
  }

  send(request: KvRequest, deadlineMs: number): Promise<KvResponse> {
    if (this.pending.size >= INFLIGHT_MAX) {
      return Promise.reject(
        new SendError(SendFailure.NotSent, 'too many requests in flight to this store'),
      );
    }
    const id = this.nextId++;
    return new Promise<KvResponse>((resolve, reject) => {
      const p: Pending = { resolve, reject, written: false, timer: undefined };
      p.timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(
            new SendError(
              p.written ? SendFailure.Unknown : SendFailure.NotSent,
              `no answer within ${deadlineMs} ms`,
            ),
          );
        },
        Math.max(1, deadlineMs),
      );
      this.pending.set(id, p);
      this.outbox.push({ ...request, id });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private waiting = false;

  private flush(): void {
    this.flushScheduled = false;
    if (this.outbox.length === 0 || this.waiting) return;
    // Until the channel is connected, nothing is written: a store that cannot be reached
    // fails requests as "not sent", which are safe to retry elsewhere.
    if (this.client.getChannel().getConnectivityState(true) !== grpc.connectivityState.READY) {
      this.waiting = true;
      this.client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (err) => {
        this.waiting = false;
        if (err) this.failOutbox(`cannot connect: ${err.message}`);
        else this.flush();
      });
      return;
    }
    const stream = this.open();
    while (this.outbox.length > 0) {
      const requests = this.outbox.splice(0, BATCH_REQUESTS_MAX);
      for (const r of requests) {
        const p = this.pending.get(Number(r.id));
        if (p) p.written = true;
      }
      stream.write({ requests });
    }
  }

  private open(): grpc.ClientDuplexStream<atoll.kv.IKvRequestBatch, atoll.kv.KvResponseBatch> {
    if (this.stream) return this.stream;
    const stream = this.client.makeBidiStreamRequest(
      kvService.stream.path,
      kvService.stream.requestSerialize,
      kvService.stream.responseDeserialize,
    ) as grpc.ClientDuplexStream<atoll.kv.IKvRequestBatch, atoll.kv.KvResponseBatch>;
    stream.on('data', (batch: atoll.kv.KvResponseBatch) => {
      for (const r of batch.responses) {
        const id = Number(r.id);
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        if (p.timer) clearTimeout(p.timer);
        p.resolve(r);
      }
    });
    const broken = (e: Error) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      for (const [id, p] of this.pending) {
        if (p.timer) clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(
          new SendError(
            p.written ? SendFailure.Unknown : SendFailure.NotSent,
            `stream to store broke: ${e.message}`,
          ),
        );
      }
    };
    stream.on('error', broken);
    stream.on('end', () => broken(new Error('stream ended')));
    this.stream = stream;
    return stream;
  }

  private failOutbox(message: string): void {
    const requests = this.outbox;
    this.outbox = [];
    for (const r of requests) {
      const id = Number(r.id);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.reject(new SendError(SendFailure.NotSent, message));
    }
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
