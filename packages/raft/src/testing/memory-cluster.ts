/**
 * An in-process cluster of Raft peers for tests, demos and benchmarks: peers on MemoryStorage, a message queue
 * between them that tests can filter (partitions, drops), and a host loop that follows
 * the RawNode contract exactly (persist, then send after-persist messages, then apply).
 */

import {
  type ConfChange,
  type ConfState,
  decodeConfChange,
  type Entry,
  EntryType,
  isRaftError,
  MemoryStorage,
  type Message,
  type MessageType,
  type PeerId,
  type RaftConfig,
  RaftErrorCode,
  RawNode,
  type ReadState,
  type Ready,
  Role,
  SeededRandom,
} from '../index.js';

export interface TestPeer {
  readonly id: PeerId;
  node: RawNode;
  storage: MemoryStorage;
  /** Every entry applied, in order (the "state machine"). */
  applied: Entry[];
  confState: ConfState | undefined;
  /** Readys whose persistence is being withheld (see holdPersistence). */
  held: Ready[];
  holdPersistence: boolean;
  /** Every read state the peer produced, in order (a host would serve those reads). */
  readStates: ReadState[];
}

export type MessageFilter = (m: Message) => boolean;

export interface ClusterOptions {
  voters: PeerId[];
  learners?: PeerId[];
  seed?: number;
  config?: Partial<RaftConfig>;
  /** Index of the bootstrap snapshot (see MemoryStorage.withVoters); 0 by default. */
  bootstrapIndex?: number;
  /** Keep every message in `trace` (default true; benchmarks turn it off). */
  trace?: boolean;
  /** Keep every applied entry in `applied` (default true; benchmarks turn it off). */
  keepApplied?: boolean;
}

