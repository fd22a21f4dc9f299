/**
 * The host of one simulated peer: it drives a RawNode the way a store will, with
 * asynchronous persistence and asynchronous apply.
 *
 * Durable (survives a crash): the SimStorage log and hard state, and the StateMachine
 * record (applied index, membership and state, updated atomically per applied entry).
 * Volatile (lost in a crash): the RawNode, Readys taken but not yet persisted (with the
 * messages that had to wait for them), committed entries handed out but not yet applied,
 * and read states not yet served.
 *
 * The host contract it follows (packages/raft/README.md):
 * - `messages` go out as soon as a Ready is taken;
 * - Readys become durable later, in order, after a random delay; only then are their
 *   `messagesAfterPersist` sent and `persisted(n)` reported;
 * - committed entries are applied after their own random delay (possibly before the Ready
 *   that carried them is durable: they are durable already), in order, then `applied(i)`;
 * - a snapshot in a Ready replaces the state machine when the Ready is persisted, after
 *   every entry handed out before it has been applied.
 *
 * With raft.storedSeparately the host keeps a write-ahead log in front of its storage, as a
 * store does: a Ready is durable once in the log (persisted(n)), and reaches the storage the
 * Raft core reads later, in order (stored(n)). The log survives a crash and is replayed into
 * the storage on restart. A Ready with a snapshot goes straight to the storage (after the
 * log is drained), durable and stored at once.
 *
 * It is not the simulator: it makes no random fault decisions, it only draws its delays.
 */

import {
  type ConfState,
  decodeConfChange,
  type Entry,
  EntryType,
  type HardState,
  type InitialState,
  isRaftError,
  MemoryStorage,
  type Message,
  type PeerId,
  type RaftConfig,
  RaftErrorCode,
  RawNode,
  type ReadState,
  type Ready,
  type Role,
  SeededRandom,
  type Snapshot,
} from '../../src/index.js';
import { ELECTION_TICKS, type FaultProfile, HEARTBEAT_TICKS } from './sim-config.js';
import { StateMachine } from './sim-state-machine.js';

/**
 * MemoryStorage whose initial membership is the one recorded with the applied index (README
 * rule 5), not the last snapshot's: a peer that applied membership changes after its last
 * snapshot must restart with them.
 */
export class SimStorage extends MemoryStorage {
  constructor(private readonly appliedConfState: () => ConfState) {
    super();
  }

  override initialState(): InitialState {
    return { hardState: this.hardState, confState: this.appliedConfState() };
  }
}

/** What a host reports to the simulator (checkers, workload, membership). */
export interface HostEnv {
  now(): number;
  /** An event for the log; a function when building the line costs (it may not be kept). */
  log(line: string | (() => string)): void;
  /**
   * A message leaves the host. For messages that waited for durability, `durableLastIndex`
   * is the durable log's last index right after their Ready was written.
   */
  send(host: SimHost, m: Message, durableLastIndex?: number): void;
  /** Called after every input, so role changes are seen as they happen. */
  observe(host: SimHost): void;
  hardStatePersisted(host: SimHost, hs: HardState): void;
  snapshotInstalled(host: SimHost, s: Snapshot): void;
  /** An entry was applied; host.stateMachine is the state right after it. */
  applied(host: SimHost, e: Entry): void;
  readServed(host: SimHost, rs: ReadState): void;
}

interface Timed<T> {
  readonly item: T;
  readonly at: number;
}

export class SimHost {
  readonly storage: SimStorage;
  stateMachine: StateMachine;
  node: RawNode | undefined = undefined;
  /** Bumped on every start; reports meant for an earlier incarnation are discarded. */
  incarnation = 0;
  /** The host does nothing (no ticks, no input, no disk) before this step. */
  pausedUntil = 0;
  private persistQueue: Timed<Ready>[] = [];
  /** storedSeparately: durable Readys not yet in the storage (survives a crash). */
  private wal: Timed<Ready>[] = [];
  /** storedSeparately: the durable log's last index (the storage's plus the log's). */
  private walLastIndex = 0;
  /** storedSeparately: the durable hard state (the storage's, or the log's newest). */
  private walHardState: HardState;
  private applyQueue: Timed<Entry>[] = [];
  private reads: ReadState[] = [];
  /**
   * The hard state as of the last write that was synced. Readys with mustSync false are
   * written without an fsync, so a crash may lose them; they may only move the commit index.
   */
  private syncedHardState: HardState;

