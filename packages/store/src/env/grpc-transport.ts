/**
 * RaftTransport over gRPC: one long-lived bidirectional `Raft` stream per destination store,
 * carrying batches of envelopes (everything one loop iteration sends there goes in one
 * message), with a window of unacknowledged batches for flow control and bounded queues for
 * back-pressure. Snapshots stream on their own `Snapshot` call, chunk by chunk, rate-limited.
 *
 * This is an environment adapter: it owns real sockets and timers (reconnect back-off, the
 * snapshot rate limiter).
 */

import type { atoll } from '@atoll/proto';
import { storeTransportService } from '@atoll/proto/grpc';
import { crc32c } from '@atoll/storage';
import * as grpc from '@grpc/grpc-js';
import type { RaftEnvelope, RaftTransport } from './transport.js';

/** Envelopes queued for one store before send() refuses more: about 1 s at high load. */
export const QUEUE_ENVELOPES_MAX = 20_000;
/** Bytes queued for one store: bounds memory held for a slow or dead peer. */
export const QUEUE_BYTES_MAX = 64 * 1024 * 1024;
/** Bytes per batch message: well under the 64 MiB message limit set on both sides. */
export const BATCH_BYTES_MAX = 4 * 1024 * 1024;
/** Unacknowledged batches per stream: enough to keep a LAN round trip full. */
export const BATCH_WINDOW = 64;
/** gRPC message size limit for store-to-store traffic (a batch, a snapshot chunk). */
export const GRPC_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;
/** Reconnect back-off: from 50 ms doubling to 2 s, with jitter. */
const RECONNECT_BASE_MS = 50;
const RECONNECT_CAP_MS = 2_000;
/** Snapshot bandwidth per transfer by default: leaves room for the Raft traffic. */
export const SNAPSHOT_BYTES_PER_SECOND = 64 * 1024 * 1024;

export const grpcChannelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

const TransportClient = grpc.makeGenericClientConstructor(storeTransportService, 'StoreTransport');

export interface GrpcTransportOptions {
  readonly storeId: number;
  readonly clusterId: number;
  /** Where a store listens (from the static cluster or PD). */
  readonly resolve: (storeId: number) => Promise<string>;
  readonly credentials?: grpc.ChannelCredentials;
  readonly snapshotBytesPerSecond?: number;
  readonly onError?: (storeId: number, error: Error) => void;
}

/** Rough wire size of an envelope, for the byte caps (an exact encode would cost as much as sending). */
function envelopeBytes(e: RaftEnvelope): number {
  let n = 96 + (e.startKey?.length ?? 0) + (e.endKey?.length ?? 0);
  for (const entry of e.message?.entries ?? []) n += 32 + (entry.data?.length ?? 0);
  return n;
}

class Connection {
  private queue: RaftEnvelope[] = [];
  private queueBytes = 0;
  private heartbeat = false;
  private client: grpc.Client | undefined;
  private stream:
    | grpc.ClientDuplexStream<atoll.store.IRaftBatch, atoll.store.RaftBatchAck>
    | undefined;
  private connecting = false;
  private inflight = 0;
  private sequence = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly to: number,
    private readonly opts: GrpcTransportOptions,
  ) {}

  enqueue(envelopes: RaftEnvelope[]): boolean {
    let bytes = 0;
    for (const e of envelopes) bytes += envelopeBytes(e);
    if (
      this.queue.length + envelopes.length > QUEUE_ENVELOPES_MAX ||
      this.queueBytes + bytes > QUEUE_BYTES_MAX
    ) {
      return false;
    }
    for (const e of envelopes) this.queue.push(e);
    this.queueBytes += bytes;
    return true;
  }

  markHeartbeat(): void {
    this.heartbeat = true;
  }

  flush(): void {
    if (this.closed || (this.queue.length === 0 && !this.heartbeat)) return;
    if (!this.stream) {
      this.connect();
      return;
    }
    while (this.inflight < BATCH_WINDOW && (this.queue.length > 0 || this.heartbeat)) {
      const envelopes: RaftEnvelope[] = [];
      let bytes = 0;
      while (this.queue.length > 0) {
        const size = envelopeBytes(this.queue[0]!);
        if (envelopes.length > 0 && bytes + size > BATCH_BYTES_MAX) break;
        envelopes.push(this.queue.shift()!);
        bytes += size;
      }
      this.queueBytes -= bytes;
      const batch: atoll.store.IRaftBatch = {
        clusterId: this.opts.clusterId,
        fromStore: this.opts.storeId,
        toStore: this.to,
        envelopes,
        sequence: ++this.sequence,
        ...(this.heartbeat ? { heartbeat: { sentAtMs: Date.now() } } : {}),
      };
      this.heartbeat = false;
      this.inflight++;
      this.stream.write(batch);
    }
  }

  private connect(): void {
    if (this.connecting || this.retryTimer || this.closed) return;
    this.connecting = true;
    this.opts
      .resolve(this.to)
      .then((address) => {
        if (this.closed) return;
        this.client ??= new TransportClient(
          address,
          this.opts.credentials ?? grpc.credentials.createInsecure(),
          grpcChannelOptions,
        );
        const stream = this.client.makeBidiStreamRequest(
          storeTransportService.raft.path,
          storeTransportService.raft.requestSerialize,
          storeTransportService.raft.responseDeserialize,
        ) as grpc.ClientDuplexStream<atoll.store.IRaftBatch, atoll.store.RaftBatchAck>;
        stream.on('data', (ack: atoll.store.RaftBatchAck) => this.onAck(ack));
        stream.on('error', (e: Error) => this.broken(stream, e));
        stream.on('end', () => this.broken(stream, new Error('stream ended')));
        this.stream = stream;
        this.inflight = 0;
        this.connecting = false;
        this.flush();
      })
      .catch((e: unknown) => {
        this.connecting = false;
        this.scheduleRetry(e instanceof Error ? e : new Error(String(e)));
      });
  }

  private onAck(ack: atoll.store.RaftBatchAck): void {
    if (ack.errorCode) {
      // The receiver refused us (wrong cluster or store): a configuration error, not a blip.
      this.opts.onError?.(this.to, new Error(`${ack.errorCode}: ${ack.errorMessage}`));
      this.stream?.cancel();
      return;
    }
    this.failures = 0;
    this.inflight = Math.max(0, this.inflight - 1);
    this.flush();
  }

  private broken(stream: unknown, error: Error): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.inflight = 0;
    // Batches in flight are lost; Raft retransmits what matters.
    this.scheduleRetry(error);
  }

  private scheduleRetry(error: Error): void {
    if (this.closed || this.retryTimer) return;
    this.failures++;
    if (this.failures === 1) this.opts.onError?.(this.to, error);
    const ceiling = Math.min(
      RECONNECT_CAP_MS,
      RECONNECT_BASE_MS * 2 ** Math.min(this.failures, 10),
    );
    const ms = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // Drop what piled up for a store that stays down: Raft will resend when it is back.
      if (this.failures > 3) {
        this.queue = [];
        this.queueBytes = 0;
      }
      this.flush();
      if (!this.stream) this.connect();
    }, ms);
  }

  get address(): Promise<string> {
    return this.opts.resolve(this.to);
  }

  snapshotClient(address: string): grpc.Client {
    this.client ??= new TransportClient(
      address,
      this.opts.credentials ?? grpc.credentials.createInsecure(),
      grpcChannelOptions,
    );
    return this.client;
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.stream = undefined;
    this.client?.close();
  }
}

