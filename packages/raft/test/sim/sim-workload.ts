/**
 * What clients and operators do to the group during a run: writes (proposals with unique
 * payloads), ReadIndex reads, membership changes (simple and joint, voters and learners),
 * leadership transfers, and log compaction on the peers.
 *
 * It records what the checkers need: who proposed each write (to recognise its
 * acknowledgement) and how many writes were acknowledged when each read was issued. It does
 * not check anything itself.
 */

import {
  type ConfChange,
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  type ConfState,
  describeConfChange,
  isRaftError,
  LEAVE_JOINT,
  type PeerId,
  RaftErrorCode,
  Role,
  type SeededRandom,
} from '../../src/index.js';
import {
  PEERS_ABOVE_INITIAL_MAX,
  VOTERS_ABOVE_INITIAL_MAX,
  VOTERS_BELOW_INITIAL_MAX,
  type WorkloadProfile,
} from './sim-config.js';
import type { SimHost } from './sim-host.js';
import { readContext, writePayload } from './sim-state-machine.js';

/** The part of the simulator the workload acts on. */
export interface WorkloadTarget {
  now(): number;
  /** Running, unpaused hosts, in id order. */
  available(): SimHost[];
  log(line: string): void;
  ackCount(): number;
}

interface Proposal {
  readonly peer: PeerId;
  readonly incarnation: number;
}

interface Read {
  readonly peer: PeerId;
  readonly ackCount: number;
}

/**
 * Clients keep at most this many writes unacknowledged (backpressure, as real clients have):
 * without it a leader whose followers lag (tiny messages, a window of one, lossy links) takes
 * writes faster than it can replicate them, and the heal phase inherits an unbounded backlog.
 */
const CLIENT_WRITES_PENDING_MAX = 48;
/** A client gives up on a write after this many steps (its proposal may have been lost). */
const CLIENT_WRITE_TIMEOUT_STEPS = 30;
/** Compaction keeps up to this many applied entries in the log, so some catch-ups use it. */
const COMPACT_KEEP_MAX = 4;
/** Writes per proposal at most: proposeMany batches them into one append. */
const BATCH_WRITES_MAX = 3;

export class Workload {
  private nextWriteId = 1;
  private nextReadId = 1;
  private readonly proposals = new Map<number, Proposal>();
  private readonly reads = new Map<number, Read>();
  /** Writes proposed and not yet acknowledged or given up on: id -> step proposed. */
  private readonly pending = new Map<number, number>();
  /** Ids of peers added by membership changes start after the initial ones. */
  nextPeerId: PeerId;
  proposalsMade = 0;
  confChangesProposed = 0;

  constructor(
    private readonly rng: SeededRandom,
    private readonly profile: WorkloadProfile,
    private readonly target: WorkloadTarget,
    private readonly initialSize: number,
  ) {
    this.nextPeerId = initialSize + 1;
  }

  /** One step of the fault phase's client and operator activity. */
  step(): void {
    const hosts = this.target.available();
    if (hosts.length === 0) return;
    const p = this.profile;
    if (this.rng.chance(p.proposeRate) && this.mayWrite()) this.propose(this.pickTarget(hosts));
    if (p.readRate > 0 && this.rng.chance(p.readRate)) this.read(this.pickTarget(hosts));
    if (p.confChangeRate > 0 && this.rng.chance(p.confChangeRate)) this.changeMembership(hosts);
    if (p.transferRate > 0 && this.rng.chance(p.transferRate)) this.transfer(hosts);
    if (p.compactRate > 0) {
      for (const h of hosts) {
        if (this.rng.chance(p.compactRate)) h.compact(this.rng.nextInt(COMPACT_KEEP_MAX + 1));
      }
    }
  }

  /** Whether the clients may send another write (see CLIENT_WRITES_PENDING_MAX). */
  private mayWrite(): boolean {
    const now = this.target.now();
    for (const [id, at] of this.pending) {
      if (now - at >= CLIENT_WRITE_TIMEOUT_STEPS) this.pending.delete(id);
    }
    return this.pending.size < CLIENT_WRITES_PENDING_MAX;
  }

  /** The client of `writeId` got its acknowledgement. */
  acknowledged(writeId: number): void {
    this.pending.delete(writeId);
  }

  /** Mostly a peer that believes it leads, sometimes any peer (which forwards or refuses). */
  private pickTarget(hosts: SimHost[]): SimHost {
    const leaders = hosts.filter((h) => h.role === Role.Leader);
    if (leaders.length > 0 && this.rng.chance(0.75)) return this.pickAny(leaders);
    return this.pickAny(hosts);
  }

  private pickAny<T>(items: readonly T[]): T {
    return items[this.rng.nextInt(items.length)]!;
  }

  /** Proposes one or a few new writes at `host`. Returns their ids. */
  propose(host: SimHost): number[] {
    const count = 1 + this.rng.nextInt(BATCH_WRITES_MAX);
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push(this.nextWriteId++);
    const refused = this.attempt(host, `propose w${ids.join(',w')}`, (node) =>
      node.proposeMany(ids.map(writePayload)),
    );
    if (!refused) {
      this.proposalsMade += ids.length;
      for (const id of ids) {
        this.proposals.set(id, { peer: host.id, incarnation: host.incarnation });
        this.pending.set(id, this.target.now());
      }
    }
    return refused ? [] : ids;
  }

