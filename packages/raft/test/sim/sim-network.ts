/**
 * The simulated network between the peers of one run: it drops, duplicates, delays and
 * reorders messages, and it can be partitioned (symmetric groups) or have single directed
 * links cut. Every decision comes from the run's seeded generator.
 *
 * It is not a transport: it knows nothing about peers being up or down. The simulator asks
 * it for the messages due at a step and decides what to do with each.
 */

import { type Message, MessageType, type PeerId, type SeededRandom } from '../../src/index.js';
import { type FaultProfile, NETWORK_IN_FLIGHT_MAX } from './sim-config.js';

/** A message on the wire. */
export interface InFlight {
  readonly message: Message;
  /** The step at which it arrives. */
  readonly deliverAt: number;
  /** Orders messages due at the same step: random when reordering, else send order. */
  readonly order: number;
  /** The sender's incarnation, so host reports (e.g. snapshot status) reach the right one. */
  readonly senderIncarnation: number;
}

/** Why a message did not arrive. */
export type DropReason = 'lost' | 'partition' | 'link-cut' | 'congested';

export class SimNetwork {
  private inFlight: InFlight[] = [];
  private sequence = 0;
  /** Partition group per peer; peers in different groups cannot talk. Empty: no partition. */
  private groups = new Map<PeerId, number>();
  private partitionEndsAt = 0;
  /** Cut directed links "from>to", with the step at which each heals. */
  private cuts = new Map<string, number>();

  constructor(
    private readonly rng: SeededRandom,
    private faults: FaultProfile,
  ) {}

  get size(): number {
    return this.inFlight.length;
  }

  setFaults(faults: FaultProfile): void {
    this.faults = faults;
  }

  /**
   * Puts a message on the wire at step `now`. Returns the copies sent (0 if lost, 2 if
   * duplicated) so the caller can log them.
   */
  send(m: Message, now: number, senderIncarnation: number): InFlight[] | DropReason {
    if (this.inFlight.length >= NETWORK_IN_FLIGHT_MAX) return 'congested';
    if (this.faults.dropRate > 0 && this.rng.chance(this.faults.dropRate)) return 'lost';
    const copies = this.faults.duplicateRate > 0 && this.rng.chance(this.faults.duplicateRate);
    const out: InFlight[] = [];
    for (let i = 0; i < (copies ? 2 : 1); i++) {
      const f: InFlight = {
        message: m,
        deliverAt: now + 1 + this.delay(),
        order: this.faults.maxDelaySteps > 0 ? this.rng.nextUint32() : this.sequence,
        senderIncarnation,
      };
      this.sequence++;
      this.inFlight.push(f);
      out.push(f);
    }
    return out;
  }

  private delay(): number {
    const f = this.faults;
    if (f.longDelayRate > 0 && this.rng.chance(f.longDelayRate)) {
      return this.rng.nextInt(f.longDelayMaxSteps + 1);
    }
    return f.maxDelaySteps > 0 ? this.rng.nextInt(f.maxDelaySteps + 1) : 0;
  }

  /** Removes and returns the messages due at `now`, in delivery order. */
  takeDue(now: number): InFlight[] {
    const due: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.inFlight) (f.deliverAt <= now ? due : rest).push(f);
    this.inFlight = rest;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.order - b.order);
    return due;
  }

  /** Puts a message back to arrive at a later step (its receiver is paused). */
  postpone(f: InFlight, deliverAt: number): void {
    this.inFlight.push({ ...f, deliverAt });
  }

  /** Whether `from` can reach `to` at the moment; undefined if so, else why not. */
  blocked(from: PeerId, to: PeerId): DropReason | undefined {
    const a = this.groups.get(from);
    const b = this.groups.get(to);
    if (a !== undefined && b !== undefined && a !== b) return 'partition';
    if (this.cuts.has(`${from}>${to}`)) return 'link-cut';
    return undefined;
  }

  /** Partitions the peers into `sides` (which cannot talk to each other) until `until`. */
  partition(sides: readonly (readonly PeerId[])[], until: number): void {
    this.groups.clear();
    sides.forEach((side, g) => {
      for (const id of side) this.groups.set(id, g);
    });
    this.partitionEndsAt = until;
  }

  get partitioned(): boolean {
    return this.groups.size > 0;
  }

  cutLink(from: PeerId, to: PeerId, until: number): void {
    this.cuts.set(`${from}>${to}`, until);
  }

  /** Ends partitions and link cuts whose time is up; returns what healed, for the log. */
  expire(now: number): string[] {
    const healed: string[] = [];
    if (this.groups.size > 0 && now >= this.partitionEndsAt) {
      this.groups.clear();
      healed.push('partition');
    }
    for (const [link, until] of this.cuts) {
      if (now >= until) {
        this.cuts.delete(link);
        healed.push(`link ${link}`);
      }
    }
    return healed;
  }

  /** Heals every partition and cut link (messages already on the wire stay there). */
  heal(): void {
    this.groups.clear();
    this.cuts.clear();
  }
}

/** A one-line description of a message for the event log. */
export function describeMessage(m: Message): string {
  let s = `${MessageType[m.type]} ${m.from}->${m.to} t${m.term}`;
  if (m.index || m.logTerm) s += ` i${m.index}/t${m.logTerm}`;
  if (m.entries.length > 0) {
    const first = m.entries[0]!;
    const last = m.entries[m.entries.length - 1]!;
    s += ` e[${first.index}..${last.index}]`;
  }
  if (m.commit) s += ` c${m.commit}`;
  if (m.reject) s += ` reject(hint ${m.rejectHint})`;
  if (m.snapshot) s += ` snap@${m.snapshot.metadata.index}/t${m.snapshot.metadata.term}`;
  return s;
}
