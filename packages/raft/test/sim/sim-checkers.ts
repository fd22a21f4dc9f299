/**
 * Safety checkers of the simulator. They watch every peer as the run goes and throw
 * SimulationFailure at the first violation:
 *
 * - election safety: at most one leader per term (Raft §5.2);
 * - log safety: every peer's committed entries agree with one global committed log
 *   (Log Matching and State Machine Safety, §5.3-5.4), and a peer's committed index never
 *   moves back while it runs;
 * - durability: an acknowledged write stays at its index in every committed log; a vote or
 *   an append acknowledgement is sent only once what it promises is durable; a durable
 *   vote never changes within a term;
 * - state machines that applied the same index hold the same state;
 * - reads: a read served at a read state sees every write acknowledged before it was issued.
 *
 * Liveness (the heal phase) is checked by the simulator itself.
 */

import {
  type Entry,
  type HardState,
  type Message,
  MessageType,
  NONE,
  type PeerId,
  Role,
  type Snapshot,
} from '../../src/index.js';
import type { SimHost } from './sim-host.js';
import { entryFingerprint } from './sim-state-machine.js';

export class SimulationFailure extends Error {
  override readonly name = 'SimulationFailure';
}

function fail(message: string): never {
  throw new SimulationFailure(message);
}

/** A write the client was told is committed. */
export interface Ack {
  readonly writeId: number;
  readonly index: number;
  readonly fingerprint: string;
  readonly peer: PeerId;
  readonly step: number;
}

interface CommitWatch {
  incarnation: number;
  /** Highest index compared against the global committed log. */
  checked: number;
}

export class Checkers {
  private readonly leaderOfTerm = new Map<number, PeerId>();
  /** The one committed log every peer must agree with: index -> entry fingerprint. */
  private readonly committedLog = new Map<number, string>();
  private readonly stateAt = new Map<number, number>();
  /** Durable votes: "term/voter" -> candidate. */
  private readonly votes = new Map<string, PeerId>();
  private readonly durableTerms = new Map<PeerId, number>();
  private readonly watches = new Map<PeerId, CommitWatch>();
  readonly acks: Ack[] = [];
  private readonly ackedWrites = new Set<number>();
  private unverifiedAcks: Ack[] = [];

  /** Election safety, checked after every input of every peer. */
  observe(host: SimHost): void {
    const raft = host.node?.raft;
    if (!raft || raft.role !== Role.Leader) return;
    const other = this.leaderOfTerm.get(raft.term);
    if (other === undefined) this.leaderOfTerm.set(raft.term, host.id);
    else if (other !== host.id) fail(`two leaders in term ${raft.term}: ${other} and ${host.id}`);
  }

  /** A (re)starting peer must find the term (and so the vote) it last made durable. */
  restarted(host: SimHost): void {
    this.durableTermNeverFalls(host, host.storage.hardState.term);
  }

  private durableTermNeverFalls(host: SimHost, term: number): void {
    const before = this.durableTerms.get(host.id) ?? 0;
    if (term < before) fail(`peer ${host.id}'s durable term went back from ${before} to ${term}`);
    this.durableTerms.set(host.id, term);
  }

  leaderOf(term: number): PeerId | undefined {
    return this.leaderOfTerm.get(term);
  }

  hardStatePersisted(host: SimHost, hs: HardState): void {
    this.durableTermNeverFalls(host, hs.term);
    if (hs.vote === NONE) return;
    const key = `${hs.term}/${host.id}`;
    const before = this.votes.get(key);
    if (before === undefined) this.votes.set(key, hs.vote);
    else if (before !== hs.vote) {
      fail(`peer ${host.id} changed its durable vote in term ${hs.term}: ${before} -> ${hs.vote}`);
    }
  }

  /**
   * Persist before you promise: checked on every message as it leaves its host.
   * `durableLastIndex` is the durable log's end when the message's Ready was written, for
   * messages that waited for it (a later Ready may legitimately truncate the log again).
   */
  sent(host: SimHost, m: Message, durableLastIndex: number | undefined): void {
    if (m.type === MessageType.VoteResponse && !m.reject) {
      const vote = this.votes.get(`${m.term}/${host.id}`);
      if (vote !== m.to) {
        fail(
          `peer ${host.id} granted its vote in term ${m.term} to ${m.to} but its durable vote is ${vote}`,
        );
      }
    }
    if (m.type === MessageType.AppendResponse && !m.reject) {
      if (durableLastIndex === undefined) {
        fail(`peer ${host.id} acknowledged index ${m.index} before persisting anything`);
      }
      if (durableLastIndex < m.index) {
        fail(`peer ${host.id} acknowledged index ${m.index} with only ${durableLastIndex} durable`);
      }
    }
  }

