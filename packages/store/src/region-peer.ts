/**
 * One region's peer on this store: its Raft node, its region metadata, the client writes
 * it proposed and the reads it owes. It does no I/O: the store loop drives it.
 */

import { type ConfState, type RaftConfig, type RandomSource, RawNode, Role } from '@atoll/raft';
import type { WriteRequest } from './command-codec.js';
import type { StoreError } from './errors.js';
import type { Epoch, RegionMeta } from './region.js';
import type { RegionError } from './region-errors.js';
import { RequestTable } from './request-table.js';
import type { RegionLog } from './storage-port.js';

/** The outcome of a write once its entry is applied (or known never to be). */
export type WriteOutcome =
  | { readonly ok: true; readonly cas?: { succeeded: boolean; previous?: Uint8Array } }
  | { readonly ok: false; readonly regionError: RegionError }
  | { readonly ok: false; readonly error: StoreError };

/** One proposed entry: an admin command (one waiter) or a batch of client writes. */
export interface Proposal {
  readonly index: number;
  readonly term: number;
  /** Store tick after which the clients are told the outcome is unknown. */
  readonly deadlineTick: number;
  /** One per request in the entry, in order. */
  readonly waiters: readonly ((outcome: WriteOutcome) => void)[];
}

/** Answers each request of a proposal: with `outcomes[i]`, or all with one outcome. */
export function answerProposal(
  p: Proposal,
  outcomes: WriteOutcome | readonly WriteOutcome[],
): void {
  p.waiters.forEach((w, i) => {
    w(Array.isArray(outcomes) ? outcomes[i]! : (outcomes as WriteOutcome));
  });
}

/** A client write accepted by the leader, waiting for the loop to propose it (Store.proposeWrites). */
export interface QueuedWrite {
  readonly request: WriteRequest;
  /** The epoch the request was routed under: a region changed meanwhile refuses it. */
  readonly epoch: Epoch;
  /** Keys and values, to bound one entry's size. */
  readonly bytes: number;
  readonly done: (outcome: WriteOutcome) => void;
}

/** A read waiting for a linearizable read point. */
export interface PendingRead {
  readonly deadlineTick: number;
  /** Called once the read may be served (applied >= read index), or with an error. */
  readonly serve: (failure?: WriteOutcome & { ok: false }) => void;
}

/** Bound on writes (requests) one peer may have in flight; beyond it clients get ServerIsBusy. */
export const PROPOSALS_IN_FLIGHT_MAX = 20_000;
/** Bound on reads waiting per peer. */
export const READS_WAITING_MAX = 20_000;

export class RegionPeer {
  region: RegionMeta;
  readonly peerId: number;
  readonly node: RawNode;
  readonly log: RegionLog;
  confState: ConfState;
  /** Invariant: keys increase; every entry's index > applied index. */
  readonly proposals = new Map<number, Proposal>();
  /** Client writes in the proposals, counted for the in-flight bound. */
  writesInFlight = 0;
  /** Client writes accepted since the loop last proposed; one entry carries them all. */
  writesQueued: QueuedWrite[] = [];
  /** Reads not yet tagged with a read index. */
  readsQueued: PendingRead[] = [];
  /** Reads tagged with a ReadIndex request, by request context. */
  readonly readsAwaitingIndex = new Map<string, PendingRead[]>();
  /** Reads with a read index, waiting for apply to reach it. */
  readsAwaitingApply: { index: number; reads: PendingRead[] }[] = [];
  private readSequence = 0;

  /** Hibernation: a quiescent peer is not ticked and sends nothing until woken. */
  quiescent = false;
  /** Leader only: ticks for which the region has been fully idle. */
  idleTicks = 0;
  /** Leader only: mark this tick's heartbeats as the last before quiescing. */
  quiesceNow = false;
  /** Approximate data in the region (maintained on apply; refreshed by recounts). */
  approxKeys = 0;
  approxBytes = 0;
  /** Written since the last region heartbeat to PD (write-load split). */
  writtenKeys = 0;
  writtenBytes = 0;

  /** The client writes applied, by request id, to answer retries (replaced by a snapshot). */
  requests: RequestTable;

  /** Removed from its region by an applied change; nothing more is written for it. */
  removed = false;

  /**
   * Found stale (the region went on without it, e.g. while its store was down): destroyed by
   * the next loop iteration, durably, as if it had applied its own removal.
   */
  stale = false;