  constructor(
    readonly id: PeerId,
    stateMachine: StateMachine,
    private readonly env: HostEnv,
    private readonly rng: SeededRandom,
    private faults: FaultProfile,
    private readonly raftConfig: Partial<RaftConfig>,
  ) {
    this.stateMachine = stateMachine;
    this.storage = new SimStorage(() => this.stateMachine.confState);
    this.syncedHardState = this.storage.hardState;
    this.walHardState = this.storage.hardState;
  }

  private log(line: string | (() => string)): void {
    this.env.log(() => `${this.id}: ${typeof line === 'string' ? line : line()}`);
  }

  get running(): boolean {
    return this.node !== undefined;
  }

  paused(now: number): boolean {
    return now < this.pausedUntil;
  }

  setFaults(faults: FaultProfile): void {
    this.faults = faults;
  }

  private get storedSeparately(): boolean {
    return this.raftConfig.storedSeparately === true;
  }

  /** Starts (or restarts) the peer from its durable state. */
  start(randomSeed: number): void {
    this.incarnation++;
    this.walLastIndex = this.storage.lastIndex();
    this.walHardState = this.storage.hardState;
    // Whatever is durable when a peer starts is synced (bootstrap writes it directly).
    this.syncedHardState = this.storage.hardState;
    this.node = new RawNode({
      id: this.id,
      storage: this.storage,
      random: new SeededRandom(randomSeed),
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: HEARTBEAT_TICKS,
      applied: this.stateMachine.applied,
      ...this.raftConfig,
    });
    // The core asks for a snapshot when a follower is behind the log: offer a fresh one.
    this.storage.onSnapshotRequest = () => this.snapshotNow();
    this.log(
      `start #${this.incarnation} applied=${this.stateMachine.applied} ` +
        `hs=${JSON.stringify(this.storage.hardState)} log=[${this.storage.firstIndex()},${this.storage.lastIndex()}]`,
    );
    this.env.observe(this);
  }

  /**
   * Loses everything volatile; the durable storage and state machine stay, except that an
   * unsynced hard state (a moved commit index) is lost half the time.
   */
  crash(): void {
    if (this.storage.hardState !== this.syncedHardState && this.rng.chance(0.5)) {
      this.log(`crash loses unsynced commit ${this.storage.hardState.commit}`);
      this.storage.setHardState(this.syncedHardState);
    }
    this.node = undefined;
    // Recovery: the write-ahead log is durable and reaches the storage before anything reads
    // it again (done at once here; nothing runs while the peer is down).
    for (const { item } of this.wal) this.store(item);
    if (this.wal.length > 0) this.log(`recovery replays ${this.wal.length} logged Readys`);
    this.wal = [];
    this.persistQueue = [];
    this.applyQueue = [];
    this.reads = [];
    this.storage.onSnapshotRequest = undefined;
    this.pausedUntil = 0;
  }

  /** Runs one input against the node, then acts on the Readys it produced. */
  input(fn: (node: RawNode) => void): void {
    const node = this.node;
    if (!node) throw new Error(`peer ${this.id} is down`);
    try {
      fn(node);
    } finally {
      this.env.observe(this);
      this.takeReadys();
    }
  }

  private takeReadys(): void {
    const node = this.node!;
    const now = this.env.now();
    while (node.hasReady()) {
      const rd = node.ready();
      this.log(() => describeReady(rd));
      for (const m of rd.messages) this.env.send(this, m);
      this.reads.push(...rd.readStates);
      for (const e of rd.committedEntries) {
        this.applyQueue.push({
          item: e,
          at: now + this.rng.nextInt(this.faults.applyDelayMaxSteps + 1),
        });
      }
      this.persistQueue.push({ item: rd, at: now + this.persistDelay() });
    }
  }

