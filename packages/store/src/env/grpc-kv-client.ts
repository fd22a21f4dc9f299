/**
 * A small client of one store's Kv service, for store tests and benchmarks (the real client
 * library is @atoll/client). `send()` multiplexes concurrent requests over one long-lived
 * `Stream`: requests issued in the same event-loop turn go out as one KvRequestBatch, each
 * with a client-chosen id; responses, in any order, are matched back by id. `call()` is one
 * unary `Call` per request, the baseline the stream is measured against.
 *
 * Failure semantics: when the stream breaks, every pending request is rejected, and how tells
 * the caller what is safe: a request already written fails with STORE_ERR_STREAM_BROKEN
 * (ambiguous: it may have been applied), one never written with STORE_ERR_NOT_SENT (safe to
 * retry). The next send() opens a new stream.
 */

import type { atoll } from '@atoll/proto';
import { kvService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { grpcChannelOptions } from './grpc-options.js';
import type { KvRequest, KvResponse } from './kv-handler.js';

/**
 * Requests issued and not yet answered before send() refuses more (STORE_ERR_NOT_SENT):
 * bounds the client's memory when a store stops answering. Well above the server's per-stream
 * in-flight bound, so the server's back-pressure, not this, paces a busy client.
 */
export const KV_CLIENT_PENDING_MAX = 65_536;

/** Requests per KvRequestBatch message: bounds one message's encode work and size. */
export const KV_REQUEST_BATCH_MAX = 1_024;

/** How long a send waits for the connection before its requests fail as not sent. */
export const KV_CONNECT_TIMEOUT_MS = 2_000;

type KvStream = grpc.ClientDuplexStream<atoll.kv.IKvRequestBatch, atoll.kv.KvResponseBatch>;

const KvClientConstructor = grpc.makeGenericClientConstructor(kvService, 'Kv');

/** Knobs of a client. */
export interface GrpcKvClientOptions {
  /** Channel credentials (tls.ts loadTls().channel); insecure by default. */
  readonly credentials?: grpc.ChannelCredentials;
  readonly pendingMax?: number;
  readonly requestBatchMax?: number;
  readonly connectTimeoutMs?: number;
}

/** Counters of a client. */
export interface GrpcKvClientStats {
  readonly streamsOpened: number;
  readonly requestBatchesSent: number;
  readonly requestsSent: number;
  readonly responseBatchesReceived: number;
}

interface Pending {
  readonly resolve: (r: KvResponse) => void;
  readonly reject: (e: Error) => void;
  written: boolean;
}

/** A Kv client of one store address. */
export class GrpcKvClient {
  private readonly client: grpc.Client;
  private readonly pending = new Map<number, Pending>();
  private outbox: atoll.kv.IKvRequest[] = [];
  private stream: KvStream | undefined;
  private connecting = false;
  private flushScheduled = false;
  private blockedOnDrain = false;
  private closed = false;
  private nextId = 1;
  private readonly pendingMax: number;
  private readonly requestBatchMax: number;
  private readonly connectTimeoutMs: number;
  private counters = {
    streamsOpened: 0,
    requestBatchesSent: 0,
    requestsSent: 0,
    responseBatchesReceived: 0,
  };

  constructor(
    readonly address: string,
    options: GrpcKvClientOptions = {},
  ) {
    this.client = new KvClientConstructor(
      address,
      options.credentials ?? grpc.credentials.createInsecure(),
      grpcChannelOptions,
    );
    this.pendingMax = options.pendingMax ?? KV_CLIENT_PENDING_MAX;
    this.requestBatchMax = options.requestBatchMax ?? KV_REQUEST_BATCH_MAX;
    this.connectTimeoutMs = options.connectTimeoutMs ?? KV_CONNECT_TIMEOUT_MS;
  }

  /** Requests sent on the stream and not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  stats(): GrpcKvClientStats {
    return { ...this.counters };
  }

  /**
   * Sends `request` on the shared stream (its `id` is replaced by the client's own) and
   * resolves with the matching response. Rejects with a StoreError as described above.
   */
  send(request: KvRequest): Promise<KvResponse> {
    if (this.closed) {
      return Promise.reject(new StoreError(StoreErrorCode.TransportClosed, 'the client is closed'));
    }
    if (this.pending.size >= this.pendingMax) {
      return Promise.reject(
        new StoreError(StoreErrorCode.NotSent, 'too many requests pending on this stream', true, {
          pendingMax: this.pendingMax,
        }),
      );
    }
    const id = this.nextId++;
    return new Promise<KvResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, written: false });
      this.outbox.push({ ...request, id });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Everything issued in this event-loop turn goes out in one batch message.
        setImmediate(() => this.flush());
      }
    });
  }

  /** One unary `Call`. A transport failure is ambiguous (STORE_ERR_STREAM_BROKEN). */
  call(request: KvRequest, deadlineMs?: number): Promise<KvResponse> {
    if (this.closed) {
      return Promise.reject(new StoreError(StoreErrorCode.TransportClosed, 'the client is closed'));
    }
    const options: grpc.CallOptions = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    return new Promise<KvResponse>((resolve, reject) => {
      this.client.makeUnaryRequest(
        kvService.call.path,
        kvService.call.requestSerialize,
        kvService.call.responseDeserialize,
        request,
        options,
        (err: grpc.ServiceError | null, response?: atoll.kv.IKvResponse) => {
          if (err || !response) reject(callFailure(err));
          else resolve(response);
        },
      );
    });
  }

  /** Rejects what is pending (written: ambiguous; unwritten: closed) and closes the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll((p) =>
      p.written
        ? new StoreError(
            StoreErrorCode.StreamBroken,
            'the client closed with the request in flight: outcome unknown',
          )
        : new StoreError(StoreErrorCode.TransportClosed, 'the client closed before sending'),
    );
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    this.client.close();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.outbox.length === 0) return;
    if (!this.stream) {
      this.connect();
      return;
    }
    const stream = this.stream;
    while (this.outbox.length > 0 && !this.blockedOnDrain) {
      const requests = this.outbox.splice(0, this.requestBatchMax);
      for (const r of requests) {
        const p = this.pending.get(Number(r.id));
        if (p) p.written = true;
      }
      this.counters.requestBatchesSent++;
      this.counters.requestsSent += requests.length;
      if (!stream.write({ requests })) {
        this.blockedOnDrain = true;
        stream.once('drain', () => {
          if (this.stream !== stream) return;
          this.blockedOnDrain = false;
          this.flush();
        });
      }
    }
  }

  /** Waits for the channel, so a store that cannot be reached fails requests as not sent. */
  private connect(): void {
    if (this.connecting) return;
    this.connecting = true;
    this.client.waitForReady(Date.now() + this.connectTimeoutMs, (err) => {
      this.connecting = false;
      if (this.closed) return;
      if (err) {
        this.failUnwritten(`cannot connect to ${this.address}: ${err.message}`);
        return;
      }
      this.open();
      this.flush();
    });
  }

  private open(): void {
    const stream = this.client.makeBidiStreamRequest(
      kvService.stream.path,
      kvService.stream.requestSerialize,
      kvService.stream.responseDeserialize,
    ) as KvStream;
    stream.on('data', (batch: atoll.kv.KvResponseBatch) => {
      this.counters.responseBatchesReceived++;
      for (const r of batch.responses) {
        const id = Number(r.id);
        const p = this.pending.get(id);
        if (!p) continue; // not ours (or already failed): ignore
        this.pending.delete(id);
        p.resolve(r);
      }
    });
    stream.on('error', (e: Error) => this.broken(stream, e));
    stream.on('end', () => this.broken(stream, new Error('the store ended the stream')));
    this.stream = stream;
    this.blockedOnDrain = false;
    this.counters.streamsOpened++;
  }

  private broken(stream: KvStream, error: Error): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.blockedOnDrain = false;
    this.failAll((p) =>
      p.written
        ? new StoreError(
            StoreErrorCode.StreamBroken,
            `the stream to ${this.address} broke with the request in flight: outcome unknown (${error.message})`,
            false,
            { address: this.address },
          )
        : new StoreError(
            StoreErrorCode.NotSent,
            `the stream to ${this.address} broke before the request was sent`,
            true,
            { address: this.address },
          ),
    );
  }

  private failUnwritten(message: string): void {
    const requests = this.outbox;
    this.outbox = [];
    for (const r of requests) {
      const id = Number(r.id);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      p.reject(new StoreError(StoreErrorCode.NotSent, message, true, { address: this.address }));
    }
  }

  private failAll(errorOf: (p: Pending) => Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.outbox = [];
    for (const p of pending) p.reject(errorOf(p));
  }
}

function callFailure(err: grpc.ServiceError | null): StoreError {
  if (err?.code === grpc.status.DEADLINE_EXCEEDED) {
    return new StoreError(StoreErrorCode.Timeout, 'no answer before the deadline: outcome unknown');
  }
  return new StoreError(
    StoreErrorCode.StreamBroken,
    `the call failed: ${err?.details || err?.message || 'no response'} (outcome unknown)`,
    false,
    { grpcCode: err?.code },
  );
}
