/**
 * The seeded fault simulator of the Raft core: one seed reproduces a whole run of an N-peer
 * group exactly. A run has two phases:
 *
 * 1. Fault phase (FAULT_PHASE_STEPS steps): the network drops, duplicates, delays, reorders
 *    and partitions; peers crash (losing what was not durable) and restart, pause; clients
 *    write and read; operators change membership, transfer leadership and compact logs.
 *    The safety checkers run after every input and every step.
 * 2. Heal phase: faults stop, crashed peers restart; within HEAL_TICKS_MAX ticks there must
 *    be exactly one leader, a fresh write must commit, and every peer must have applied the
 *    same index, including every write ever acknowledged.
 *
 * A step is: faults and workload, one tick per running peer, delivery of due messages,
 * persistence of due Readys, application of due entries, then the checks. Nothing reads a
 * clock or Math.random; everything random comes from streams split off the seed.
 */

import {
  type ConfState,
  EMPTY_CONF_STATE,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type PeerId,
  type ReadState,
  SeededRandom,
  type Snapshot,
  SnapshotStatus,
} from '../../src/index.js';
import { Checkers, SimulationFailure } from './sim-checkers.js';
import {
  chooseProfile,
  EVENT_LOG_LINES_MAX,
  FAULT_PHASE_STEPS,
  HEAL_TICKS_MAX,
  healedFaults,
  type RunProfile,
} from './sim-config.js';
import { FaultInjector } from './sim-faults.js';
import { describePeers, HealPhase } from './sim-heal.js';
import { type HostEnv, SimHost } from './sim-host.js';
import { type DropReason, describeMessage, type InFlight, SimNetwork } from './sim-network.js';
import { emptyStats, type SimOptions, type SimResult, type SimStats } from './sim-result.js';
import { readIdOf, StateMachine, writeIdOf } from './sim-state-machine.js';
import { Workload } from './sim-workload.js';

/** A pending transport report to a sender (snapshot outcome, unreachable peer). */
interface Report {
  readonly peer: PeerId;
  readonly incarnation: number;
  readonly to: PeerId;
  readonly kind: 'snapshot-finished' | 'snapshot-failed' | 'unreachable';
}

export { replayCommand, type SimOptions, type SimResult, type SimStats } from './sim-result.js';

/**
 * Runs one seed. A failed run is run again with its event log recorded (runs are
 * deterministic), so the result carries the events that led to the failure.
 */
export function runSimulation(options: SimOptions): SimResult {
  const r = new Simulator(options).run();
  if (r.ok || options.record || options.onEvent) return r;
  // Same seed, same run: replay it to collect the events that led to the failure.
  const replay = new Simulator({ ...options, record: true }).run();
  const firstLine = (x: SimResult) => `${x.step} ${x.failure?.split('\n')[0]}`;
  if (firstLine(replay) !== firstLine(r)) {
    throw new Error(`seed ${options.seed} did not replay: ${r.failure} / ${replay.failure}`);
  }
  return replay;
}

/** One run of the simulator; see the file header. The host environment of every peer. */
export class Simulator implements HostEnv {
  readonly profile: RunProfile;
  private readonly network: SimNetwork;
  private readonly hosts = new Map<PeerId, SimHost>();
  private readonly removed = new Set<PeerId>();
  private readonly checkers = new Checkers();
  private readonly workload: Workload;
  private readonly faults: FaultInjector;
  private readonly hostRng: SeededRandom;
  private readonly peerSeeds: SeededRandom;
  private readonly clockRng: SeededRandom;
  private step = 0;
  private phase: 'fault' | 'heal' = 'fault';
  private events: string[] = [];
  private readonly recording: boolean;
  private reports: Report[] = [];
  /** The newest membership any peer applied (it is committed, so it is everyone's future). */
  private latestConf: { index: number; confState: ConfState };
  private membershipChanged = false;
  private readonly healing: HealPhase;
  private readonly stats: SimStats = emptyStats();