  private persistDelay(): number {
    const f = this.faults;
    if (f.diskStallRate > 0 && this.rng.chance(f.diskStallRate)) {
      return this.rng.nextInt(f.diskStallMaxSteps + 1);
    }
    return this.rng.nextInt(f.persistDelayMaxSteps + 1);
  }

  /** Makes due Readys durable, in order, then reports them and sends what waited for them. */
  persistDue(now: number): void {
    if (!this.node || this.paused(now)) return;
    const done: Ready[] = [];
    const out: { m: Message; durableLastIndex: number }[] = [];
    // Head of line: a Ready is never durable before the ones taken earlier.
    let storedThrough = 0;
    while (this.persistQueue.length > 0 && this.persistQueue[0]!.at <= now) {
      const rd = this.persistQueue.shift()!.item;
      let durableLastIndex: number;
      if (!this.storedSeparately) {
        this.write(rd);
        durableLastIndex = this.storage.lastIndex();
      } else if (rd.snapshot) {
        // Snapshots bypass the log: drain it, then store this Ready at once.
        this.drainWal(Number.POSITIVE_INFINITY);
        this.write(rd);
        storedThrough = rd.number;
        this.walLastIndex = this.storage.lastIndex();
        this.walHardState = this.storage.hardState;
        durableLastIndex = this.walLastIndex;
      } else {
        this.checkSync(rd, this.walHardState);
        if (rd.hardState) this.walHardState = rd.hardState;
        this.wal.push({
          item: rd,
          at: now + this.rng.nextInt(this.faults.storedDelayMaxSteps + 1),
        });
        const last = rd.entries[rd.entries.length - 1];
        if (last) this.walLastIndex = last.index;
        if (rd.hardState) this.env.hardStatePersisted(this, rd.hardState);
        durableLastIndex = this.walLastIndex;
      }
      done.push(rd);
      for (const m of rd.messagesAfterPersist) out.push({ m, durableLastIndex });
    }
    if (done.length === 0) return;
    this.input((node) => {
      // Sometimes one report per Ready, sometimes one for all (it covers every earlier one).
      if (this.rng.chance(0.5)) {
        for (const rd of done) node.persisted(rd.number);
      } else {
        node.persisted(done[done.length - 1]!.number);
      }
      if (storedThrough > 0) node.stored(storedThrough);
      this.log(() => `persisted through #${done[done.length - 1]!.number}`);
      for (const { m, durableLastIndex } of out) this.env.send(this, m, durableLastIndex);
    });
  }

  /** storedSeparately: moves logged Readys that are due into the storage, in order. */
  storedDue(now: number): void {
    if (!this.node || this.paused(now) || !this.storedSeparately) return;
    const through = this.drainWal(now);
    if (through === 0) return;
    this.input((node) => {
      node.stored(through);
      this.log(() => `stored through #${through}`);
    });
  }

  /** Writes logged Readys due by `now` into the storage; returns the last one's number. */
  private drainWal(now: number): number {
    let through = 0;
    while (this.wal.length > 0 && this.wal[0]!.at <= now) {
      const rd = this.wal.shift()!.item;
      this.store(rd);
      through = rd.number;
    }
    return through;
  }

  /** A logged Ready reaches the storage (entries and hard state; never a snapshot). */
  private store(rd: Ready): void {
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    this.syncedHardState = this.storage.hardState;
  }

  /** `durable`: the last durable hard state (the storage's, or the write-ahead log's). */
  private checkSync(rd: Ready, durable: HardState = this.storage.hardState): void {
    if (rd.mustSync) return;
    // Only the commit index may move without an fsync: anything else must survive a crash.
    const hs = rd.hardState ?? durable;
    if (
      rd.entries.length > 0 ||
      rd.snapshot ||
      hs.term !== durable.term ||
      hs.vote !== durable.vote
    )
      throw new Error(`Ready #${rd.number} needs an fsync but says mustSync=false`);
  }

  /** One Ready's durable write: snapshot, entries and hard state together. */
  private write(rd: Ready): void {
    this.checkSync(rd);
    if (rd.snapshot) {
      // Entries handed out before the snapshot come first; the snapshot then replaces all.
      this.applyAll(Number.POSITIVE_INFINITY);
      this.storage.applySnapshot(rd.snapshot);
      this.stateMachine = StateMachine.fromSnapshot(rd.snapshot);
      this.env.snapshotInstalled(this, rd.snapshot);
    }
    this.storage.append(rd.entries);
    if (rd.hardState) {
      this.storage.setHardState(rd.hardState);
      this.env.hardStatePersisted(this, rd.hardState);
    }
    if (rd.mustSync) this.syncedHardState = this.storage.hardState;
  }

