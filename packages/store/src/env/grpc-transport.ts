/**
 * RaftTransport over the network (the production adapter of transport.ts). Per destination
 * store one RaftLink: a bounded queue and one long-lived, lazily opened, windowed connection
 * that carries everything a flush sends there as one RaftBatch (or a few, over the byte cap):
 * a framed TCP socket (`raftLink: 'socket'`, socket-raft-dialer.ts) or a gRPC `Raft` stream.
 * Snapshots go on their own `Snapshot` calls over a separate channel, so a multi-megabyte
 * transfer never queues in front of Raft heartbeats; all of a store's snapshot sends share one
 * byte-rate budget and at most SNAPSHOT_SENDS_MAX run at once.
 *
 * An environment adapter: real sockets, timers (reconnect back-off, snapshot pacing) and
 * randomness (jitter). The receiving side is grpc-transport-service.ts.
 */

import * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { grpcChannelOptions } from './grpc-options.js';
import { GrpcRaftDialer, StoreTransportClient } from './grpc-raft-dialer.js';
import { type SnapshotSendHooks, sendSnapshotOver } from './grpc-snapshot-sender.js';
import { LINK_DEFAULTS, type LinkStats, RaftLink } from './raft-link.js';
import { ByteRateLimiter } from './rate-limiter.js';
import { SocketRaftDialer } from './socket-raft-dialer.js';
import type { RaftEnvelope, RaftTransport } from './transport.js';
import {
  SNAPSHOT_BYTES_PER_SECOND,
  SNAPSHOT_CHUNK_BYTES_MAX,
  SNAPSHOT_SENDS_MAX,
} from './transport-limits.js';

export type { LinkStats } from './raft-link.js';

/**
 * What carries Raft batches between stores. 'socket': framed protobuf over TCP, to the
 * destination's shared port (shared-port-server.ts); less than half gRPC's CPU per message.
 * 'grpc': the StoreTransport `Raft` stream, for TLS clusters and stores serving gRPC alone.
 */
export type RaftLinkKind = 'socket' | 'grpc';

/** How to reach other stores, and the knobs of the transport. */
export interface GrpcTransportOptions {
  /** This store. */
  readonly storeId: number;
  /** Sent on every batch and snapshot; receivers refuse other clusters. */
  readonly clusterId: number;
  /** Where a store listens, host:port (from the static cluster description or PD). */
  readonly resolve: (storeId: number) => Promise<string>;
  /** A link to the store failed: the next resolve should ask afresh (the store may have moved). */
  readonly forget?: (storeId: number) => void;
  /** What carries Raft batches; default 'grpc' (any StoreTransport server understands it). */
  readonly raftLink?: RaftLinkKind;
  /** Channel credentials (tls.ts loadTls().channel); insecure by default. */
  readonly credentials?: grpc.ChannelCredentials;
  /** Snapshot budget in bytes/s for all sends together; default SNAPSHOT_BYTES_PER_SECOND. */
  readonly snapshotBytesPerSecond?: number;
  /** A link broke or was refused (first failure of a run, and every refusal). */
  readonly onError?: (storeId: number, error: Error) => void;
  /** Unacknowledged batches per stream; default RAFT_BATCH_WINDOW. */
  readonly window?: number;
  /** Queue caps per destination; defaults SEND_QUEUE_ENVELOPES_MAX, SEND_QUEUE_BYTES_MAX. */
  readonly queueEnvelopesMax?: number;
  readonly queueBytesMax?: number;
  /** Byte cap per batch message; default RAFT_BATCH_BYTES_MAX. */
  readonly batchBytesMax?: number;
  /** Wall clock for heartbeat timestamps; default Date.now. */
  readonly now?: () => number;
  /** Randomness for reconnect jitter; default Math.random. */
  readonly random?: () => number;
  /** Test-only hooks (corrupting snapshot chunks in transit). */
  readonly hooks?: SnapshotSendHooks;
}

/** The gRPC RaftTransport of one store. */
export class GrpcRaftTransport implements RaftTransport {
  private readonly links = new Map<number, RaftLink>();
  private readonly credentials: grpc.ChannelCredentials;
  private readonly limiter: ByteRateLimiter;
  private readonly closing = new AbortController();
  private snapshotsInProgress = 0;
  private closed = false;

  constructor(private readonly o: GrpcTransportOptions) {
    this.credentials = o.credentials ?? grpc.credentials.createInsecure();
    this.limiter = new ByteRateLimiter(o.snapshotBytesPerSecond ?? SNAPSHOT_BYTES_PER_SECOND);
  }

  send(toStore: number, envelopes: RaftEnvelope[]): boolean {
    if (this.closed) return false;
    return this.link(toStore).enqueue(envelopes);
  }

  sendHeartbeat(toStore: number): void {
    if (!this.closed) this.link(toStore).markHeartbeat();
  }

  flush(): void {
    for (const link of this.links.values()) link.flush();
  }

  async sendSnapshot(
    toStore: number,
    envelope: RaftEnvelope,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    if (this.closed) {
      throw new StoreError(StoreErrorCode.TransportClosed, 'the transport is closed');
    }
    if (this.snapshotsInProgress >= SNAPSHOT_SENDS_MAX) {
      throw new StoreError(
        StoreErrorCode.TooManySnapshots,
        `already sending ${this.snapshotsInProgress} snapshots`,
        true,
        { max: SNAPSHOT_SENDS_MAX },
      );
    }
    this.snapshotsInProgress++;
    let client: grpc.Client | undefined;
    try {
      const address = await this.o.resolve(toStore);
      if (this.closed) throw new StoreError(StoreErrorCode.TransportClosed, 'closed');
      // Its own channel (and TCP connection): bulk data must not delay the Raft stream.
      client = new StoreTransportClient(address, this.credentials, grpcChannelOptions);
      await sendSnapshotOver({
        client,
        clusterId: this.o.clusterId,
        toStore,
        envelope,
        chunks,
        limiter: this.limiter,
        chunkBytesMax: SNAPSHOT_CHUNK_BYTES_MAX,
        signal: this.closing.signal,
        ...(this.o.hooks ? { hooks: this.o.hooks } : {}),
      });
    } finally {
      this.snapshotsInProgress--;
      client?.close();
    }
  }

  /** Counters per destination store. */
  stats(): LinkStats[] {
    return [...this.links.values()].map((l) => l.stats());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  private link(toStore: number): RaftLink {
    let link = this.links.get(toStore);
    if (!link) {
      link = new RaftLink(toStore, {
        storeId: this.o.storeId,
        clusterId: this.o.clusterId,
        resolve: this.o.resolve,
        ...(this.o.forget ? { forget: this.o.forget } : {}),
        dialer:
          this.o.raftLink === 'socket'
            ? new SocketRaftDialer()
            : new GrpcRaftDialer(this.credentials),
        window: this.o.window ?? LINK_DEFAULTS.window,
        queueEnvelopesMax: this.o.queueEnvelopesMax ?? LINK_DEFAULTS.queueEnvelopesMax,
        queueBytesMax: this.o.queueBytesMax ?? LINK_DEFAULTS.queueBytesMax,
        batchBytesMax: this.o.batchBytesMax ?? LINK_DEFAULTS.batchBytesMax,
        now: this.o.now ?? Date.now,
        random: this.o.random ?? Math.random,
        ...(this.o.onError ? { onError: this.o.onError } : {}),
      });
      this.links.set(toStore, link);
    }
    return link;
  }
}
