/**
 * Timestamps from the PD's oracle over one long-lived Tso stream to the leader. Calls made
 * while a request is in flight (or in the same event-loop turn) wait together and go out as
 * ONE request for as many timestamps; the answer is the last of a contiguous range, handed
 * out in call order. At most one request is in flight, so answers never need matching.
 *
 * A broken stream or a NOT_LEADER answer sends the same waiters again to the (new) leader:
 * a lost answer only leaves a gap, never a duplicate, because every answer is checked to be
 * above the previous one (a violation fails its waiters with PD_CLIENT_ERR_TSO_OUT_OF_ORDER
 * rather than handing out a timestamp that breaks the promise).
 *
 * Not here: the leader search (leader-finder.ts).
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';
import { Backoff } from './backoff.js';
import type { Connections, PdRequest, PdResponse } from './connections.js';
import {
  closedError,
  fromWireError,
  PdClientError,
  PdClientErrorCode,
  unavailable,
} from './errors.js';
import type { FinderContext, LeaderFinder, LeaderInfo } from './leader-finder.js';
import { PD_ATTEMPT_TIMEOUT_MS, TSO_BATCH_MAX, TSO_WAITING_MAX } from './limits.js';

/** A hybrid timestamp: milliseconds and an 18-bit logical counter. */
export interface Timestamp {
  readonly physical: number;
  readonly logical: number;
}

interface Waiter {
  readonly resolve: (ts: Timestamp) => void;
  readonly reject: (e: Error) => void;
  readonly deadline: number;
  /** Set once resolved or rejected (an expired waiter may still sit in the in-flight batch). */
  done: boolean;
}

type TsoStream = grpc.ClientDuplexStream<PdRequest<'tso'>, PdResponse<'tso'>>;

/** Counters for status pages and tests. */
export interface TsoStats {
  /** TSO requests written to a stream (one per batch). */
  readonly requests: number;
  /** Timestamps handed to callers. */
  readonly timestamps: number;
  /** Streams opened (1 + reconnects). */
  readonly streams: number;
}

/** Batches getTimestamp() calls onto one Tso stream. */
export class TsoBatcher {
  private waiting: Waiter[] = [];
  private inflight: Waiter[] | undefined;
  private inflightSince = 0;
  private stream: TsoStream | undefined;
  private streamLeader: LeaderInfo | undefined;
  private flushScheduled = false;
  private opening = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff();
  /** Invariant: every timestamp handed out is above this one. */
  private last: Timestamp | undefined;
  private closed = false;
  private counts = { requests: 0, timestamps: 0, streams: 0 };

  constructor(
    private readonly ctx: FinderContext & { readonly connections: Connections },
    private readonly finder: LeaderFinder,
    private readonly timeoutMs: number,
  ) {}

  /** One timestamp above every one this client got before. */
  get(): Promise<Timestamp> {
    if (this.closed) return Promise.reject(closedError());
    if (this.waiting.length >= TSO_WAITING_MAX) {
      return Promise.reject(unavailable(`${TSO_WAITING_MAX} timestamp requests already waiting`));
    }
    return new Promise<Timestamp>((resolve, reject) => {
      this.waiting.push({
        resolve,
        reject,
        deadline: this.ctx.now() + this.timeoutMs,
        done: false,
      });
      this.armSweep();
      this.scheduleFlush();
    });
  }

  /** Counters so far. */
  stats(): TsoStats {
    return { ...this.counts };
  }

  /** Fails every waiter with PD_CLIENT_ERR_CLOSED and closes the stream. */
  close(): void {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    clearTimeout(this.retryTimer);
    this.dropStream();
    const all = [...(this.inflight ?? []), ...this.waiting];
    this.inflight = undefined;
    this.waiting = [];
    for (const w of all) settle(w, closedError());
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    // After this turn: every call made in it joins the same request.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private retryLater(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.backoff.next());
  }

  private async flush(): Promise<void> {
    if (this.closed || this.inflight || this.opening || this.retryTimer) return;
    this.expire();
    if (this.waiting.length === 0) return;
    let stream = this.stream;
    if (!stream) {
      this.opening = true;
      try {
        stream = await this.open();
      } catch (e) {
        if (this.closed) return;
        if (e instanceof PdClientError && !e.retryable) {
          for (const w of this.waiting.splice(0)) settle(w, e);
          return;
        }
        this.retryLater();
        return;
      } finally {
        this.opening = false;
      }
    }
    this.expire();
    if (this.waiting.length === 0 || this.closed || this.inflight) return;
    const batch = this.waiting.splice(0, TSO_BATCH_MAX);
    this.inflight = batch;
    this.inflightSince = this.ctx.now();
    this.counts.requests++;
    stream.write({ header: { clusterId: this.finder.clusterId }, count: batch.length });
    this.armSweep(true);
  }

