/**
 * Who serves: this member serves the PD while it leads the PD region's Raft group, has
 * applied an entry of its own term, has loaded the metadata (PlacementDriver.becomeLeader),
 * and holds a leader lease. It stops at once when any of that ends (resign()).
 *
 * The lease. Check-quorum alone does not keep a deposed leader from serving next to a new
 * one: it notices only at its next check, up to two election timeouts after it lost touch,
 * while a new leader can be elected after one. So the lease is renewed by a ReadIndex round
 * (a heartbeat with a fresh context, Raft thesis §6.4) started at t0: once a quorum has
 * answered, each of those followers heard from us after t0, and none of them will vote for
 * anyone, or campaign, until it has counted electionTicks ticks without us. Any new leader
 * needs one of their votes, so none can exist before t0 + (electionTicks - 1) ticks by that
 * follower's clock (its first tick may come at once). The lease ends there, shortened by
 * CLOCK_RATE_BOUND for clocks that run at different speeds. A member that restarts has
 * forgotten whom it heard from, so the server keeps it silent for one lease first.
 *
 * Assumption: clock rates (not clock values) differ by less than CLOCK_RATE_BOUND between
 * members. Quartz clocks differ by parts per million and NTP slews by at most 500 ppm.
 *
 * This is an environment adapter: it reads the monotonic clock it is given.
 */

import { Role } from '@atoll/raft';
import type { RequestRoute, Store } from '@atoll/store';
import type { PdLogger } from '../logger.js';
import type { PlacementDriver } from '../placement-driver.js';
import { PD_REGION_ID, type RegionMetaStorage } from './region-meta-storage.js';

/**
 * Followers' clocks may run up to 10 % faster than the leader's. Far beyond real drift
 * (ppm), so the lease stays safe on badly disciplined clocks; it costs 10 % of the lease.
 */
export const CLOCK_RATE_BOUND = 0.1;

/** Store ticks to wait before trying to load again after becomeLeader() failed: 1 s at 50 ms. */
const LOAD_RETRY_TICKS = 20;

/** The lease, in ms, that a ReadIndex round grants for a Raft group with these settings. */
export function leaseMs(electionTicks: number, tickMs: number): number {
  return ((electionTicks - 1) * tickMs) / (1 + CLOCK_RATE_BOUND);
}

/** What the leadership watcher works with. */
export interface LeadershipDeps {
  readonly store: Store;
  readonly pd: PlacementDriver;
  readonly storage: RegionMetaStorage;
  readonly logger: PdLogger;
  /** Milliseconds on a monotonic clock (performance.now). */
  readonly monotonicNow: () => number;
  readonly leaseMs: number;
  /** Called when this member stops serving (ends the heartbeat streams). */
  readonly onStepDown: () => void;
}

type State = 'follower' | 'starting' | 'serving';

/** Drives becomeLeader()/resign() from the PD region's Raft role, and holds the lease. */
export class PdLeadership {
  private state: State = 'follower';
  /** The Raft term this member leads in; 0 while it does not. */
  private term = 0;
  /** Bumped at every step-down: work started before it must not take effect. */
  private generation = 0;
  /** Monotonic ms until which the lease holds. Invariant: 0 unless starting or serving. */
  private leaseUntil = 0;
  private renewing = false;
  private retryAtTick = 0;
  private stopped = false;

  constructor(private readonly deps: LeadershipDeps) {}

  /** Looks at the Raft role and acts; call on every store tick. */
  check(): void {
    const { leading, term } = this.raftState();
    if (this.state !== 'follower' && (!leading || term !== this.term || this.stopped)) {
      this.stepDown('the PD region lost its leader here');
    } else if (this.state === 'serving' && !this.deps.pd.isServing) {
      this.stepDown('the PD core stopped serving (a metadata write failed); reloading');
    }
    const tick = this.deps.store.tick;
    if (this.state === 'follower' && leading && !this.stopped && tick >= this.retryAtTick) {
      void this.start(term);
    }
    if (this.state !== 'follower') this.renewLease();
  }

  /** Whether this member serves PD requests right now. */
  isServing(): boolean {
    if (this.state !== 'serving' || !this.deps.pd.isServing) return false;
    if (this.deps.monotonicNow() >= this.leaseUntil) return false;
    const { leading, term } = this.raftState();
    return leading && term === this.term;
  }

