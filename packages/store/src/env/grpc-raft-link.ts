/**
 * One outbound link of the gRPC transport: this store to one other store. It owns the
 * destination's bounded queue and one long-lived `Raft` bidi stream, opened lazily when there
 * is something to send and reopened with capped, jittered back-off when it breaks. Flow
 * control: at most RAFT_BATCH_WINDOW unacknowledged batches, and nothing written while gRPC
 * reports back-pressure (write() false until 'drain'); meanwhile envelopes wait in the queue.
 *
 * Batches lost with a broken stream are not resent: Raft retransmits what matters (appends
 * are re-sent from the follower's matchIndex, votes and heartbeats recur).
 * Not here: snapshots (grpc-snapshot-sender.ts), the receiving side (grpc-transport-service.ts).
 */

import type { atoll } from '@atoll/proto';
import { storeTransportService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { isStoreErrorCode, StoreError, StoreErrorCode } from '../errors.js';
import { Backoff } from './backoff.js';
import { grpcChannelOptions } from './grpc-options.js';
import { SendQueue } from './send-queue.js';
import type { RaftEnvelope } from './transport.js';
import {
  RAFT_BATCH_BYTES_MAX,
  RAFT_BATCH_ENVELOPES_MAX,
  RAFT_BATCH_WINDOW,
  RECONNECT_BACKOFF_BASE_MS,
  RECONNECT_BACKOFF_CAP_MS,
  SEND_QUEUE_BYTES_MAX,
  SEND_QUEUE_ENVELOPES_MAX,
} from './transport-limits.js';

type RaftStream = grpc.ClientDuplexStream<atoll.store.IRaftBatch, atoll.store.RaftBatchAck>;

/** A generic client of the StoreTransport service (one per channel). */
export const StoreTransportClient = grpc.makeGenericClientConstructor(
  storeTransportService,
  'StoreTransport',
);

/** What a link needs from its transport. */
export interface LinkOptions {
  readonly storeId: number;
  readonly clusterId: number;
  readonly resolve: (storeId: number) => Promise<string>;
  /** See GrpcTransportOptions.forget. */
  readonly forget?: (storeId: number) => void;
  readonly credentials: grpc.ChannelCredentials;
  readonly window: number;
  readonly queueEnvelopesMax: number;
  readonly queueBytesMax: number;
  readonly batchBytesMax: number;
  readonly now: () => number;
  readonly random: () => number;
  readonly onError?: (storeId: number, error: Error) => void;
}

/** Defaults for the tunable parts of LinkOptions. */
export const LINK_DEFAULTS = {
  window: RAFT_BATCH_WINDOW,
  queueEnvelopesMax: SEND_QUEUE_ENVELOPES_MAX,
  queueBytesMax: SEND_QUEUE_BYTES_MAX,
  batchBytesMax: RAFT_BATCH_BYTES_MAX,
} as const;

/** Counters of one link, for tests, metrics and the status page. */
export interface LinkStats {
  readonly toStore: number;
  readonly connected: boolean;
  readonly queuedEnvelopes: number;
  readonly queuedBytes: number;
  /** Batches written on the current stream and not yet acknowledged. */
  readonly inflightBatches: number;
  /** gRPC pushed back (write() returned false); nothing is written until 'drain'. */
  readonly blockedOnDrain: boolean;
  readonly batchesSent: number;
  readonly envelopesSent: number;
  readonly heartbeatsSent: number;
  readonly acks: number;
  /** Streams opened (the first one included). */
  readonly streamsOpened: number;
  /** send() calls refused because the queue was full. */
  readonly refusedSends: number;
  /** Consecutive failures since the stream last worked. */
  readonly failures: number;
}

/** The outbound half of one store pair. */
export class GrpcRaftLink {
  private readonly queue: SendQueue;
  private readonly backoff: Backoff;
  private client: grpc.Client | undefined;
  private clientAddress = '';
  private stream: RaftStream | undefined;
  private connecting = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Invariant: acked <= sequence; sequence - acked <= window (batches in flight). */
  private sequence = 0;
  private acked = 0;
  /** The last batch sent with ackRequested. */
  private ackAskedAt = 0;
  private blockedOnDrain = false;
  private counters = {
    batchesSent: 0,
    envelopesSent: 0,
    heartbeatsSent: 0,
    acks: 0,
    streamsOpened: 0,
    refusedSends: 0,
  };

  constructor(
    readonly toStore: number,
    private readonly o: LinkOptions,
  ) {
    this.queue = new SendQueue({ envelopesMax: o.queueEnvelopesMax, bytesMax: o.queueBytesMax });
    this.backoff = new Backoff(RECONNECT_BACKOFF_BASE_MS, RECONNECT_BACKOFF_CAP_MS, o.random);
  }

  /** Queues envelopes; false when the queue is full (nothing queued then). */
  enqueue(envelopes: readonly RaftEnvelope[]): boolean {
    if (this.closed) return false;
    const ok = this.queue.push(envelopes);
    if (!ok) this.counters.refusedSends++;
    return ok;
  }

  /** Asks for a store heartbeat in the next batch. */
  markHeartbeat(): void {
    if (!this.closed) this.queue.markHeartbeat();
  }

  /** Sends what is queued as far as the window and back-pressure allow; opens the stream. */
  flush(): void {
    if (this.closed || !this.queue.hasWork) return;
    if (this.stream) this.pump();
    else this.connect();
  }

  stats(): LinkStats {
    return {
      toStore: this.toStore,
      connected: this.stream !== undefined,
      queuedEnvelopes: this.queue.length,
      queuedBytes: this.queue.bytes,
      inflightBatches: this.sequence - this.acked,
      blockedOnDrain: this.blockedOnDrain,
      failures: this.backoff.failures,
      ...this.counters,
    };
  }

  /** The channel to the destination, shared with nothing else (snapshots use their own). */
  private channelClient(address: string): grpc.Client {
    if (this.client && this.clientAddress !== address) {
      // The store moved (or the resolver changed its mind): start over on the new address.
      this.client.close();
      this.client = undefined;
    }
    this.client ??= new StoreTransportClient(address, this.o.credentials, grpcChannelOptions);
    this.clientAddress = address;
    return this.client;
  }

  private connect(): void {
    if (this.connecting || this.retryTimer || this.closed) return;
    this.connecting = true;
    this.o.resolve(this.toStore).then(
      (address) => {
        this.connecting = false;
        if (this.closed) return;
        this.open(this.channelClient(address));
      },
      (e: unknown) => {
        this.connecting = false;
        const message = e instanceof Error ? e.message : String(e);
        this.scheduleRetry(
          new StoreError(
            StoreErrorCode.StoreUnreachable,
            `cannot resolve store ${this.toStore}: ${message}`,
            true,
            { storeId: this.toStore },
          ),
        );
      },
    );
  }

  private open(client: grpc.Client): void {
    const stream = client.makeBidiStreamRequest(
      storeTransportService.raft.path,
      storeTransportService.raft.requestSerialize,
      storeTransportService.raft.responseDeserialize,
    ) as RaftStream;
    stream.on('data', (ack: atoll.store.RaftBatchAck) => this.onAck(stream, ack));
    stream.on('error', (e: Error) => this.broken(stream, e));
    stream.on('end', () => this.broken(stream, new Error('the peer ended the stream')));
    this.stream = stream;
    this.sequence = 0;
    this.acked = 0;
    this.ackAskedAt = 0;
    this.blockedOnDrain = false;
    this.counters.streamsOpened++;
    this.pump();
  }

  /** Writes batches while the window is open and gRPC is not pushing back. */
  private pump(): void {
    const stream = this.stream;
    while (
      stream &&
      !this.blockedOnDrain &&
      this.sequence - this.acked < this.o.window &&
      this.queue.hasWork
    ) {
      const taken = this.queue.take(this.o.batchBytesMax, RAFT_BATCH_ENVELOPES_MAX)!;
      const sequence = ++this.sequence;
      // Ask for an ack at once every half window, so the window reopens before it fills;
      // the receiver acknowledges the batches between, together, a little later.
      const askAck = sequence - this.ackAskedAt >= Math.max(1, Math.floor(this.o.window / 2));
      if (askAck) this.ackAskedAt = sequence;
      const batch: atoll.store.IRaftBatch = {
        clusterId: this.o.clusterId,
        fromStore: this.o.storeId,
        toStore: this.toStore,
        envelopes: taken.envelopes,
        sequence,
        ...(askAck ? { ackRequested: true } : {}),
        ...(taken.heartbeat ? { heartbeat: { sentAtMs: this.o.now() } } : {}),
      };
      this.counters.batchesSent++;
      this.counters.envelopesSent += taken.envelopes.length;
      if (taken.heartbeat) this.counters.heartbeatsSent++;
      if (!stream.write(batch)) {
        this.blockedOnDrain = true;
        stream.once('drain', () => {
          if (this.stream !== stream) return;
          this.blockedOnDrain = false;
          this.pump();
        });
      }
    }
  }

  private onAck(stream: RaftStream, ack: atoll.store.RaftBatchAck): void {
    if (this.stream !== stream) return;
    if (ack.errorCode) {
      // Refused (wrong cluster or store): a configuration problem, not a blip. Report it and
      // keep retrying at the back-off cap, since the resolver may be corrected meanwhile.
      const code = isStoreErrorCode(ack.errorCode) ? ack.errorCode : StoreErrorCode.Internal;
      this.broken(
        stream,
        new StoreError(code, `store ${this.toStore} refused the stream: ${ack.errorMessage}`),
      );
      stream.cancel();
      return;
    }
    this.counters.acks++;
    this.acked = Math.min(this.sequence, Math.max(this.acked, Number(ack.sequence)));
    this.backoff.reset();
    this.pump();
  }

  private broken(stream: RaftStream, error: Error): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.blockedOnDrain = false;
    this.scheduleRetry(error);
  }

  private scheduleRetry(error: Error): void {
    if (this.closed || this.retryTimer) return;
    // The store may have restarted elsewhere: the next connect resolves it again.
    this.o.forget?.(this.toStore);
    // Report the first failure of a run and each refusal; not every retry of a dead store.
    if (this.backoff.failures === 0 || error instanceof StoreError) {
      this.o.onError?.(this.toStore, error);
    }
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // Lazy again: reconnect only if something is waiting (otherwise on the next flush).
      if (this.queue.hasWork) this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  /** Stops for good: cancels the stream and the retry timer, drops the queue. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    this.client?.close();
    this.client = undefined;
    this.queue.clear();
  }
}
