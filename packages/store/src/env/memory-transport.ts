/**
 * An in-process RaftTransport: a hub connects the stores of one process (in-process cluster
 * tests, the simulator). Same contract as the gRPC transport: bounded per-destination queues
 * (send() returns false when full), one batch per destination per flush (split over the byte
 * cap), a window of undelivered batches per link, heartbeats riding in batches, ordered
 * delivery per store pair, snapshots through the store's onSnapshot with the chunk limit.
 *
 * Deterministic: no clock, timers or randomness. Delivery is asynchronous through an injected
 * `schedule` (queueMicrotask by default; a simulator passes its own event queue, which may
 * delay each link differently: order per pair holds whatever the schedule does, because a
 * delivery always takes the oldest batch of its link). Fault hooks: cut links one way or both,
 * partition groups, hold a link's batches and release them later, drop single envelopes.
 * Not here: encoding (envelopes are passed by reference, as the receiving store gets them).
 */

import { StoreError, StoreErrorCode } from '../errors.js';
import { SendQueue } from './send-queue.js';
import type { RaftEnvelope, RaftTransport, TransportHandlers } from './transport.js';
import {
  RAFT_BATCH_BYTES_MAX,
  RAFT_BATCH_ENVELOPES_MAX,
  RAFT_BATCH_WINDOW,
  SEND_QUEUE_BYTES_MAX,
  SEND_QUEUE_ENVELOPES_MAX,
  SNAPSHOT_CHUNK_BYTES_MAX,
  SNAPSHOT_SENDS_MAX,
} from './transport-limits.js';

/** Runs `fn` later; `from` and `to` let a simulator give each link its own latency. */
export type Schedule = (fn: () => void, from: number, to: number) => void;

/** Decides per envelope, at delivery: true delivers it, false drops it. */
export type EnvelopeFilter = (from: number, to: number, envelope: RaftEnvelope) => boolean;

/** Knobs of a hub; every default is the gRPC transport's. */
export interface MemoryHubOptions {
  readonly schedule?: Schedule;
  readonly queueEnvelopesMax?: number;
  readonly queueBytesMax?: number;
  readonly batchBytesMax?: number;
  /** Undelivered batches per link before flush leaves envelopes queued. */
  readonly window?: number;
}

/** Counters of one directed link. */
export interface MemoryLinkStats {
  readonly from: number;
  readonly to: number;
  readonly queuedEnvelopes: number;
  /** Batches flushed and not yet delivered (or dropped). */
  readonly inflightBatches: number;
  readonly deliveredBatches: number;
  readonly deliveredEnvelopes: number;
  readonly droppedEnvelopes: number;
  readonly refusedSends: number;
}

interface Batch {
  readonly envelopes: RaftEnvelope[];
  readonly heartbeat: boolean;
}

class MemoryLink {
  readonly queue: SendQueue;
  readonly inflight: Batch[] = [];
  /** Delivery callbacks scheduled and not yet run. Invariant: >= inflight.length unless held. */
  scheduled = 0;
  up = true;
  held = false;
  deliveredBatches = 0;
  deliveredEnvelopes = 0;
  droppedEnvelopes = 0;
  refusedSends = 0;

  constructor(
    readonly from: number,
    readonly to: number,
    limits: { envelopesMax: number; bytesMax: number },
  ) {
    this.queue = new SendQueue(limits);
  }
}

/** Connects the stores of one process. */
export class MemoryTransportHub {
  private readonly handlers = new Map<number, TransportHandlers>();
  private readonly links = new Map<string, MemoryLink>();
  private readonly closedStores = new Set<number>();
  private readonly schedule: Schedule;
  private readonly window: number;
  private readonly batchBytesMax: number;
  private readonly queueLimits: { envelopesMax: number; bytesMax: number };
  private filter: EnvelopeFilter | undefined;

  constructor(options: MemoryHubOptions = {}) {
    this.schedule = options.schedule ?? ((fn) => queueMicrotask(fn));
    this.window = options.window ?? RAFT_BATCH_WINDOW;
    this.batchBytesMax = options.batchBytesMax ?? RAFT_BATCH_BYTES_MAX;
    this.queueLimits = {
      envelopesMax: options.queueEnvelopesMax ?? SEND_QUEUE_ENVELOPES_MAX,
      bytesMax: options.queueBytesMax ?? SEND_QUEUE_BYTES_MAX,
    };
  }

  /** Makes `storeId` reachable: deliveries to it go to `handlers`. */
  register(storeId: number, handlers: TransportHandlers): void {
    this.handlers.set(storeId, handlers);
  }

