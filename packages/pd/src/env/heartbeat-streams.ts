/**
 * The region heartbeat streams open on this PD member, and which store each belongs to (the
 * store of the leader its heartbeats report). Scheduling commands that schedule() returns
 * are pushed on the stream of `command.storeId`. When this member stops leading, every
 * stream is answered NOT_LEADER and ended, so stores reconnect to the new leader at once.
 *
 * Not here: handling the heartbeats themselves (grpc-pd-service.ts).
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';

/** The server side of one RegionHeartbeat stream. */
export type HeartbeatCall = grpc.ServerDuplexStream<
  atoll.pd.RegionHeartbeatRequest,
  atoll.pd.IRegionHeartbeatResponse
>;

/**
 * Open streams at most: a few per store (reconnects overlap briefly). 65,536 is far beyond
 * any cluster this PD schedules; past it new streams are refused rather than tracked.
 */
export const HEARTBEAT_STREAMS_MAX = 65_536;

/** Open heartbeat streams by store. */
export class HeartbeatStreams {
  private readonly open = new Set<HeartbeatCall>();
  private readonly byStore = new Map<number, HeartbeatCall>();

  /** Tracks a new stream; false if there are too many already. */
  add(call: HeartbeatCall): boolean {
    if (this.open.size >= HEARTBEAT_STREAMS_MAX) return false;
    this.open.add(call);
    return true;
  }

  /** `call` carries heartbeats of regions led on `storeId`: commands for it go there. */
  bind(storeId: number, call: HeartbeatCall): void {
    if (this.byStore.get(storeId) !== call) this.byStore.set(storeId, call);
  }

  /** Forgets an ended stream. */
  remove(call: HeartbeatCall): void {
    this.open.delete(call);
    for (const [storeId, c] of this.byStore) if (c === call) this.byStore.delete(storeId);
  }

  /** Writes `message` on the stream of `storeId`; false if that store has none. */
  push(storeId: number, message: atoll.pd.IRegionHeartbeatResponse): boolean {
    const call = this.byStore.get(storeId);
    if (!call) return false;
    call.write(message);
    return true;
  }

  /** Number of open streams. */
  get size(): number {
    return this.open.size;
  }

  /** Answers every stream with `last` (if given) and ends it. */
  endAll(last?: atoll.pd.IRegionHeartbeatResponse): void {
    for (const call of this.open) {
      try {
        if (last) call.write(last);
        call.end();
      } catch {
        // already closed by the peer
      }
    }
    this.open.clear();
    this.byStore.clear();
  }
}