  /** Applies committed entries that are due, then serves the reads they make possible. */
  applyDue(now: number): void {
    if (!this.node || this.paused(now)) return;
    if (this.applyQueue.length === 0 || this.applyQueue[0]!.at > now) {
      this.serveReads();
      return;
    }
    this.input(() => this.applyAll(now));
  }

  private applyAll(now: number): void {
    const node = this.node!;
    let last = 0;
    while (this.applyQueue.length > 0 && this.applyQueue[0]!.at <= now) {
      const e = this.applyQueue.shift()!.item;
      this.applyEntry(node, e);
      last = e.index;
    }
    if (last > 0) node.applied(last);
    this.serveReads();
  }

  private applyEntry(node: RawNode, e: Entry): void {
    if (e.type === EntryType.ConfChange) {
      try {
        this.stateMachine.confState = node.applyConfChange(decodeConfChange(e.data));
      } catch (err) {
        // Every replica refuses the same change alike: a no-op (README rule 5).
        if (!isRaftError(err, RaftErrorCode.InvalidConfChange)) throw err;
        this.log(`conf change at ${e.index} refused: ${(err as Error).message}`);
      }
    }
    this.stateMachine.apply(e);
    this.env.applied(this, e);
  }

  private serveReads(): void {
    if (this.reads.length === 0) return;
    const applied = this.stateMachine.applied;
    const waiting: ReadState[] = [];
    for (const rs of this.reads) {
      if (rs.index <= applied) this.env.readServed(this, rs);
      else waiting.push(rs);
    }
    this.reads = waiting;
  }

  /** Snapshots the state machine at its applied index, unless a snapshot is that recent. */
  snapshotNow(): void {
    const sm = this.stateMachine;
    if (sm.applied <= this.storage.latestSnapshot().metadata.index) return;
    // With a write-ahead log the storage may not show the applied entries yet: later.
    if (sm.applied > this.storage.lastIndex()) return;
    this.storage.createSnapshot(sm.applied, sm.confState, sm.encode());
    this.log(`snapshot at ${sm.applied}`);
  }

  /** Snapshots, then drops the log up to `keep` entries before the applied index (§7). */
  compact(keep: number): void {
    this.snapshotNow();
    // Never past the newest snapshot (snapshotNow may have had to wait).
    const to = Math.min(
      this.stateMachine.applied - keep,
      this.storage.latestSnapshot().metadata.index,
    );
    if (to >= this.storage.firstIndex()) {
      this.storage.compact(to);
      this.log(`compacted through ${to}`);
    }
  }

  /** Whether nothing is waiting to be persisted, stored or applied. */
  idle(): boolean {
    return this.persistQueue.length === 0 && this.wal.length === 0 && this.applyQueue.length === 0;
  }

  get role(): Role | undefined {
    return this.node?.raft.role;
  }
}

function describeReady(rd: Ready): string {
  const parts = [`ready #${rd.number}`];
  if (rd.softState) parts.push(`${rd.softState.role} leader=${rd.softState.leaderId}`);
  if (rd.hardState) {
    const hs = rd.hardState;
    parts.push(`hs t${hs.term} v${hs.vote} c${hs.commit}`);
  }
  if (rd.snapshot) parts.push(`snap@${rd.snapshot.metadata.index}`);
  if (rd.entries.length > 0) {
    parts.push(`entries ${rd.entries[0]!.index}..${rd.entries[rd.entries.length - 1]!.index}`);
  }
  if (rd.committedEntries.length > 0) {
    const ce = rd.committedEntries;
    parts.push(`committed ${ce[0]!.index}..${ce[ce.length - 1]!.index}`);
  }
  if (rd.readStates.length > 0) parts.push(`reads ${rd.readStates.map((r) => r.index).join(',')}`);
  return parts.join(' ');
}