  /** Makes `storeId` unreachable (a crashed store): what is sent to it is dropped. */
  unregister(storeId: number): void {
    this.handlers.delete(storeId);
  }

  /**
   * The transport of `storeId`. A second call models a restarted process: what its
   * predecessor had queued and not flushed is gone (batches already flushed are "on the wire"
   * and may still arrive, as on a real network).
   */
  transport(storeId: number): RaftTransport {
    this.closedStores.delete(storeId);
    for (const link of this.links.values()) {
      if (link.from === storeId) link.droppedEnvelopes += link.queue.clear();
    }
    return new MemoryTransport(this, storeId);
  }

  // ---- fault hooks ----------------------------------------------------------------------

  /** Cuts (`up` false) or heals both directions between two stores. */
  setLink(a: number, b: number, up: boolean): void {
    this.setDirectedLink(a, b, up);
    this.setDirectedLink(b, a, up);
  }

  /** Cuts or heals one direction only (asymmetric partitions). */
  setDirectedLink(from: number, to: number, up: boolean): void {
    this.link(from, to).up = up;
  }

  /** Cuts `storeId` off from each of `others`. */
  isolate(storeId: number, others: readonly number[]): void {
    for (const o of others) if (o !== storeId) this.setLink(storeId, o, false);
  }

  /** Cuts every link between stores of different groups. */
  partition(...groups: readonly (readonly number[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]!) for (const b of groups[j]!) this.setLink(a, b, false);
      }
    }
  }

  /** Holds `from` -> `to`: batches wait (in order, within the window) until release(). */
  hold(from: number, to: number): void {
    this.link(from, to).held = true;
  }

  /** Releases a held link: its waiting batches are scheduled for delivery, in order. */
  release(from: number, to: number): void {
    const link = this.link(from, to);
    link.held = false;
    this.scheduleDeliveries(link);
  }

  /** Drops single envelopes (e.g. by a seeded coin); undefined removes the filter. */
  setFilter(filter: EnvelopeFilter | undefined): void {
    this.filter = filter;
  }

  /** Every link up, nothing held, no filter. */
  heal(): void {
    this.filter = undefined;
    for (const link of this.links.values()) {
      link.up = true;
      if (link.held) this.release(link.from, link.to);
    }
  }

  /** Counters of every link used so far. */
  stats(): MemoryLinkStats[] {
    return [...this.links.values()].map((l) => ({
      from: l.from,
      to: l.to,
      queuedEnvelopes: l.queue.length,
      inflightBatches: l.inflight.length,
      deliveredBatches: l.deliveredBatches,
      deliveredEnvelopes: l.deliveredEnvelopes,
      droppedEnvelopes: l.droppedEnvelopes,
      refusedSends: l.refusedSends,
    }));
  }

  /** True when no delivery is scheduled (held links aside): the network is quiet. */
  get quiet(): boolean {
    for (const l of this.links.values()) if (!l.held && l.inflight.length > 0) return false;
    return true;
  }

  // ---- used by MemoryTransport ----------------------------------------------------------

  /** @internal */
  enqueue(from: number, to: number, envelopes: readonly RaftEnvelope[]): boolean {
    const link = this.link(from, to);
    const ok = link.queue.push(envelopes);
    if (!ok) link.refusedSends++;
    return ok;
  }

  /** @internal */
  markHeartbeat(from: number, to: number): void {
    this.link(from, to).queue.markHeartbeat();
  }

  /** @internal Moves queued envelopes of `from` into batches, within each link's window. */
  flush(from: number): void {
    for (const link of this.links.values()) if (link.from === from) this.pump(link);
  }

  /** @internal Drops what `storeId` has queued or in flight, and stops delivering to it. */
  closeStore(storeId: number): void {
    this.closedStores.add(storeId);
    for (const link of this.links.values()) {
      if (link.from !== storeId) continue;
      link.droppedEnvelopes += link.queue.clear();
      for (const b of link.inflight) link.droppedEnvelopes += b.envelopes.length;
      link.inflight.length = 0;
    }
  }

  /** @internal The handlers a snapshot from `from` reaches now, or an error saying why not. */
  snapshotTarget(from: number, to: number): TransportHandlers | StoreError {
    const handlers = this.reachable(from, to);
    if (handlers) return handlers;
    return new StoreError(StoreErrorCode.StoreUnreachable, `store ${to} is unreachable`, true, {
      storeId: to,
    });
  }

  private reachable(from: number, to: number): TransportHandlers | undefined {
    if (!this.link(from, to).up || this.closedStores.has(to) || this.closedStores.has(from)) {
      return undefined;
    }
    return this.handlers.get(to);
  }

  private link(from: number, to: number): MemoryLink {
    const key = `${from}>${to}`;
    let link = this.links.get(key);
    if (!link) {
      link = new MemoryLink(from, to, this.queueLimits);
      this.links.set(key, link);
    }
    return link;
  }

  private pump(link: MemoryLink): void {
    while (link.inflight.length < this.window && link.queue.hasWork) {
      const taken = link.queue.take(this.batchBytesMax, RAFT_BATCH_ENVELOPES_MAX)!;
      link.inflight.push({ envelopes: taken.envelopes, heartbeat: taken.heartbeat });
    }
    this.scheduleDeliveries(link);
  }

  private scheduleDeliveries(link: MemoryLink): void {
    if (link.held) return;
    while (link.scheduled < link.inflight.length) {
      link.scheduled++;
      this.schedule(() => this.deliverOne(link), link.from, link.to);
    }
  }

  /** Delivers the oldest batch of `link` (whichever callback runs, order per pair holds). */
  private deliverOne(link: MemoryLink): void {
    link.scheduled--;
    if (link.held) return;
    const batch = link.inflight.shift();
    if (!batch) return;
    const handlers = this.reachable(link.from, link.to);
    const filter = this.filter;
    let envelopes = batch.envelopes;
    if (handlers && filter) envelopes = envelopes.filter((e) => filter(link.from, link.to, e));
    if (!handlers) {
      link.droppedEnvelopes += batch.envelopes.length;
    } else {
      link.droppedEnvelopes += batch.envelopes.length - envelopes.length;
      link.deliveredBatches++;
      link.deliveredEnvelopes += envelopes.length;
      if (envelopes.length > 0) handlers.onEnvelopes(link.from, envelopes);
      if (batch.heartbeat) handlers.onStoreHeartbeat(link.from);
    }
    // The window opened (like an ack on the gRPC stream): send what waits behind it.
    this.pump(link);
  }
}