  constructor(private readonly options: SimOptions) {
    this.recording = options.record === true || options.onEvent !== undefined;
    const root = new SeededRandom(options.seed);
    const stream = () => new SeededRandom(root.nextUint32());
    this.profile = chooseProfile(stream());
    this.network = new SimNetwork(stream(), this.profile.faults);
    this.hostRng = stream();
    this.peerSeeds = stream();
    this.workload = new Workload(
      stream(),
      this.profile.workload,
      this.workloadTarget(),
      options.peers,
    );
    this.faults = new FaultInjector(
      stream(),
      this.profile.faults,
      this.network,
      this.faultTarget(),
    );
    this.clockRng = stream();
    this.healing = new HealPhase(() => this.hostList(), this.workload, this.checkers);
    const voters: PeerId[] = [];
    for (let id = 1; id <= options.peers; id++) voters.push(id);
    const confState: ConfState = { ...EMPTY_CONF_STATE, voters };
    this.latestConf = { index: this.profile.bootstrapIndex, confState };
    for (const id of voters) this.bootstrap(id, confState);
  }

  run(): SimResult {
    let healTicks: number | undefined;
    try {
      this.log(`profile ${JSON.stringify(this.profile)}`);
      const faultSteps = this.options.faultSteps ?? FAULT_PHASE_STEPS;
      for (let i = 0; i < faultSteps; i++) this.runStep();
      healTicks = this.heal();
      return this.result(true, undefined, healTicks);
    } catch (e) {
      const what = e instanceof SimulationFailure ? e.message : `${(e as Error).stack ?? e}`;
      this.log(`FAILURE: ${what}`);
      return this.result(false, what, healTicks);
    }
  }

  // ---- peers -----------------------------------------------------------------------------

  /** A peer of the initial group, bootstrapped from a snapshot at the profile's index. */
  private bootstrap(id: PeerId, confState: ConfState): void {
    const b = this.profile.bootstrapIndex;
    const host = this.newHost(id, new StateMachine(b, confState));
    if (b > 0) {
      const sm = host.stateMachine;
      host.storage.applySnapshot({
        metadata: { index: b, term: b, confState },
        data: sm.encode(),
      });
      host.storage.setHardState({ term: b, vote: 0, commit: b });
    }
    this.checkers.restarted(host);
    host.start(this.peerSeeds.nextUint32());
  }

  private newHost(id: PeerId, sm: StateMachine): SimHost {
    const host = new SimHost(
      id,
      sm,
      this,
      new SeededRandom(this.hostRng.nextUint32()),
      this.profile.faults,
      this.profile.raft,
    );
    this.hosts.set(id, host);
    return host;
  }

  /** Ids in order: iteration order decides delivery order, so it must not depend on history. */
  private hostList(): SimHost[] {
    return [...this.hosts.values()].sort((a, b) => a.id - b.id);
  }

  private crash(host: SimHost): void {
    this.log(`${host.id}: CRASH (loses ${host.idle() ? 'nothing pending' : 'pending writes'})`);
    host.crash();
    this.stats.crashes++;
  }

  private restart(host: SimHost): void {
    this.checkers.restarted(host);
    host.start(this.peerSeeds.nextUint32());
  }

  /**
   * Creates peers the newest membership adds, and stops the ones it removed once every
   * voter of the new membership has applied it (as a placement driver would wait for).
   * Stopping a removed peer as soon as its removal is committed, as thesis §4.3 allows,
   * is not live here: a membership takes effect when applied (as in etcd), so a voter that
   * has not applied it yet still needs the old majority to elect a leader (an earlier
   * version of the simulator deadlocked that way in 3 of 3000 runs).
   */
  private reconcileMembership(): void {
    const { index, confState: cs } = this.latestConf;
    const members = new Set([
      ...cs.voters,
      ...cs.votersOutgoing,
      ...cs.learners,
      ...cs.learnersNext,
    ]);
    if (this.membershipChanged) {
      this.membershipChanged = false;
      for (const id of [...members].sort((a, b) => a - b)) {
        if (this.hosts.has(id) || this.removed.has(id)) continue;
        this.log(`${id}: created empty (membership at ${index})`);
        this.newHost(id, StateMachine.empty()).start(this.peerSeeds.nextUint32());
      }
    }
    if (this.hostList().every((h) => members.has(h.id))) return;
    const applied = [...cs.voters, ...cs.votersOutgoing].every(
      (id) => (this.hosts.get(id)?.stateMachine.applied ?? index) >= index,
    );
    if (!applied) return;
    for (const host of this.hostList()) {
      if (members.has(host.id)) continue;
      this.log(`${host.id}: stopped (removed at ${index})`);
      host.crash();
      this.hosts.delete(host.id);
      this.removed.add(host.id);
    }
  }