  /** The lease's end (monotonic ms); an answer computed before it is safe to send until then. */
  get leaseEnd(): number {
    return this.leaseUntil;
  }

  /** Whether a lease that ended at `leaseEnd` still holds and this member still serves. */
  stillServing(leaseEnd: number): boolean {
    return this.isServing() && this.deps.monotonicNow() < leaseEnd;
  }

  /** Member id of the PD region's Raft leader as this member believes, or 0. */
  leaderMemberId(): number {
    return this.deps.store.peers.get(PD_REGION_ID)?.leaderStoreId() ?? 0;
  }

  /** Raft term and role of this member's PD peer, for status pages. */
  describe(): { state: State; raftTerm: number; raftRole: string; leaseLeftMs: number } {
    const raft = this.deps.store.peers.get(PD_REGION_ID)?.node.raft;
    return {
      state: this.state,
      raftTerm: raft?.term ?? 0,
      raftRole: raft?.role ?? 'none',
      leaseLeftMs: Math.max(0, Math.round(this.leaseUntil - this.deps.monotonicNow())),
    };
  }

  /** Stops serving for good (the server is stopping); resolves once the core resigned. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.state !== 'follower') this.stepDown('the server is stopping');
    await this.deps.pd.resign();
  }

  private raftState(): { leading: boolean; term: number } {
    const raft = this.deps.store.peers.get(PD_REGION_ID)?.node.raft;
    if (!raft) return { leading: false, term: 0 };
    // A leader handing over (graceful stop) must not serve: the transfer target campaigns
    // at once, without waiting for any lease to run out (Raft thesis §3.10).
    const leading = raft.role === Role.Leader && raft.leadTransferee === 0;
    return { leading, term: raft.term };
  }

  private route(): RequestRoute | undefined {
    const peer = this.deps.store.peers.get(PD_REGION_ID);
    return peer && { regionId: PD_REGION_ID, epoch: peer.region.epoch };
  }

  private async start(term: number): Promise<void> {
    const generation = ++this.generation;
    this.state = 'starting';
    this.term = term;
    this.deps.storage.openTerm(term);
    this.deps.logger.info({ term }, 'leading the PD region: loading the metadata');
    const route = this.route();
    // An entry of our own term, applied here: everything committed before it is applied too.
    const outcome = route
      ? await this.deps.store.proposeWrites(route, [])
      : ({ ok: false, error: new Error('no PD region') } as const);
    if (generation !== this.generation) return;
    if (!outcome.ok) {
      const why = 'regionError' in outcome ? outcome.regionError.message : outcome.error.message;
      this.stepDown(`the first entry of term ${term} failed: ${why}`);
      return;
    }
    try {
      await this.deps.pd.becomeLeader();
    } catch (e) {
      if (generation !== this.generation) return;
      this.retryAtTick = this.deps.store.tick + LOAD_RETRY_TICKS;
      this.stepDown(`loading the metadata failed: ${(e as Error).message}`);
      return;
    }
    if (generation !== this.generation) return;
    this.state = 'serving';
    this.deps.logger.info({ term }, 'PD leader: serving');
  }

  private stepDown(why: string): void {
    const was = this.state;
    this.state = 'follower';
    this.term = 0;
    this.generation++;
    this.leaseUntil = 0;
    // Resign first: the core then takes the rejected writes as the end of its term, not as
    // a storage failure.
    void this.deps.pd.resign();
    this.deps.storage.closeTerm(why);
    if (was === 'serving') this.deps.onStepDown();
    this.deps.logger.info({ was }, `PD leader term ends: ${why}`);
  }

  private renewLease(): void {
    const route = this.route();
    if (this.renewing || !route) return;
    this.renewing = true;
    const generation = this.generation;
    const t0 = this.deps.monotonicNow();
    void this.deps.store
      .readLinearizable(route, () => true)
      .then(
        (result) => {
          this.renewing = false;
          if (result === true && generation === this.generation) {
            this.leaseUntil = Math.max(this.leaseUntil, t0 + this.deps.leaseMs);
          }
        },
        () => {
          this.renewing = false;
        },
      );
  }
}
