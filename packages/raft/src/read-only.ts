/**
 * Pending ReadIndex requests on a leader in safe mode (Raft thesis §6.4): each waits for a
 * quorum of heartbeat acknowledgements carrying its context, which proves that the leader
 * was still the leader when the read arrived.
 */

import type { Message, PeerId } from './types.js';

interface ReadIndexStatus {
  readonly request: Message;
  /** The leader's committed index when the request arrived. */
  readonly index: number;
  readonly acks: Map<PeerId, boolean>;
}

/** Bound on outstanding read requests; beyond it reads are refused, not queued. */
export const READ_INDEX_QUEUE_MAX = 4096;

export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  get size(): number {
    return this.queue.length;
  }

  full(): boolean {
    return this.queue.length >= READ_INDEX_QUEUE_MAX;
  }

  add(index: number, request: Message): void {
    const key = contextKey(request.entries[0]!.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { request, index, acks: new Map() });
    this.queue.push(key);
  }

  /** Records `from` acknowledging `context`; returns the acks so far, or undefined. */
  recvAck(from: PeerId, context: Uint8Array): ReadonlyMap<PeerId, boolean> | undefined {
    const status = this.pending.get(contextKey(context));
    if (!status) return undefined;
    status.acks.set(from, true);
    return status.acks;
  }

  /**
   * Every request up to and including the one with `context`: a heartbeat round that
   * confirms a later request also confirms all earlier ones.
   */
  advance(context: Uint8Array): { request: Message; index: number }[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.splice(0, at + 1);
    return done.map((k) => {
      const s = this.pending.get(k)!;
      this.pending.delete(k);
      return { request: s.request, index: s.index };
    });
  }

  /** Context of the newest pending request, to piggyback on heartbeats. */
  lastPendingContext(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.request.entries[0]!.data;
  }
}

function contextKey(context: Uint8Array): string {
  let s = '';
  for (const b of context) s += b.toString(16).padStart(2, '0');
  return s;
}
