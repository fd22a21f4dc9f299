/**
 * One outbound link of the Raft transport: this store to one other store. It owns the
 * destination's bounded queue and one long-lived connection carrying RaftBatches (a gRPC
 * `Raft` stream or a socket, whichever its dialer opens), opened lazily when there is
 * something to send and reopened with capped, jittered back-off when it breaks. Flow control:
 * at most RAFT_BATCH_WINDOW unacknowledged batches, and nothing written while the connection
 * pushes back (write() false until drain); meanwhile envelopes wait in the queue.
 *
 * Batches lost with a broken connection are not resent: Raft retransmits what matters
 * (appends are re-sent from the follower's matchIndex, votes and heartbeats recur).
 * Not here: the connections (grpc-raft-dialer.ts, socket-raft-dialer.ts), snapshots
 * (grpc-snapshot-sender.ts), the receiving side (raft-batch-receiver.ts).
 */

import type { atoll } from '@atoll/proto';
import { isStoreErrorCode, StoreError, StoreErrorCode } from '../errors.js';
import { Backoff } from './backoff.js';
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

/** One open connection to a store: RaftBatches out, RaftBatchAcks back. */
export interface BatchConnection {
  /** Writes a batch; false when the connection pushes back (wait for onceDrain). */
  write(batch: atoll.store.IRaftBatch): boolean;
  /** Calls `resume` once, when the connection takes writes again. */
  onceDrain(resume: () => void): void;
  /** Closes it at once; no events follow. */
  close(): void;
}

/** What a connection reports to its link. Never called synchronously from dial(). */
export interface BatchConnectionEvents {
  onAck(ack: atoll.store.RaftBatchAck): void;
  /** The connection failed or the peer ended it; it is unusable from now on. */
  onBroken(error: Error): void;
}

/** Opens connections to one destination store, one at a time. */
export interface RaftDialer {
  dial(address: string, events: BatchConnectionEvents): BatchConnection;
  /** Releases what the dialer keeps between connections (a gRPC channel). */
  close(): void;
}

/** What a link needs from its transport. */
export interface LinkOptions {
  readonly storeId: number;
  readonly clusterId: number;
  readonly resolve: (storeId: number) => Promise<string>;
  /** See GrpcTransportOptions.forget. */
  readonly forget?: (storeId: number) => void;
  readonly dialer: RaftDialer;
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
  /** The connection pushed back (write() returned false); nothing is written until drain. */
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
export class RaftLink {
  private readonly queue: SendQueue;
  private readonly backoff: Backoff;
  private stream: BatchConnection | undefined;
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

  private connect(): void {
    if (this.connecting || this.retryTimer || this.closed) return;
    this.connecting = true;
    this.o.resolve(this.toStore).then(
      (address) => {
        this.connecting = false;
        if (this.closed) return;
        this.open(address);
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

  private open(address: string): void {
    // Events never fire during dial(), so `stream` is set before they look at it.
    const stream: BatchConnection = this.o.dialer.dial(address, {
      onAck: (ack) => this.onAck(stream, ack),
      onBroken: (e) => this.broken(stream, e),
    });
    this.stream = stream;
    this.sequence = 0;
    this.acked = 0;
    this.ackAskedAt = 0;
    this.blockedOnDrain = false;
    this.counters.streamsOpened++;
    this.pump();
  }

  /** Writes batches while the window is open and the connection is not pushing back. */
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
        stream.onceDrain(() => {
          if (this.stream !== stream) return;
          this.blockedOnDrain = false;
          this.pump();
        });
      }
    }
  }

  private onAck(stream: BatchConnection, ack: atoll.store.RaftBatchAck): void {
    if (this.stream !== stream) return;
    if (ack.errorCode) {
      // Refused (wrong cluster or store): a configuration problem, not a blip. Report it and
      // keep retrying at the back-off cap, since the resolver may be corrected meanwhile.
      const code = isStoreErrorCode(ack.errorCode) ? ack.errorCode : StoreErrorCode.Internal;
      this.broken(
        stream,
        new StoreError(code, `store ${this.toStore} refused the stream: ${ack.errorMessage}`),
      );
      stream.close();
      return;
    }
    this.counters.acks++;
    this.acked = Math.min(this.sequence, Math.max(this.acked, Number(ack.sequence)));
    this.backoff.reset();
    this.pump();
  }

  private broken(stream: BatchConnection, error: Error): void {
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

  /** Stops for good: closes the connection and the retry timer, drops the queue. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    stream?.close();
    this.o.dialer.close();
    this.queue.clear();
  }
}