  private noteMembership(index: number, confState: ConfState): void {
    if (index <= this.latestConf.index) return;
    this.latestConf = { index, confState };
    this.membershipChanged = true;
  }

  // ---- steps -----------------------------------------------------------------------------

  private runStep(): void {
    this.step++;
    for (const what of this.network.expire(this.step)) this.log(`healed ${what}`);
    if (this.phase === 'fault') {
      this.faults.step();
      this.workload.step();
    } else {
      this.healing.step(this.step);
    }
    const hosts = this.hostList();
    const skip = this.phase === 'fault' ? this.profile.faults.tickSkipRate : 0;
    for (const h of hosts) {
      if (!h.running || h.paused(this.step)) continue;
      if (skip > 0 && this.clockRng.chance(skip)) continue;
      h.input((node) => node.tick());
    }
    this.flushReports();
    for (const f of this.network.takeDue(this.step)) this.deliver(f);
    for (const h of hosts) h.persistDue(this.step);
    for (const h of hosts) h.storedDue(this.step);
    for (const h of hosts) h.applyDue(this.step);
    this.reconcileMembership();
    this.checkers.afterStep(this.hostList());
  }

  private deliver(f: InFlight): void {
    const m = f.message;
    const to = this.hosts.get(m.to);
    const blocked = this.network.blocked(m.from, m.to);
    if (!to?.running || blocked) {
      this.dropped(f, blocked ?? 'down');
      return;
    }
    if (to.paused(this.step)) {
      this.network.postpone(f, to.pausedUntil);
      return;
    }
    this.stats.messagesDelivered++;
    this.log(() => `deliver ${describeMessage(m)}`);
    to.input((node) => node.step(m));
    if (m.type === MessageType.Snapshot) this.report(f, 'snapshot-finished');
  }

  private dropped(f: InFlight, reason: DropReason | 'down'): void {
    const m = f.message;
    this.stats.messagesDropped++;
    this.log(() => `drop (${reason}) ${describeMessage(m)}`);
    if (m.type === MessageType.Snapshot) this.report(f, 'snapshot-failed');
    else if (reason !== 'lost' && m.type === MessageType.Append) this.report(f, 'unreachable');
  }

  private report(f: InFlight, kind: Report['kind']): void {
    const m = f.message;
    this.reports.push({ peer: m.from, incarnation: f.senderIncarnation, to: m.to, kind });
  }

  /**
   * Transport reports reach the sender one step later (or when it resumes from a pause), if
   * it is still the same process. A lost report would leave the leader waiting for the
   * snapshot forever: the core relies on the host to report every snapshot's outcome.
   */
  private flushReports(): void {
    const reports = this.reports;
    this.reports = [];
    for (const r of reports) {
      const host = this.hosts.get(r.peer);
      if (!host?.running || host.incarnation !== r.incarnation) continue;
      if (host.paused(this.step)) {
        this.reports.push(r);
        continue;
      }
      this.log(`${r.peer}: report ${r.kind} ${r.to}`);
      host.input((node) => {
        if (r.kind === 'unreachable') node.reportUnreachable(r.to);
        else {
          const status =
            r.kind === 'snapshot-finished' ? SnapshotStatus.Finished : SnapshotStatus.Failure;
          node.reportSnapshot(r.to, status);
        }
      });
    }
  }

  // ---- heal phase ------------------------------------------------------------------------

  /** Runs the heal phase; returns the ticks it took or throws. */
  private heal(): number {
    this.phase = 'heal';
    this.log('HEAL: network healed, crashed peers restart');
    this.network.heal();
    this.network.setFaults(healedFaults(this.profile.faults));
    this.faults.restartAll();
    const healTicksMax = this.options.healTicksMax ?? HEAL_TICKS_MAX;
    for (let t = 1; t <= healTicksMax; t++) {
      this.runStep();
      if (this.healing.missing() === undefined) {
        this.log(`HEALED after ${t} ticks`);
        return t;
      }
    }
    throw new SimulationFailure(
      `no agreement ${healTicksMax} ticks after healing: ${this.healing.missing()}\n` +
        describePeers(this.hostList()),
    );
  }

  // ---- HostEnv ---------------------------------------------------------------------------

  now(): number {
    return this.step;
  }