  /**
   * Stores of peers we have heard from. A peer created empty (to be initialized by a
   * snapshot) knows no region members yet, but must answer the leader that contacted it.
   */
  readonly knownPeerStores = new Map<number, number>();

  constructor(opts: {
    region: RegionMeta;
    peerId: number;
    log: RegionLog;
    confState: ConfState;
    applied: number;
    random: RandomSource;
    raft: Partial<RaftConfig>;
    requests?: RequestTable;
  }) {
    this.requests = opts.requests ?? new RequestTable();
    this.region = opts.region;
    this.peerId = opts.peerId;
    this.log = opts.log;
    this.confState = opts.confState;
    this.node = new RawNode({
      ...opts.raft,
      id: opts.peerId,
      storage: opts.log,
      random: opts.random,
      applied: opts.applied,
    });
  }

  get isLeader(): boolean {
    return this.node.raft.role === Role.Leader;
  }

  get leaderPeerId(): number {
    return this.node.raft.leaderId;
  }

  /** The store of the peer this one believes leads the region, or 0. */
  leaderStoreId(): number {
    return this.storeOfPeer(this.leaderPeerId) ?? 0;
  }

  /** Where a peer of this region lives, from the region's members or from its messages. */
  storeOfPeer(peerId: number): number | undefined {
    return (
      this.region.peers.find((p) => p.id === peerId)?.storeId ?? this.knownPeerStores.get(peerId)
    );
  }

  get appliedIndex(): number {
    return this.node.raft.log.applied;
  }

  /** Whether the writes queued and in flight reach PROPOSALS_IN_FLIGHT_MAX (clients get ServerIsBusy). */
  tooManyWrites(): boolean {
    return this.writesInFlight + this.writesQueued.length >= PROPOSALS_IN_FLIGHT_MAX;
  }

  /** Notes a proposal just accepted by the Raft node (the last entry of its log). */
  trackProposal(deadlineTick: number, waiters: readonly ((o: WriteOutcome) => void)[]): void {
    const raft = this.node.raft;
    const index = raft.log.lastIndex();
    this.proposals.set(index, { index, term: raft.term, deadlineTick, waiters });
    this.writesInFlight += waiters.length;
  }

  /** Removes the proposal at `index` (applied, replaced or failed); the caller answers it. */
  takeProposal(index: number): Proposal | undefined {
    const p = this.proposals.get(index);
    if (!p) return undefined;
    this.proposals.delete(index);
    this.writesInFlight -= p.waiters.length;
    return p;
  }

  /** Returns a fresh, unique ReadIndex context and moves queued reads under it. */
  takeQueuedReads(): { context: Uint8Array; reads: PendingRead[] } | undefined {
    if (this.readsQueued.length === 0) return undefined;
    const reads = this.readsQueued;
    this.readsQueued = [];
    this.readSequence++;
    const context = new Uint8Array(12);
    const view = new DataView(context.buffer);
    view.setUint32(0, this.peerId % 0x1_0000_0000);
    view.setFloat64(4, this.readSequence);
    this.readsAwaitingIndex.set(contextKey(context), reads);
    return { context, reads };
  }

  /** A ReadIndex answer arrived: those reads wait for apply to reach `index`. */
  readIndexReady(context: Uint8Array, index: number): void {
    const key = contextKey(context);
    const reads = this.readsAwaitingIndex.get(key);
    if (!reads) return;
    this.readsAwaitingIndex.delete(key);
    this.readsAwaitingApply.push({ index, reads });
  }

  /** Reads wait for the applied index (and so for the storage to show their batch). */
  get hasReadsAwaitingApply(): boolean {
    return this.readsAwaitingApply.length > 0;
  }

  /** Serves every read whose read index has been applied. */
  serveReadsUpTo(applied: number): void {
    if (this.readsAwaitingApply.length === 0) return;
    const still: { index: number; reads: PendingRead[] }[] = [];
    for (const group of this.readsAwaitingApply) {
      if (group.index <= applied) for (const r of group.reads) r.serve();
      else still.push(group);
    }
    this.readsAwaitingApply = still;
  }

