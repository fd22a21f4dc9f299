/**
 * The bounded outbound queue of one destination store: envelopes waiting for the next batch,
 * plus a pending store heartbeat. Pure data structure, no I/O; used by both the gRPC and the
 * memory transport so they refuse and batch identically. Not here: windows, streams, timers.
 */

import type { RaftEnvelope } from './transport.js';

/** Per-envelope overhead in the estimate: ids, peers, epoch, term/index varints, tags. */
const ENVELOPE_OVERHEAD_BYTES = 128;
/** Per-entry overhead in the estimate: term, index, type, tags. */
const ENTRY_OVERHEAD_BYTES = 24;
/** Compact the backing array once this many taken slots sit in front of the head. */
const COMPACT_AFTER_TAKEN = 1_024;

/**
 * Estimated wire size of an envelope, for the byte caps. An upper-leaning estimate of the
 * payload-carrying fields; encoding exactly would cost as much as sending.
 */
export function envelopeBytes(e: RaftEnvelope): number {
  const m = e.message;
  let n = ENVELOPE_OVERHEAD_BYTES + (e.startKey?.length ?? 0) + (e.endKey?.length ?? 0);
  if (m) {
    n += (m.context?.length ?? 0) + (m.snapshot?.data?.length ?? 0);
    for (const entry of m.entries ?? []) n += ENTRY_OVERHEAD_BYTES + (entry.data?.length ?? 0);
  }
  return n;
}

/** What one batch takes off a queue. */
export interface TakenBatch {
  readonly envelopes: RaftEnvelope[];
  /** Estimated bytes of `envelopes`. */
  readonly bytes: number;
  /** A store heartbeat rides along with this batch. */
  readonly heartbeat: boolean;
}

/** Caps of one queue. */
export interface SendQueueLimits {
  readonly envelopesMax: number;
  readonly bytesMax: number;
}

/**
 * A FIFO of envelopes for one destination with hard caps on count and bytes.
 * Invariant: `length <= limits.envelopesMax` and `bytes <= limits.bytesMax`.
 */
export class SendQueue {
  private items: RaftEnvelope[] = [];
  private sizes: number[] = [];
  private head = 0;
  private queuedBytes = 0;
  private heartbeat = false;

  constructor(readonly limits: SendQueueLimits) {}

  /** Envelopes queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Estimated bytes queued. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** A heartbeat is waiting for the next batch. */
  get heartbeatPending(): boolean {
    return this.heartbeat;
  }

  /** Something (envelopes or a heartbeat) is waiting. */
  get hasWork(): boolean {
    return this.heartbeat || this.length > 0;
  }

  /**
   * Appends all of `envelopes`, or none of them when that would break a cap (the caller then
   * treats the destination as unreachable). Never blocks.
   */
  push(envelopes: readonly RaftEnvelope[]): boolean {
    if (this.length + envelopes.length > this.limits.envelopesMax) return false;
    const sizes = envelopes.map(envelopeBytes);
    let bytes = 0;
    for (const s of sizes) bytes += s;
    if (this.queuedBytes + bytes > this.limits.bytesMax) return false;
    for (let i = 0; i < envelopes.length; i++) {
      this.items.push(envelopes[i]!);
      this.sizes.push(sizes[i]!);
    }
    this.queuedBytes += bytes;
    return true;
  }

  /** Asks for a heartbeat in the next batch (several requests collapse into one). */
  markHeartbeat(): void {
    this.heartbeat = true;
  }

  /**
   * Takes the next batch: envelopes in order up to `bytesMax` and `envelopesMax` (at least one
   * envelope if any is queued, even an oversized one), and the pending heartbeat. Undefined
   * when there is nothing to send.
   */
  take(bytesMax: number, envelopesMax: number): TakenBatch | undefined {
    if (!this.hasWork) return undefined;
    const envelopes: RaftEnvelope[] = [];
    let bytes = 0;
    while (this.head < this.items.length && envelopes.length < envelopesMax) {
      const size = this.sizes[this.head]!;
      if (envelopes.length > 0 && bytes + size > bytesMax) break;
      envelopes.push(this.items[this.head]!);
      bytes += size;
      this.head++;
    }
    this.queuedBytes -= bytes;
    const heartbeat = this.heartbeat;
    this.heartbeat = false;
    this.compact();
    return { envelopes, bytes, heartbeat };
  }

  /** Drops everything queued (the heartbeat too). Returns how many envelopes were dropped. */
  clear(): number {
    const dropped = this.length;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.heartbeat = false;
    return dropped;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER_TAKEN && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
