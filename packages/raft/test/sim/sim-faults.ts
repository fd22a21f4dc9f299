/**
 * Peer and network faults of the fault phase: crashes (with restarts after a random down
 * time), pauses (a process that stops for a while, as in a long GC pause or a stalled disk),
 * symmetric partitions and one-way link cuts. Message-level faults (drop, duplicate, delay,
 * reorder) live in the network itself.
 *
 * It only decides and schedules; the simulator carries the faults out.
 */

import { type PeerId, Role, type SeededRandom } from '../../src/index.js';
import type { FaultProfile } from './sim-config.js';
import type { SimHost } from './sim-host.js';
import type { SimNetwork } from './sim-network.js';

/** The part of the simulator the faults act on. */
export interface FaultTarget {
  now(): number;
  /** Every existing host (running or down), in id order. */
  hosts(): SimHost[];
  crash(host: SimHost): void;
  restart(host: SimHost): void;
  log(line: string): void;
}

export class FaultInjector {
  private readonly restartAt = new Map<PeerId, number>();
  crashes = 0;
  partitions = 0;
  linkCuts = 0;
  pauses = 0;

  constructor(
    private readonly rng: SeededRandom,
    private readonly profile: FaultProfile,
    private readonly network: SimNetwork,
    private readonly target: FaultTarget,
  ) {}

  step(): void {
    const now = this.target.now();
    const f = this.profile;
    const hosts = this.target.hosts();
    for (const h of hosts) {
      const at = this.restartAt.get(h.id);
      if (at !== undefined && now >= at) this.restart(h);
    }
    if (f.partitionRate > 0 && !this.network.partitioned && this.rng.chance(f.partitionRate)) {
      const until = now + 1 + this.rng.nextInt(f.partitionMaxSteps);
      const sides = this.chooseSides(hosts);
      this.network.partition(sides, until);
      this.partitions++;
      this.target.log(
        `partition ${sides.map((s) => `{${s.join(',')}}`).join(' | ')} until ${until}`,
      );
    }
    if (f.linkCutRate > 0 && hosts.length > 1 && this.rng.chance(f.linkCutRate)) {
      const from = this.pick(hosts).id;
      const others = hosts.filter((h) => h.id !== from);
      const to = this.pick(others).id;
      const until = now + 1 + this.rng.nextInt(f.linkCutMaxSteps);
      this.network.cutLink(from, to, until);
      this.linkCuts++;
      this.target.log(`cut link ${from}->${to} until ${until}`);
    }
    const running = hosts.filter((h) => h.running && !h.paused(now));
    if (f.crashRate > 0 && running.length > 0 && this.rng.chance(f.crashRate)) {
      // Keep at least one peer up so the run keeps doing something interesting.
      if (running.length > 1) {
        const h = this.pickVictim(running);
        this.target.crash(h);
        this.restartAt.set(h.id, now + 1 + this.rng.nextInt(f.downMaxSteps));
        this.crashes++;
      }
    }
    if (f.pauseRate > 0 && running.length > 0 && this.rng.chance(f.pauseRate)) {
      const h = this.pickVictim(running);
      h.pausedUntil = now + 1 + this.rng.nextInt(f.pauseMaxSteps);
      this.pauses++;
      this.target.log(`${h.id}: paused until ${h.pausedUntil}`);
    }
  }

  private restart(h: SimHost): void {
    this.restartAt.delete(h.id);
    if (!h.running) this.target.restart(h);
  }

  /** Heal phase: every crashed peer comes back and every paused one resumes. */
  restartAll(): void {
    for (const h of this.target.hosts()) {
      this.restartAt.delete(h.id);
      h.pausedUntil = 0;
      if (!h.running) this.target.restart(h);
    }
  }

  /**
   * Half the time the leader (the peer whose loss tests the most: its unreplicated writes,
   * its stale reads, its successor's election), otherwise anyone.
   */
  private pickVictim(hosts: readonly SimHost[]): SimHost {
    const leaders = hosts.filter((h) => h.role === Role.Leader);
    return leaders.length > 0 && this.rng.chance(0.5) ? this.pick(leaders) : this.pick(hosts);
  }

  /**
   * Two sides: half the time the leader with a minority of the others (a deposed leader that
   * still believes it leads), otherwise a random split.
   */
  private chooseSides(hosts: readonly SimHost[]): PeerId[][] {
    const ids = this.shuffle(hosts.map((h) => h.id));
    const leader = hosts.find((h) => h.role === Role.Leader);
    if (leader && this.rng.chance(0.5)) {
      const others = ids.filter((id) => id !== leader.id);
      const company = this.rng.nextInt(Math.floor(others.length / 2) + 1);
      return [[leader.id, ...others.slice(0, company)], others.slice(company)];
    }
    const cut = 1 + this.rng.nextInt(Math.max(1, ids.length - 1));
    return [ids.slice(0, cut), ids.slice(cut)];
  }

  private shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.rng.nextInt(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.rng.nextInt(items.length)]!;
  }
}