  private async open(): Promise<TsoStream> {
    const latest = this.waiting.reduce((d, w) => Math.max(d, w.deadline), 0);
    const leader = await this.finder.get(latest);
    if (this.closed) throw closedError();
    const stream = this.ctx.connections.stream(leader.address, 'tso');
    this.counts.streams++;
    this.stream = stream;
    this.streamLeader = leader;
    stream.on('data', (r: atoll.pd.TsoResponse) => this.onResponse(stream, r));
    stream.on('error', (e: Error) => this.onBroken(stream, e));
    stream.on('end', () => this.onBroken(stream, new Error('the TSO stream ended')));
    return stream;
  }

  private onResponse(stream: TsoStream, response: atoll.pd.TsoResponse): void {
    if (stream !== this.stream) return;
    const batch = this.inflight;
    this.inflight = undefined;
    if (!batch) return;
    const address = this.streamLeader?.address ?? '';
    const error = response.header?.error;
    try {
      this.finder.checkCluster(address, response.header);
    } catch (e) {
      this.failBatch(batch, e as Error);
      return;
    }
    if (error?.code === 'PD_ERR_NOT_LEADER') {
      this.requeue(batch);
      this.dropStream();
      if (this.finder.redirect(response.header?.leader, address)) this.scheduleFlush();
      else this.retryLater();
      return;
    }
    if (error?.code) {
      this.failBatch(batch, fromWireError(error));
      return;
    }
    this.handOut(batch, response);
    this.backoff.reset();
    this.scheduleFlush();
  }

  private handOut(batch: Waiter[], response: atoll.pd.TsoResponse): void {
    const count = response.count;
    const physical = Number(response.timestamp?.physical ?? 0);
    const lastLogical = response.timestamp?.logical ?? 0;
    const first: Timestamp = { physical, logical: lastLogical - count + 1 };
    if (count !== batch.length || first.logical < 0 || physical <= 0) {
      this.failBatch(
        batch,
        outOfOrder(`asked for ${batch.length}, got ${count} ending at ${physical}.${lastLogical}`),
      );
      return;
    }
    if (this.last && compare(first, this.last) <= 0) {
      this.failBatch(
        batch,
        outOfOrder(
          `got ${first.physical}.${first.logical} after ${this.last.physical}.${this.last.logical}`,
        ),
      );
      return;
    }
    this.last = { physical, logical: lastLogical };
    batch.forEach((w, i) => {
      if (w.done) return;
      w.done = true;
      this.counts.timestamps++;
      w.resolve({ physical, logical: first.logical + i });
    });
  }

  private failBatch(batch: Waiter[], e: Error): void {
    for (const w of batch) settle(w, e);
    this.scheduleFlush();
  }

  private onBroken(stream: TsoStream, _e: Error): void {
    if (stream !== this.stream) return;
    if (this.streamLeader) this.finder.invalidate(this.streamLeader);
    this.dropStream();
    if (this.inflight) this.requeue(this.inflight);
    this.inflight = undefined;
    this.retryLater();
  }

  private dropStream(): void {
    const s = this.stream;
    this.stream = undefined;
    this.streamLeader = undefined;
    s?.cancel();
  }

  private requeue(batch: Waiter[]): void {
    this.waiting.unshift(...batch.filter((w) => !w.done));
  }

  /** Rejects waiters past their deadline; a request stuck too long abandons its stream. */
  private expire(): void {
    const now = this.ctx.now();
    const timedOut = () => unavailable('no timestamp before the deadline');
    for (const w of this.inflight ?? []) if (w.deadline <= now) settle(w, timedOut());
    if (this.waiting.some((w) => w.deadline <= now)) {
      const keep: Waiter[] = [];
      for (const w of this.waiting) {
        if (w.deadline <= now) settle(w, timedOut());
        else keep.push(w);
      }
      this.waiting = keep;
    }
    if (this.inflight && now - this.inflightSince >= PD_ATTEMPT_TIMEOUT_MS && this.stream) {
      this.onBroken(this.stream, new Error('no TSO answer in time'));
    }
  }

  /** Keeps one timer armed for the earliest deadline (waiters queue in deadline order). */
  private armSweep(rearm = false): void {
    if (this.closed) return;
    if (this.sweepTimer) {
      if (!rearm) return;
      clearTimeout(this.sweepTimer);
      this.sweepTimer = undefined;
    }
    const head = this.inflight?.find((w) => !w.done) ?? this.waiting[0];
    let at = head?.deadline ?? Number.POSITIVE_INFINITY;
    if (this.inflight) at = Math.min(at, this.inflightSince + PD_ATTEMPT_TIMEOUT_MS);
    if (!Number.isFinite(at)) return;
    this.sweepTimer = setTimeout(
      () => {
        this.sweepTimer = undefined;
        this.expire();
        this.armSweep();
        this.scheduleFlush();
      },
      Math.max(1, at - this.ctx.now()),
    );
  }
}

function settle(w: Waiter, e: Error): void {
  if (w.done) return;
  w.done = true;
  w.reject(e);
}

function compare(a: Timestamp, b: Timestamp): number {
  return a.physical !== b.physical ? a.physical - b.physical : a.logical - b.logical;
}

function outOfOrder(what: string): PdClientError {
  return new PdClientError(
    PdClientErrorCode.TsoOutOfOrder,
    `the PD broke timestamp order (${what}); nothing was handed out`,
    true,
  );
}