export class GrpcRaftTransport implements RaftTransport {
  private readonly connections = new Map<number, Connection>();

  constructor(private readonly opts: GrpcTransportOptions) {}

  private connection(to: number): Connection {
    let c = this.connections.get(to);
    if (!c) {
      c = new Connection(to, this.opts);
      this.connections.set(to, c);
    }
    return c;
  }

  send(toStore: number, envelopes: RaftEnvelope[]): boolean {
    return this.connection(toStore).enqueue(envelopes);
  }

  sendHeartbeat(toStore: number): void {
    this.connection(toStore).markHeartbeat();
  }

  flush(): void {
    for (const c of this.connections.values()) c.flush();
  }

  async sendSnapshot(
    toStore: number,
    envelope: RaftEnvelope,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const conn = this.connection(toStore);
    const client = conn.snapshotClient(await conn.address);
    const limiter = new RateLimiter(this.opts.snapshotBytesPerSecond ?? SNAPSHOT_BYTES_PER_SECOND);
    await new Promise<void>((resolve, reject) => {
      const call = client.makeClientStreamRequest(
        storeTransportService.snapshot.path,
        storeTransportService.snapshot.requestSerialize,
        storeTransportService.snapshot.responseDeserialize,
        (err: grpc.ServiceError | null, done?: atoll.store.ISnapshotDone) => {
          if (err) reject(err);
          else if (!done?.accepted)
            reject(new Error(`snapshot refused: ${done?.errorCode} ${done?.errorMessage}`));
          else resolve();
        },
      ) as grpc.ClientWritableStream<atoll.store.ISnapshotChunk>;
      const write = (chunk: atoll.store.ISnapshotChunk) =>
        new Promise<void>((ok) => {
          if (call.write(chunk)) ok();
          else call.once('drain', ok);
        });
      (async () => {
        await write({ clusterId: this.opts.clusterId, envelope });
        let total = 0;
        let totalCrc = 0;
        for await (const data of chunks) {
          await limiter.take(data.length);
          const crc = crc32c(data);
          totalCrc = crc32c(data, totalCrc);
          total += data.length;
          await write({ data, crc32: crc });
        }
        await write({ last: true, totalCrc32: totalCrc });
        call.end();
        void total;
      })().catch((e: unknown) => {
        call.cancel();
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}

/** A token bucket in bytes per second (one second of burst). */
class RateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  async take(bytes: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(
        this.perSecond,
        this.tokens + ((now - this.last) / 1000) * this.perSecond,
      );
      this.last = now;
      if (this.tokens >= bytes || this.tokens >= this.perSecond) {
        this.tokens -= bytes;
        return;
      }
      const waitMs = ((bytes - this.tokens) / this.perSecond) * 1000;
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(1, waitMs))));
    }
  }
}
