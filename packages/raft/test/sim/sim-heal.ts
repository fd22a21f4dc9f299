/**
 * The heal phase's liveness check: after the faults stop, exactly one leader, a fresh write
 * acknowledged, and every peer applied up to the leader's last index, including every write
 * ever acknowledged. Also the client that makes the fresh write (retried until it lands)
 * and leaves a joint config that waits for an explicit leave.
 *
 * It checks nothing about safety; the checkers keep running through the heal phase.
 */

import { type RawNode, Role } from '../../src/index.js';
import type { Checkers } from './sim-checkers.js';
import type { SimHost } from './sim-host.js';
import type { Workload } from './sim-workload.js';

/** Steps before an unacknowledged fresh write is proposed again (its leader may have moved). */
const FRESH_WRITE_RETRY_STEPS = 20;
/** Steps between attempts to leave a joint config that waits for an explicit leave. */
const LEAVE_JOINT_RETRY_STEPS = 5;

export class HealPhase {
  private fresh: { ids: number[]; at: number } | undefined = undefined;

  constructor(
    private readonly hosts: () => SimHost[],
    private readonly workload: Workload,
    private readonly checkers: Checkers,
  ) {}

  private leaders(): SimHost[] {
    return this.hosts().filter((h) => h.role === Role.Leader);
  }

  /** The heal phase's client and operator, once per step. */
  step(now: number): void {
    const leaders = this.leaders();
    if (leaders.length !== 1) return;
    const leader = leaders[0]!;
    if (now % LEAVE_JOINT_RETRY_STEPS === 0) this.workload.leaveJointIfExplicit(leader);
    const retry = this.fresh === undefined || now - this.fresh.at >= FRESH_WRITE_RETRY_STEPS;
    if (!this.freshAcknowledged() && retry) {
      const ids = this.workload.propose(leader);
      if (ids.length > 0) this.fresh = { ids, at: now };
    }
  }

  private freshAcknowledged(): boolean {
    const ids = this.fresh?.ids ?? [];
    return ids.length > 0 && ids.every((id) => this.checkers.acks.some((a) => a.writeId === id));
  }

  /** Undefined once the group agrees; otherwise what is still missing. */
  missing(): string | undefined {
    const leaders = this.leaders();
    if (leaders.length !== 1) return `${leaders.length} leaders`;
    if (!this.freshAcknowledged()) return 'the fresh write is not acknowledged';
    const hosts = this.hosts();
    const applied = hosts[0]!.stateMachine.applied;
    for (const h of hosts) {
      if (h.stateMachine.applied !== applied) return 'applied indexes differ';
      const missing = this.checkers.allAcksApplied(h);
      if (missing) return missing;
    }
    if (applied < leaders[0]!.node!.raft.log.lastIndex()) return 'the leader has unapplied entries';
    return undefined;
  }
}

/** Every peer's state, and the leader's view of its followers, for failure reports. */
export function describePeers(hosts: readonly SimHost[]): string {
  return hosts
    .map((h) => {
      const n = h.node;
      if (!n) return `  ${h.id}: down`;
      const s = n.status();
      const cs = s.confState;
      return (
        `  ${h.id}: ${s.softState.role} t${s.hardState.term} leader=${s.softState.leaderId} ` +
        `${n.raft.log.describe()} sm.applied=${h.stateMachine.applied} ` +
        `voters=[${cs.voters}] outgoing=[${cs.votersOutgoing}] learners=[${cs.learners}]` +
        progressOf(n)
      );
    })
    .join('\n');
}

function progressOf(node: RawNode): string {
  if (node.raft.role !== Role.Leader) return '';
  const lines: string[] = [];
  node.raft.trk.visit((id, pr) => lines.push(`\n      ${id}: ${pr.describe()}`));
  return lines.join('');
}