  applied(host: SimHost, e: Entry): void {
    this.sameState(host, e.index, host.stateMachine.hash);
  }

  snapshotInstalled(host: SimHost, s: Snapshot): void {
    this.sameState(host, s.metadata.index, host.stateMachine.hash);
  }

  private sameState(host: SimHost, index: number, hash: number): void {
    const before = this.stateAt.get(index);
    if (before === undefined) this.stateAt.set(index, hash);
    else if (before !== hash) {
      fail(
        `peer ${host.id} has state ${hash.toString(16)} at ${index}, others ${before.toString(16)}`,
      );
    }
  }

  /** Records a write acknowledged to its client (applied where it was proposed). */
  ack(host: SimHost, writeId: number, e: Entry, step: number): void {
    if (this.ackedWrites.has(writeId)) return;
    const a: Ack = {
      writeId,
      index: e.index,
      fingerprint: entryFingerprint(e),
      peer: host.id,
      step,
    };
    this.ackedWrites.add(writeId);
    this.acks.push(a);
    this.unverifiedAcks.push(a);
  }

  /** A read that was issued after the first `ackCount` acknowledgements, served by `host`. */
  readServed(host: SimHost, readId: number, ackCount: number, index: number): void {
    for (let i = 0; i < ackCount; i++) {
      const a = this.acks[i]!;
      if (!host.stateMachine.writes.has(a.writeId)) {
        fail(
          `read ${readId} served by ${host.id} at read index ${index} (applied ` +
            `${host.stateMachine.applied}) misses write ${a.writeId}, acknowledged at index ` +
            `${a.index} before the read was issued`,
        );
      }
    }
  }

  /** Log safety over every running peer; called after every step. */
  afterStep(hosts: Iterable<SimHost>): void {
    for (const host of hosts) {
      if (host.node) this.checkCommitted(host);
    }
    if (this.unverifiedAcks.length > 0) {
      this.unverifiedAcks = this.unverifiedAcks.filter((a) => {
        const fp = this.committedLog.get(a.index);
        if (fp === undefined) return true;
        if (fp !== a.fingerprint) {
          fail(`acknowledged write ${a.writeId} at index ${a.index} is not in the committed log`);
        }
        return false;
      });
    }
  }

  private checkCommitted(host: SimHost): void {
    const log = host.node!.raft.log;
    let w = this.watches.get(host.id);
    if (!w || w.incarnation !== host.incarnation) {
      // A restarted peer: compare everything it still holds again.
      w = { incarnation: host.incarnation, checked: log.firstIndex() - 1 };
      this.watches.set(host.id, w);
    }
    if (log.committed < w.checked) {
      fail(`peer ${host.id}'s committed index went back from ${w.checked} to ${log.committed}`);
    }
    const from = Math.max(w.checked + 1, log.firstIndex());
    if (from <= log.committed) {
      const entries = log.slice(from, log.committed + 1, Number.POSITIVE_INFINITY);
      for (const e of entries) this.agree(host.id, e);
    }
    w.checked = log.committed;
  }

  private agree(peer: PeerId, e: Entry): void {
    const fp = entryFingerprint(e);
    const known = this.committedLog.get(e.index);
    if (known === undefined) this.committedLog.set(e.index, fp);
    else if (known !== fp) {
      fail(`peer ${peer} committed ${fp} at index ${e.index} where ${known} was committed`);
    }
  }

  /** Heal phase: every acknowledged write is applied on `host`. */
  allAcksApplied(host: SimHost): string | undefined {
    for (const a of this.acks) {
      if (!host.stateMachine.writes.has(a.writeId)) {
        return `peer ${host.id} (applied ${host.stateMachine.applied}) lacks acknowledged write ${a.writeId} at ${a.index}`;
      }
    }
    return undefined;
  }

  get leaderTerms(): number {
    return this.leaderOfTerm.size;
  }

  get committedLength(): number {
    return this.committedLog.size;
  }
}