/** One store's view of the hub. */
class MemoryTransport implements RaftTransport {
  private closed = false;
  private snapshotsInProgress = 0;

  constructor(
    private readonly hub: MemoryTransportHub,
    private readonly storeId: number,
  ) {}

  send(toStore: number, envelopes: RaftEnvelope[]): boolean {
    if (this.closed) return false;
    return this.hub.enqueue(this.storeId, toStore, envelopes);
  }

  sendHeartbeat(toStore: number): void {
    if (!this.closed) this.hub.markHeartbeat(this.storeId, toStore);
  }

  flush(): void {
    if (!this.closed) this.hub.flush(this.storeId);
  }

  async sendSnapshot(
    toStore: number,
    envelope: RaftEnvelope,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    if (this.closed) throw new StoreError(StoreErrorCode.TransportClosed, 'transport closed');
    if (this.snapshotsInProgress >= SNAPSHOT_SENDS_MAX) {
      throw new StoreError(StoreErrorCode.TooManySnapshots, 'too many snapshots at once', true);
    }
    const target = this.hub.snapshotTarget(this.storeId, toStore);
    if (target instanceof StoreError) throw target;
    this.snapshotsInProgress++;
    try {
      const state = { complete: false };
      try {
        await target.onSnapshot(this.storeId, envelope, limitedChunks(chunks, state));
      } catch (e) {
        if (e instanceof StoreError) throw e;
        throw new StoreError(
          StoreErrorCode.SnapshotRefused,
          `store ${toStore} refused the snapshot: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      if (!state.complete) {
        throw new StoreError(
          StoreErrorCode.SnapshotRefused,
          'the store stopped reading before the end of the snapshot',
        );
      }
    } finally {
      this.snapshotsInProgress--;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.closeStore(this.storeId);
  }
}

/** Passes chunks through, refusing oversized ones as the gRPC transport does. */
async function* limitedChunks(
  chunks: AsyncIterable<Uint8Array>,
  state: { complete: boolean },
): AsyncGenerator<Uint8Array> {
  for await (const data of chunks) {
    if (data.byteLength > SNAPSHOT_CHUNK_BYTES_MAX) {
      throw new StoreError(
        StoreErrorCode.SnapshotChunkTooLarge,
        `a snapshot chunk of ${data.byteLength} bytes is over the limit`,
        false,
        { bytes: data.byteLength, max: SNAPSHOT_CHUNK_BYTES_MAX },
      );
    }
    yield data;
  }
  state.complete = true;
}
