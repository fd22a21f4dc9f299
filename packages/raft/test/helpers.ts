/** Small builders shared by the Raft core tests. */

import {
  EntryType,
  MemoryStorage,
  type Message,
  message,
  type PeerId,
  type RaftConfig,
  RawNode,
  SeededRandom,
} from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';

const enc = new TextEncoder();

/** A storage whose log holds one entry per term in `terms` (index i+1 has term terms[i]). */
export function presetStorage(
  voters: PeerId[],
  terms: number[],
  hardState: { term: number; vote?: PeerId; commit?: number },
): MemoryStorage {
  const s = MemoryStorage.withVoters(voters);
  s.append(
    terms.map((term, i) => ({
      term,
      index: i + 1,
      type: EntryType.Normal,
      data: enc.encode(`t${term}i${i + 1}`),
    })),
  );
  s.setHardState({
    term: hardState.term,
    vote: hardState.vote ?? 0,
    commit: hardState.commit ?? 0,
  });
  return s;
}

/** A cluster whose peers start from the given logs (terms per index) and hard-state terms. */
export function clusterWithLogs(
  logs: Record<PeerId, { terms: number[]; term: number; commit?: number }>,
  config: Partial<RaftConfig> = {},
): TestCluster {
  const ids = Object.keys(logs).map(Number);
  const c = new TestCluster({ voters: ids, config });
  for (const id of ids) {
    const l = logs[id]!;
    c.addPeer(id, presetStorage(ids, l.terms, { term: l.term, commit: l.commit ?? 0 }));
  }
  return c;
}

/** Terms of every entry in a peer's log, for comparing logs. */
export function logTerms(c: TestCluster, id: PeerId): number[] {
  return c
    .node(id)
    .raft.log.allEntries()
    .map((e) => e.term);
}

/** Ticks every live peer until `done` holds; fails after `maxTicks`. */
export function tickUntil(
  c: TestCluster,
  ids: PeerId[],
  done: () => boolean,
  maxTicks = 500,
): number {
  for (let t = 1; t <= maxTicks; t++) {
    for (const id of ids) c.node(id).tick();
    c.stabilize();
    if (done()) return t;
  }
  throw new Error(`condition not reached within ${maxTicks} ticks`);
}

/** A lone RawNode on MemoryStorage (no network): tests step messages into it by hand. */
export function newPeer(
  id: PeerId,
  voters: PeerId[],
  options: {
    learners?: PeerId[];
    storage?: MemoryStorage;
    config?: Partial<RaftConfig>;
    seed?: number;
  } = {},
): { node: RawNode; storage: MemoryStorage } {
  const storage = options.storage ?? MemoryStorage.withVoters(voters, options.learners ?? []);
  const node = new RawNode({
    id,
    storage,
    random: new SeededRandom(options.seed ?? id),
    electionTicks: 10,
    heartbeatTicks: 1,
    ...options.config,
  });
  return { node, storage };
}

/**
 * Acts on every pending Ready like a synchronous host (persist, apply, advance) and returns
 * the messages it would send, in order.
 */
export function drain(node: RawNode, storage: MemoryStorage): Message[] {
  const out: Message[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    if (rd.snapshot) storage.applySnapshot(rd.snapshot);
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    out.push(...rd.messages);
    node.persisted(rd.number);
    out.push(...rd.messagesAfterPersist);
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last) node.applied(last.index);
  }
  return out;
}

/** Builds a message with defaults for the fields a test does not care about. */
export function msg(m: Partial<Message> & Pick<Message, 'type'>): Message {
  return message(m);
}
