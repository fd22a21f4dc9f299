/**
 * The requests of one store connection, whatever carries them (grpc-kv-sender.ts,
 * socket-kv-sender.ts): ids, the outbox of requests not yet written, deadlines, and how each
 * fails. The rule both senders keep: a request never written fails as "not sent" (safe to
 * retry anywhere), one written and then lost as "unknown".
 */

import type { atoll } from '@atoll/proto';
import { type KvRequest, type KvResponse, SendError, SendFailure } from './ports.js';

/** Requests coalesced into one message at most. */
export const BATCH_REQUESTS_MAX = 1_024;
/** How long to wait for a connection before requests fail as "not sent". */
export const CONNECT_TIMEOUT_MS = 1_000;
/** Requests in flight per store connection before new ones are refused: bounds client memory. */
export const INFLIGHT_MAX = 65_536;

interface Pending {
  readonly resolve: (r: KvResponse) => void;
  readonly reject: (e: Error) => void;
  written: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Requests sent to one store and not yet answered. */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private outbox: atoll.kv.IKvRequest[] = [];
  private nextId = 1;

  /**
   * Queues `request` under a fresh id. The promise settles with its response, or fails when
   * `deadlineMs` passes ("unknown" once written, "not sent" before).
   */
  add(request: KvRequest, deadlineMs: number): Promise<KvResponse> {
    if (this.pending.size >= INFLIGHT_MAX) {
      return Promise.reject(
        new SendError(SendFailure.NotSent, 'too many requests in flight to this store'),
      );
    }
    const id = this.nextId++;
    return new Promise<KvResponse>((resolve, reject) => {
      const p: Pending = { resolve, reject, written: false, timer: undefined };
      p.timer = setTimeout(
        () => {
          this.pending.delete(id);
          const failure = p.written ? SendFailure.Unknown : SendFailure.NotSent;
          reject(new SendError(failure, `no answer within ${deadlineMs} ms`));
        },
        Math.max(1, deadlineMs),
      );
      this.pending.set(id, p);
      this.outbox.push({ ...request, id });
    });
  }

  /** Requests queued and not yet written. */
  get queued(): number {
    return this.outbox.length;
  }

  /** Whether some request was written and is not answered yet. */
  get awaitingAnswers(): boolean {
    for (const p of this.pending.values()) if (p.written) return true;
    return false;
  }

  /** Takes up to BATCH_REQUESTS_MAX queued requests, marked written: the caller writes them. */
  takeBatch(): atoll.kv.IKvRequest[] {
    const requests = this.outbox.splice(0, BATCH_REQUESTS_MAX);
    for (const r of requests) {
      const p = this.pending.get(Number(r.id));
      if (p) p.written = true;
    }
    return requests;
  }

  /** Settles the requests these responses answer; returns how many responses there were. */
  answer(responses: readonly atoll.kv.IKvResponse[]): number {
    for (const r of responses) {
      const id = Number(r.id);
      const p = this.pending.get(id);
      if (!p) continue; // its deadline passed
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.resolve(r);
    }
    return responses.length;
  }

  /** The connection could not be made: every queued request fails as "not sent". */
  failQueued(message: string): void {
    const requests = this.outbox;
    this.outbox = [];
    for (const r of requests) this.fail(Number(r.id), message);
  }

  /** The connection is lost: written requests fail as "unknown", queued ones as "not sent". */
  failAll(message: string): void {
    this.outbox = [];
    for (const id of [...this.pending.keys()]) this.fail(id, message);
  }

  private fail(id: number, message: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    p.reject(new SendError(p.written ? SendFailure.Unknown : SendFailure.NotSent, message));
  }
}
