/**
 * Region heartbeats over one long-lived RegionHeartbeat stream to the PD leader, opened on
 * the first heartbeat and reopened (to the new leader) on the next one after a failure.
 * Heartbeats are fire-and-forget: while the stream is down or pushing back, the latest one
 * per region waits in a bounded map and goes out when it can. Scheduling commands the PD
 * pushes on the stream are handed to the registered handlers.
 *
 * Not here: what a store does with a command (packages/store's PD worker).
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';
import { Backoff } from './backoff.js';
import type { PdRequest, PdResponse } from './connections.js';
import type { FinderContext, LeaderFinder, LeaderInfo } from './leader-finder.js';
import { REGION_HEARTBEATS_PENDING_MAX } from './limits.js';

type HeartbeatStreamCall = grpc.ClientDuplexStream<
  PdRequest<'regionHeartbeat'>,
  PdResponse<'regionHeartbeat'>
>;

/** A scheduling command handler. */
export type RegionCommandHandler = (command: atoll.pd.RegionHeartbeatResponse) => void;

/** Counters for status pages and tests. */
export interface HeartbeatStats {
  readonly sent: number;
  /** Heartbeats replaced by a newer one of the same region, or evicted, before being sent. */
  readonly dropped: number;
  readonly commands: number;
  readonly streams: number;
}

/** The region heartbeat stream of one client. */
export class HeartbeatStream {
  private stream: HeartbeatStreamCall | undefined;
  private streamLeader: LeaderInfo | undefined;
  /** Latest heartbeat per region not yet written. Invariant: size <= REGION_HEARTBEATS_PENDING_MAX. */
  private readonly pending = new Map<number, atoll.pd.IRegionHeartbeatRequest>();
  private readonly handlers: RegionCommandHandler[] = [];
  private opening = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff();
  private closed = false;
  private counts = { sent: 0, dropped: 0, commands: 0, streams: 0 };

  constructor(
    private readonly ctx: FinderContext,
    private readonly finder: LeaderFinder,
    private readonly timeoutMs: number,
  ) {}

  /** Sends a heartbeat now, or as soon as the stream allows. */
  send(request: atoll.pd.IRegionHeartbeatRequest): void {
    if (this.closed) return;
    const message = { ...request, header: { clusterId: this.finder.clusterId } };
    const stream = this.stream;
    if (stream && !stream.writableNeedDrain && this.pending.size === 0) {
      this.write(stream, message);
      return;
    }
    this.hold(message);
    if (!stream) void this.open();
  }

  /** Registers a handler for the commands PD pushes. */
  onCommand(handler: RegionCommandHandler): void {
    this.handlers.push(handler);
  }

  /** Counters so far. */
  stats(): HeartbeatStats {
    return { ...this.counts };
  }

  /** Closes the stream; later heartbeats are dropped. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.pending.clear();
    this.dropStream();
  }

  private hold(message: atoll.pd.IRegionHeartbeatRequest): void {
    const regionId = Number(message.region?.id ?? 0);
    if (this.pending.delete(regionId)) this.counts.dropped++;
    this.pending.set(regionId, message);
    if (this.pending.size > REGION_HEARTBEATS_PENDING_MAX) {
      const oldest = this.pending.keys().next().value as number;
      this.pending.delete(oldest);
      this.counts.dropped++;
    }
  }

  private write(stream: HeartbeatStreamCall, message: atoll.pd.IRegionHeartbeatRequest): void {
    this.counts.sent++;
    stream.write(message);
  }

  private flushPending(): void {
    const stream = this.stream;
    if (!stream) return;
    for (const [regionId, message] of this.pending) {
      if (stream.writableNeedDrain) return;
      this.pending.delete(regionId);
      this.write(stream, message);
    }
  }

  private async open(): Promise<void> {
    if (this.opening || this.stream || this.closed || this.retryTimer) return;
    this.opening = true;
    let leader: LeaderInfo;
    try {
      leader = await this.finder.get(this.ctx.now() + this.timeoutMs);
    } catch {
      this.retryLater();
      return;
    } finally {
      this.opening = false;
    }
    if (this.closed || this.stream) return;
    const stream = this.ctx.connections.stream(leader.address, 'regionHeartbeat');
    this.counts.streams++;
    this.stream = stream;
    this.streamLeader = leader;
    stream.on('data', (r: atoll.pd.RegionHeartbeatResponse) => this.onResponse(stream, r));
    stream.on('drain', () => this.flushPending());
    stream.on('error', () => this.onBroken(stream));
    stream.on('end', () => this.onBroken(stream));
    this.flushPending();
  }

  private retryLater(): void {
    if (this.retryTimer || this.closed || this.pending.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, this.backoff.next());
  }

  private onResponse(stream: HeartbeatStreamCall, r: atoll.pd.RegionHeartbeatResponse): void {
    if (stream !== this.stream) return;
    const address = this.streamLeader?.address ?? '';
    const error = r.header?.error;
    try {
      this.finder.checkCluster(address, r.header);
    } catch {
      this.onBroken(stream);
      return;
    }
    if (error?.code === 'PD_ERR_NOT_LEADER') {
      this.dropStream();
      if (this.finder.redirect(r.header?.leader, address)) void this.open();
      else this.retryLater();
      return;
    }
    // Other errors (a stale report, an unknown store) concern one heartbeat; the next
    // heartbeat of that region is the retry.
    if (error?.code) return;
    this.backoff.reset();
    if (!r.changePeer && !r.transferLeader && !r.splitRegion) return;
    this.counts.commands++;
    for (const handler of this.handlers) handler(r);
  }

  private onBroken(stream: HeartbeatStreamCall): void {
    if (stream !== this.stream) return;
    if (this.streamLeader) this.finder.invalidate(this.streamLeader);
    this.dropStream();
    this.retryLater();
  }

  private dropStream(): void {
    const s = this.stream;
    this.stream = undefined;
    this.streamLeader = undefined;
    s?.cancel();
  }
}