export class TestCluster {
  readonly peers = new Map<PeerId, TestPeer>();
  /** Messages in flight, in send order. */
  queue: Message[] = [];
  /** Every message delivered or dropped, for scripted tests. */
  trace: Message[] = [];
  /** Observers for scripted tests: every Ready handled, every message delivered or dropped. */
  onReady: ((id: PeerId, rd: Ready) => void) | undefined = undefined;
  onDeliver: ((m: Message, dropped: boolean) => void) | undefined = undefined;
  private filters: MessageFilter[] = [];
  private rewrites: ((m: Message) => Message)[] = [];
  private readonly random: SeededRandom;
  private readonly options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.random = new SeededRandom(options.seed ?? 1);
    for (const id of [...options.voters, ...(options.learners ?? [])]) {
      this.addPeer(
        id,
        MemoryStorage.withVoters(
          options.voters,
          options.learners ?? [],
          options.bootstrapIndex ?? 0,
        ),
      );
    }
  }

  addPeer(id: PeerId, storage: MemoryStorage): TestPeer {
    const peer: TestPeer = {
      id,
      storage,
      node: this.newNode(id, storage, storage.latestSnapshot().metadata.index),
      applied: [],
      confState: undefined,
      held: [],
      holdPersistence: false,
      readStates: [],
    };
    this.peers.set(id, peer);
    storage.onSnapshotRequest = () => this.snapshotApplied(id);
    return peer;
  }

  private newNode(id: PeerId, storage: MemoryStorage, applied: number): RawNode {
    return new RawNode({
      id,
      storage,
      random: new SeededRandom(this.random.nextUint32()),
      electionTicks: 10,
      heartbeatTicks: 1,
      applied,
      ...this.options.config,
    });
  }

  /** A peer restarts from its durable state; what it had not persisted is lost. */
  restart(id: PeerId): void {
    const p = this.peer(id);
    p.held = [];
    p.holdPersistence = false;
    const lastApplied = p.applied[p.applied.length - 1]?.index ?? 0;
    p.node = this.newNode(
      id,
      p.storage,
      Math.max(lastApplied, p.storage.latestSnapshot().metadata.index),
    );
  }

  peer(id: PeerId): TestPeer {
    const p = this.peers.get(id);
    if (!p) throw new Error(`no peer ${id}`);
    return p;
  }

  node(id: PeerId): RawNode {
    return this.peer(id).node;
  }

  /** Drops messages for which `filter` returns true, until cleared. */
  addFilter(filter: MessageFilter): void {
    this.filters.push(filter);
  }

  /** Rewrites every delivered message (e.g. strips entries), until cleared. */
  addRewrite(rewrite: (m: Message) => Message): void {
    this.rewrites.push(rewrite);
  }

  /** Heals the network: removes every filter and rewrite. */
  clearFilters(): void {
    this.filters = [];
    this.rewrites = [];
  }

  /** Cuts every link between the two groups (both directions). */
  partition(a: PeerId[], b: PeerId[]): void {
    this.addFilter(
      (m) => (a.includes(m.from) && b.includes(m.to)) || (b.includes(m.from) && a.includes(m.to)),
    );
  }

  isolate(id: PeerId): void {
    this.addFilter((m) => m.from === id || m.to === id);
  }

  /** Runs the host loop of every peer once: persist, send, apply, advance. */
  processReadys(): boolean {
    let any = false;
    for (const p of this.peers.values()) {
      while (p.node.hasReady()) {
        any = true;
        this.handleReady(p, p.node.ready());
      }
    }
    return any;
  }

  private handleReady(p: TestPeer, rd: Ready): void {
    this.onReady?.(p.id, rd);
    // Safe to send before persisting.
    this.queue.push(...rd.messages);
    p.readStates.push(...rd.readStates);
    if (p.holdPersistence) {
      p.held.push(rd);
      return;
    }
    this.persistAndApply(p, rd);
  }

  /** Makes held Readys durable (in order) and acts on them. */
  releasePersistence(id: PeerId): void {
    const p = this.peer(id);
    p.holdPersistence = false;
    const held = p.held;
    p.held = [];
    for (const rd of held) this.persistAndApply(p, rd);
  }

  private persistAndApply(p: TestPeer, rd: Ready): void {
    if (rd.snapshot) {
      p.storage.applySnapshot(rd.snapshot);
      p.confState = rd.snapshot.metadata.confState;
      // The state machine becomes the snapshot's: entries up to its index count as applied.
      p.applied = decodeAppliedLog(rd.snapshot.data);
    }
    p.storage.append(rd.entries);
    if (rd.hardState) p.storage.setHardState(rd.hardState);
    p.node.persisted(rd.number);
    this.queue.push(...rd.messagesAfterPersist);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) {
        try {
          p.confState = p.node.applyConfChange(decodeConfChange(e.data));
        } catch (err) {
          if (!isRaftError(err, RaftErrorCode.InvalidConfChange)) throw err;
        }
      }
      if (this.options.keepApplied !== false) p.applied.push(e);
    }
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last) p.node.applied(last.index);
  }

  /** Snapshots a peer's state machine at its applied index, unless a snapshot is that recent. */
  private snapshotApplied(id: PeerId): void {
    const p = this.peer(id);
    const index = p.node.raft.log.applied;
    if (index <= p.storage.latestSnapshot().metadata.index) return;
    p.storage.createSnapshot(index, p.node.status().confState, encodeAppliedLog(p.applied));
  }

  /**
   * Snapshots a peer's state machine at its applied index and drops the log up to there, as
   * a host does to bound its log (Raft §7). Followers behind it then need the snapshot.
   */
  compact(id: PeerId): void {
    const p = this.peer(id);
    const index = p.node.raft.log.applied;
    this.snapshotApplied(id);
    if (index >= p.storage.firstIndex()) p.storage.compact(index);
  }

  /** Delivers every queued message once (new ones wait for the next call). */
  deliverAll(): number {
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) this.deliver(m);
    return batch.length;
  }

  deliver(original: Message): void {
    let m = original;
    for (const rewrite of this.rewrites) m = rewrite(m);
    if (this.options.trace !== false) this.trace.push(m);
    const dropped = this.filters.some((f) => f(m));
    this.onDeliver?.(m, dropped);
    if (dropped) return;
    const p = this.peers.get(m.to);
    if (!p) return;
    p.node.step(m);
  }

  /** Runs host loops and deliveries until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      const readys = this.processReadys();
      const sent = this.deliverAll();
      if (!readys && sent === 0) return;
    }
    throw new Error('cluster did not stabilize');
  }

  tick(id: PeerId, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const p of this.peers.values()) p.node.tick();
      this.stabilize();
    }
  }

  /** Campaigns at `id` and runs until quiet. */
  elect(id: PeerId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: PeerId, data: string): void {
    this.node(id).propose(new TextEncoder().encode(data));
  }

  proposeConfChange(id: PeerId, cc: ConfChange): void {
    this.node(id).proposeConfChange(cc);
  }

  leaders(): PeerId[] {
    return [...this.peers.values()]
      .filter((p) => p.node.raft.role === Role.Leader)
      .map((p) => p.id);
  }

  /** The read states of `id` so far, as [index, context as text]. */
  reads(id: PeerId): [number, string][] {
    return this.peer(id).readStates.map((rs) => [rs.index, new TextDecoder().decode(rs.context)]);
  }

  /** Application data applied at `id` (empty entries and conf changes skipped). */
  appliedData(id: PeerId): string[] {
    return this.peer(id)
      .applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }

  committed(id: PeerId): number {
    return this.node(id).raft.log.committed;
  }

  messagesOfType(type: MessageType): Message[] {
    return this.trace.filter((m) => m.type === type);
  }
}

/** Snapshots in these tests carry the applied log itself (entries as index:term:data). */
export function encodeAppliedLog(entries: readonly Entry[]): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(entries.map((e) => [e.index, e.term, e.type, Array.from(e.data)])),
  );
}

export function decodeAppliedLog(data: Uint8Array): Entry[] {
  if (data.length === 0) return [];
  const rows = JSON.parse(new TextDecoder().decode(data)) as [
    number,
    number,
    EntryType,
    number[],
  ][];
  return rows.map(([index, term, type, bytes]) => ({
    index,
    term,
    type,
    data: new Uint8Array(bytes),
  }));
}