  /**
   * Fails the reads whose read index is not yet known. Called when this peer's role or
   * leader changes: a deposed leader forgets its pending ReadIndex rounds, and a request
   * forwarded to a leader that died is never answered, so without this they would wait
   * for their deadline. Reads that already have a read index stay: it remains valid.
   */
  failUnconfirmedReads(outcome: WriteOutcome & { ok: false }): void {
    for (const r of this.readsQueued) r.serve(outcome);
    this.readsQueued = [];
    for (const reads of this.readsAwaitingIndex.values()) for (const r of reads) r.serve(outcome);
    this.readsAwaitingIndex.clear();
  }

  /** Fails every waiting read and write (the peer is going away or lost its role). */
  failAll(outcome: WriteOutcome & { ok: false }, includeWrites: boolean): void {
    for (const r of this.readsQueued) r.serve(outcome);
    this.readsQueued = [];
    for (const reads of this.readsAwaitingIndex.values()) for (const r of reads) r.serve(outcome);
    this.readsAwaitingIndex.clear();
    for (const g of this.readsAwaitingApply) for (const r of g.reads) r.serve(outcome);
    this.readsAwaitingApply = [];
    if (includeWrites) {
      for (const index of [...this.proposals.keys()])
        answerProposal(this.takeProposal(index)!, outcome);
      const queued = this.writesQueued;
      this.writesQueued = [];
      for (const w of queued) w.done(outcome);
    }
  }

  /** Fails requests whose deadline has passed. Writes: their outcome is unknown. */
  expire(tick: number, timeout: (what: 'read' | 'write') => WriteOutcome & { ok: false }): void {
    for (const p of [...this.proposals.values()]) {
      if (p.deadlineTick <= tick) answerProposal(this.takeProposal(p.index)!, timeout('write'));
    }
    const expired = (r: PendingRead) => r.deadlineTick <= tick;
    const fail = (list: PendingRead[]) => {
      for (const r of list) if (expired(r)) r.serve(timeout('read'));
      return list.filter((r) => !expired(r));
    };
    this.readsQueued = fail(this.readsQueued);
    for (const [k, list] of this.readsAwaitingIndex) {
      const rest = fail(list);
      if (rest.length === 0) this.readsAwaitingIndex.delete(k);
      else this.readsAwaitingIndex.set(k, rest);
    }
    this.readsAwaitingApply = this.readsAwaitingApply
      .map((g) => ({ index: g.index, reads: fail(g.reads) }))
      .filter((g) => g.reads.length > 0);
  }

  hasPendingWork(): boolean {
    return (
      this.proposals.size > 0 ||
      this.writesQueued.length > 0 ||
      this.readsQueued.length > 0 ||
      this.readsAwaitingIndex.size > 0 ||
      this.readsAwaitingApply.length > 0
    );
  }

  /**
   * Leader only: nothing in flight, every peer has every entry, everything applied. Then the
   * group can stop ticking without anyone noticing (hibernation).
   */
  isIdleLeader(): boolean {
    return this.isLeader && this.busyReason() === undefined;
  }

  /** Why a leader cannot hibernate yet (undefined: it can), for isIdleLeader and /status. */
  busyReason(): string | undefined {
    if (this.hasPendingWork()) return 'requests in flight';
    const raft = this.node.raft;
    const last = raft.log.lastIndex();
    if (raft.log.committed !== last) return `committed ${raft.log.committed} < last ${last}`;
    if (raft.log.applied !== last) return `applied ${raft.log.applied} < last ${last}`;
    if (raft.leadTransferee !== 0) return 'leadership transfer';
    if (this.confState.votersOutgoing.length > 0) return 'joint membership';
    for (const [id, pr] of raft.trk.progress) {
      if (pr.matchIndex !== last)
        return `peer ${id} matched ${pr.matchIndex} of ${last} (${pr.state}${pr.paused ? ', paused' : ''})`;
    }
    return undefined;
  }

  /** Why this peer is awake (undefined when hibernating), for /status. */
  awakeReason(): string | undefined {
    if (this.quiescent) return undefined;
    const raft = this.node.raft;
    if (this.isLeader) {
      const busy = this.busyReason();
      return `term ${raft.term}, ${busy ?? `idle for ${this.idleTicks} ticks`}`;
    }
    return `${raft.role}, term ${raft.term}, election elapsed ${raft.electionElapsed}`;
  }
}

function contextKey(context: Uint8Array): string {
  return Buffer.from(context).toString('hex');
}