  /** Whether applying `writeId` on `host` acknowledges it to the client that proposed it. */
  isProposer(host: SimHost, writeId: number): boolean {
    const p = this.proposals.get(writeId);
    return p !== undefined && p.peer === host.id && p.incarnation === host.incarnation;
  }

  private read(host: SimHost): void {
    const id = this.nextReadId++;
    const refused = this.attempt(host, `read r${id}`, (node) => node.readIndex(readContext(id)));
    if (!refused) this.reads.set(id, { peer: host.id, ackCount: this.target.ackCount() });
  }

  /** The acknowledgements that preceded read `id`, or undefined for an unknown read. */
  readIssued(id: number): Read | undefined {
    return this.reads.get(id);
  }

  private transfer(hosts: SimHost[]): void {
    const host = this.pickTarget(hosts);
    const voters = host.stateMachine.confState.voters;
    if (voters.length === 0) return;
    const to = this.pickAny(voters);
    this.attempt(host, `transfer leadership to ${to}`, (node) => node.transferLeader(to));
  }

  private changeMembership(hosts: SimHost[]): void {
    const leaders = hosts.filter((h) => h.role === Role.Leader);
    if (leaders.length === 0) return;
    const host = this.pickAny(leaders);
    const cs = host.node!.status().confState;
    const cc = this.chooseConfChange(cs, host.id);
    if (!cc) return;
    // Sometimes through a follower, which forwards it.
    const via = this.rng.chance(0.2) ? this.pickAny(hosts) : host;
    const refused = this.attempt(via, `propose ${describeConfChange(cc)}`, (node) =>
      node.proposeConfChange(cc),
    );
    if (!refused) this.confChangesProposed++;
  }

  /** Leaves a joint config that waits for an explicit leave (heal phase uses it too). */
  leaveJointIfExplicit(host: SimHost): void {
    const cs = host.node!.status().confState;
    if (cs.votersOutgoing.length > 0 && !cs.autoLeave) {
      this.attempt(host, 'propose leave-joint', (node) => node.proposeConfChange(LEAVE_JOINT));
    }
  }

  /**
   * A random valid-looking change within the size bounds; the core may still refuse it.
   * Like TiKV's operators it never removes or demotes the leader it goes through: a leader
   * that applies its own removal steps down, and with memberships taking effect when
   * applied, the remaining voters may never learn that the new one is committed (see
   * etcd-io/etcd#12359). Leadership moves first, by transfer.
   */
  chooseConfChange(cs: ConfState, leader: PeerId): ConfChange | undefined {
    if (cs.votersOutgoing.length > 0) return cs.autoLeave ? undefined : LEAVE_JOINT;
    const n = this.initialSize;
    const options: (() => ConfChangeSingle | undefined)[] = [];
    const voters = cs.voters.length;
    const peers = voters + cs.learners.length;
    if (voters < n + VOTERS_ABOVE_INITIAL_MAX && peers < n + PEERS_ABOVE_INITIAL_MAX) {
      options.push(() => ({ type: ConfChangeType.AddVoter, peerId: this.nextPeerId++ }));
      options.push(() => ({ type: ConfChangeType.AddLearner, peerId: this.nextPeerId++ }));
    }
    if (cs.learners.length > 0 && voters < n + VOTERS_ABOVE_INITIAL_MAX) {
      options.push(() => ({ type: ConfChangeType.AddVoter, peerId: this.pickAny(cs.learners) }));
    }
    const others = cs.voters.filter((id) => id !== leader);
    if (voters > n - VOTERS_BELOW_INITIAL_MAX && others.length > 0) {
      options.push(() => ({ type: ConfChangeType.RemovePeer, peerId: this.pickAny(others) }));
      options.push(() => ({ type: ConfChangeType.AddLearner, peerId: this.pickAny(others) }));
    }
    if (cs.learners.length > 0) {
      options.push(() => ({ type: ConfChangeType.RemovePeer, peerId: this.pickAny(cs.learners) }));
    }
    if (options.length === 0) return undefined;
    const changes: ConfChangeSingle[] = [this.pickAny(options)()!];
    // Two changes at once must go through a joint config.
    if (this.rng.chance(0.3)) {
      const second = this.pickAny(options)();
      if (second && second.peerId !== changes[0]!.peerId) changes.push(second);
    }
    const transition = this.pickAny([
      ConfChangeTransition.Auto,
      ConfChangeTransition.Auto,
      ConfChangeTransition.JointImplicit,
      ConfChangeTransition.JointExplicit,
    ]);
    return { transition, changes };
  }

  /** Runs one client call; returns true if the core refused it (a normal outcome). */
  private attempt(host: SimHost, what: string, fn: Parameters<SimHost['input']>[0]): boolean {
    this.target.log(`${host.id}: ${what}`);
    try {
      host.input(fn);
      return false;
    } catch (e) {
      if (!isRaftError(e, RaftErrorCode.ProposalDropped)) throw e;
      this.target.log(`${host.id}: refused (${e.details.reason})`);
      return true;
    }
  }
}
