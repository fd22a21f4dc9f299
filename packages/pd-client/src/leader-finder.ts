/**
 * Finding the PD leader: every known member (the configured endpoints and the members they
 * reported) is asked GetMembers at once; a member that names itself leader wins, otherwise
 * the leader most members name. Concurrent searches share one. The cluster id is learned
 * from the first answer and checked on every later one.
 *
 * Not here: following NOT_LEADER redirects during calls (pd-client.ts calls redirect()).
 */

import type { atoll } from '@atoll/proto';
import { Backoff, type Sleeper } from './backoff.js';
import type { Connections } from './connections.js';
import { closedError, clusterMismatch, fromWireError, unavailable } from './errors.js';
import { PD_DISCOVERY_TIMEOUT_MS } from './limits.js';

/** Where the leader is. */
export interface LeaderInfo {
  readonly address: string;
  readonly memberId: number;
}

/** What the finder needs from its client. */
export interface FinderContext {
  readonly connections: Connections;
  readonly sleeper: Sleeper;
  readonly isClosed: () => boolean;
  readonly now: () => number;
}

interface Answer {
  readonly address: string;
  readonly response: atoll.pd.IGetMembersResponse;
}

/** The leader search. */
export class LeaderFinder {
  /** The leader as last learned; undefined while unknown. */
  leader: LeaderInfo | undefined;
  /** 0 until the first answer. Invariant: never changes once set. */
  clusterId: number;
  /** Members as last reported. */
  members: atoll.pd.IMember[] = [];
  private search: Promise<LeaderInfo> | undefined;
  /** The latest deadline of anyone waiting for the current search. */
  private searchDeadline = 0;
  private lastFailure: unknown;

  constructor(
    private readonly ctx: FinderContext,
    private readonly endpoints: readonly string[],
    clusterId: number,
  ) {
    this.clusterId = clusterId;
  }

  /** The leader, searching for it if unknown; rejects PD_CLIENT_ERR_UNAVAILABLE at `deadline`. */
  get(deadline: number): Promise<LeaderInfo> {
    if (this.leader) return Promise.resolve(this.leader);
    return this.find(deadline);
  }

  /** Searches for the leader (joining a search under way). */
  find(deadline: number): Promise<LeaderInfo> {
    this.searchDeadline = Math.max(this.searchDeadline, deadline);
    if (!this.search) {
      this.search = this.searchLoop().finally(() => {
        this.search = undefined;
        this.searchDeadline = 0;
      });
      // Waiters hear of a failure through withDeadline; when none is left (all gave up, or
      // the only one's deadline had already passed) the rejection must not go unhandled.
      this.search.catch(() => {});
    }
    return withDeadline(this.search, deadline, this.ctx, () =>
      unavailable('no PD leader found in time', this.lastFailure),
    );
  }

  /** A call at `leader` failed at the transport level: forget it. */
  invalidate(leader: LeaderInfo): void {
    if (this.leader?.address === leader.address) this.leader = undefined;
  }

  /**
   * A PD answered NOT_LEADER naming `member`: use it. Returns false (and forgets the leader)
   * if the hint is missing or names `from` itself.
   */
  redirect(member: atoll.pd.IMember | null | undefined, from: string): boolean {
    const address = member?.clientAddress;
    if (!address || address === from) {
      if (this.leader?.address === from) this.leader = undefined;
      return false;
    }
    this.leader = { address, memberId: Number(member.id ?? 0) };
    return true;
  }

  /** Checks a response header's cluster id (0 means "not said"). */
  checkCluster(address: string, header: atoll.pd.IResponseHeader | null | undefined): void {
    const got = Number(header?.clusterId ?? 0);
    if (got === 0) return;
    if (this.clusterId === 0) this.clusterId = got;
    else if (got !== this.clusterId) throw clusterMismatch(address, this.clusterId, got);
  }

  private async searchLoop(): Promise<LeaderInfo> {
    const backoff = new Backoff();
    for (;;) {
      if (this.ctx.isClosed()) throw closedError();
      const found = await this.askAll();
      if (found) {
        this.leader = found;
        return found;
      }
      const left = this.searchDeadline - this.ctx.now();
      if (left <= 0) throw unavailable('no PD leader found', this.lastFailure);
      await this.ctx.sleeper.sleep(Math.min(backoff.next(), left));
    }
  }

  private candidates(): string[] {
    const out = new Set(this.endpoints);
    for (const m of this.members) if (m.clientAddress) out.add(m.clientAddress);
    return [...out];
  }

  /** Asks every candidate; resolves with the leader as soon as one is certain. */
  private askAll(): Promise<LeaderInfo | undefined> {
    const candidates = this.candidates();
    const answers: Answer[] = [];
    return new Promise((resolve, reject) => {
      let settled = 0;
      let done = false;
      const finish = () => {
        if (done || settled < candidates.length) return;
        done = true;
        resolve(this.pickLeader(answers));
      };
      for (const address of candidates) {
        const deadline = this.ctx.now() + PD_DISCOVERY_TIMEOUT_MS;
        this.ctx.connections
          .unary(address, 'getMembers', { header: { clusterId: this.clusterId } }, deadline)
          .then(
            (response) => {
              if (done) return;
              this.checkCluster(address, response.header);
              const error = response.header?.error;
              if (error?.code) throw fromWireError(error);
              if (response.members?.length) this.members = response.members;
              answers.push({ address, response });
              const leader = response.leader;
              // The leader itself knows best: take its word at once.
              if (leader?.clientAddress && leader.clientAddress === address) {
                done = true;
                resolve({ address, memberId: Number(leader.id ?? 0) });
              }
            },
            (e: unknown) => {
              this.lastFailure = e;
            },
          )
          .catch((e: unknown) => {
            if (done) return;
            done = true;
            reject(e);
          })
          .finally(() => {
            settled++;
            finish();
          });
      }
    });
  }

  /** The leader most answers name, if any. */
  private pickLeader(answers: readonly Answer[]): LeaderInfo | undefined {
    const votes = new Map<string, { info: LeaderInfo; count: number }>();
    for (const { response } of answers) {
      const address = response.leader?.clientAddress;
      if (!address) continue;
      const v = votes.get(address) ?? {
        info: { address, memberId: Number(response.leader?.id ?? 0) },
        count: 0,
      };
      v.count++;
      votes.set(address, v);
    }
    let best: { info: LeaderInfo; count: number } | undefined;
    for (const v of votes.values()) if (!best || v.count > best.count) best = v;
    return best?.info;
  }
}

/** `promise`, or `onTimeout()`'s error once `deadline` passes (the timer is cleared either way). */
export function withDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  ctx: Pick<FinderContext, 'now'>,
  onTimeout: () => Error,
): Promise<T> {
  const left = deadline - ctx.now();
  if (left <= 0) return Promise.reject(onTimeout());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), left);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