  log(line: string | (() => string)): void {
    if (!this.recording) return;
    const text = `[${this.step}] ${typeof line === 'string' ? line : line()}`;
    this.options.onEvent?.(text);
    this.events.push(text);
    if (this.events.length > 2 * EVENT_LOG_LINES_MAX)
      this.events = this.events.slice(-EVENT_LOG_LINES_MAX);
  }

  send(host: SimHost, m: Message, durableLastIndex?: number): void {
    this.checkers.sent(host, m, durableLastIndex);
    const afterPersist = durableLastIndex !== undefined;
    this.stats.messagesSent++;
    const sent = this.network.send(m, this.step, host.incarnation);
    if (typeof sent === 'string') {
      this.stats.messagesDropped++;
      this.log(() => `${host.id}: send ${describeMessage(m)} -> dropped (${sent})`);
      if (m.type === MessageType.Snapshot) {
        this.reports.push({
          peer: host.id,
          incarnation: host.incarnation,
          to: m.to,
          kind: 'snapshot-failed',
        });
      }
      return;
    }
    this.log(
      () =>
        `${host.id}: send${afterPersist ? ' (after persist)' : ''} ${describeMessage(m)} @${sent.map((f) => f.deliverAt).join(',')}`,
    );
  }

  observe(host: SimHost): void {
    this.checkers.observe(host);
    const term = host.node?.raft.term ?? 0;
    if (term > this.stats.maxTerm) this.stats.maxTerm = term;
  }

  hardStatePersisted(host: SimHost, hs: HardState): void {
    this.checkers.hardStatePersisted(host, hs);
  }

  snapshotInstalled(host: SimHost, s: Snapshot): void {
    this.stats.snapshotsInstalled++;
    this.log(`${host.id}: installed snapshot at ${s.metadata.index}`);
    this.checkers.snapshotInstalled(host, s);
    this.noteMembership(s.metadata.index, s.metadata.confState);
  }

  applied(host: SimHost, e: Entry): void {
    this.checkers.applied(host, e);
    if (e.type === EntryType.ConfChange) {
      this.stats.confChangesApplied++;
      const cs = host.stateMachine.confState;
      this.log(
        `${host.id}: applied membership at ${e.index}: voters=[${cs.voters}] outgoing=[${cs.votersOutgoing}] learners=[${cs.learners}]`,
      );
      this.noteMembership(e.index, cs);
      return;
    }
    const id = writeIdOf(e);
    if (id !== undefined && this.workload.isProposer(host, id)) {
      this.checkers.ack(host, id, e, this.step);
      this.workload.acknowledged(id);
    }
  }

  readServed(host: SimHost, rs: ReadState): void {
    const id = readIdOf(rs.context);
    const read = id === undefined ? undefined : this.workload.readIssued(id);
    if (id === undefined || !read) return;
    this.stats.readsServed++;
    this.checkers.readServed(host, id, read.ackCount, rs.index);
  }

  // ---- plumbing --------------------------------------------------------------------------

  private workloadTarget() {
    return {
      now: () => this.step,
      available: () => this.hostList().filter((h) => h.running && !h.paused(this.step)),
      log: (line: string) => this.log(line),
      ackCount: () => this.checkers.acks.length,
    };
  }

  private faultTarget() {
    return {
      now: () => this.step,
      hosts: () => this.hostList(),
      crash: (h: SimHost) => this.crash(h),
      restart: (h: SimHost) => this.restart(h),
      log: (line: string) => this.log(line),
    };
  }

  private result(
    ok: boolean,
    failure: string | undefined,
    healTicks: number | undefined,
  ): SimResult {
    this.stats.writesProposed = this.workload.proposalsMade;
    this.stats.writesAcknowledged = this.checkers.acks.length;
    this.stats.leadersElected = this.checkers.leaderTerms;
    this.stats.partitions = this.faults.partitions;
    this.stats.finalPeers = this.hosts.size;
    this.stats.committedEntries = this.checkers.committedLength;
    return {
      seed: this.options.seed,
      peers: this.options.peers,
      faultSteps: this.options.faultSteps ?? FAULT_PHASE_STEPS,
      ok,
      ...(failure !== undefined ? { failure } : {}),
      phase: this.phase,
      step: this.step,
      ...(healTicks !== undefined ? { healTicks } : {}),
      events: this.events.slice(-EVENT_LOG_LINES_MAX),
      stats: this.stats,
    };
  }
}
