/**
 * The replicated state machine of a simulated peer, and the payloads the workload writes.
 *
 * Its state is the set of write ids applied so far plus a hash chained over every applied
 * entry (index, term, type, data), so two peers that applied the same index hold the same
 * hash exactly when they applied the same entries. Applied index, membership and state are
 * one durable record, updated atomically per entry: that is how Atoll's storage layer commits
 * apply results and the applied index together (DESIGN.md, Storage). A crash therefore never
 * loses or repeats an application; the peer restarts at the recorded applied index.
 *
 * It is not a key-value store; the checkers only need membership of writes and equality.
 */

import {
  type ConfState,
  EMPTY_CONF_STATE,
  type Entry,
  EntryType,
  type Snapshot,
} from '../../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const WRITE_PREFIX = 'w:';
const READ_PREFIX = 'r:';

/** A workload write: its payload names a unique id. */
export function writePayload(id: number): Uint8Array {
  return encoder.encode(`${WRITE_PREFIX}${id}`);
}

/** The write id in an entry's payload, or undefined for other entries. */
export function writeIdOf(e: Entry): number | undefined {
  if (e.type !== EntryType.Normal || e.data.length <= WRITE_PREFIX.length) return undefined;
  const text = decoder.decode(e.data);
  return text.startsWith(WRITE_PREFIX) ? Number(text.slice(WRITE_PREFIX.length)) : undefined;
}

/** A read request's context: unique per request. */
export function readContext(id: number): Uint8Array {
  return encoder.encode(`${READ_PREFIX}${id}`);
}

export function readIdOf(context: Uint8Array): number | undefined {
  const text = decoder.decode(context);
  return text.startsWith(READ_PREFIX) ? Number(text.slice(READ_PREFIX.length)) : undefined;
}

/** FNV-1a, 32 bits: cheap, deterministic, good enough to tell states apart in a run. */
export function fnv1a(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

const FNV_OFFSET = 0x811c9dc5;

/** Mixes a non-negative integer (below 2^53) into an FNV-1a hash, 16 bits at a time. */
function mixNumber(hash: number, n: number): number {
  let h = hash;
  let rest = n;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (rest & 0xffff), 0x01000193) >>> 0;
    rest = Math.floor(rest / 0x10000);
  }
  return h;
}

/** The identity of an entry (term, type, payload) as one string, for log comparisons. */
export function entryFingerprint(e: Entry): string {
  return `${e.term}/${e.type}/${e.data.length}/${fnv1a(FNV_OFFSET, e.data).toString(16)}`;
}

/** The durable state machine of one peer. */
export class StateMachine {
  applied: number;
  confState: ConfState;
  hash: number;
  readonly writes: Set<number>;

  constructor(
    applied: number,
    confState: ConfState,
    hash = FNV_OFFSET,
    writes = new Set<number>(),
  ) {
    this.applied = applied;
    this.confState = confState;
    this.hash = hash;
    this.writes = writes;
  }

  /** An empty peer: no membership until a snapshot brings one (README rule 6). */
  static empty(): StateMachine {
    return new StateMachine(0, EMPTY_CONF_STATE);
  }

  /** The state a Ready's snapshot carries, at the snapshot's index. */
  static fromSnapshot(s: Snapshot): StateMachine {
    const { hash, writes } = JSON.parse(decoder.decode(s.data)) as {
      hash: number;
      writes: number[];
    };
    return new StateMachine(s.metadata.index, s.metadata.confState, hash, new Set(writes));
  }

  /** The snapshot payload of the current state (applied index and membership go in metadata). */
  encode(): Uint8Array {
    return encoder.encode(JSON.stringify({ hash: this.hash, writes: [...this.writes] }));
  }

  /**
   * Applies one entry (membership changes are applied to Raft by the host; here they only
   * enter the hash). Entries must come in order, each exactly once.
   */
  apply(e: Entry): void {
    if (e.index !== this.applied + 1) {
      throw new Error(`state machine at ${this.applied} was given entry ${e.index}`);
    }
    let h = mixNumber(this.hash, e.index);
    h = mixNumber(h, e.term);
    h = mixNumber(h, e.type);
    this.hash = fnv1a(h, e.data);
    const id = writeIdOf(e);
    if (id !== undefined) this.writes.add(id);
    this.applied = e.index;
  }
}
