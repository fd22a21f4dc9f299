/**
 * Computes the configuration that results from a membership change (Raft thesis §4.3),
 * without touching the live tracker: the caller switches to the result.
 *
 * Rules: a simple change may alter at most one voter; anything else goes through a joint
 * configuration (incoming + outgoing voter sets) that must be left before the next one.
 */

import { assert } from '../assert.js';
import { type ConfChangeSingle, ConfChangeType } from '../conf-change.js';
import { RaftError, RaftErrorCode } from '../errors.js';
import { isJoint } from '../quorum/joint.js';
import type { Progress } from '../tracker/progress.js';
import type { ProgressTracker, TrackerConfig } from '../tracker/progress-tracker.js';
import type { PeerId } from '../types.js';

export interface ChangeResult {
  readonly config: TrackerConfig;
  readonly progress: Map<PeerId, Progress>;
}

/** Mutable working copy of a config. */
interface Draft {
  incoming: Set<PeerId>;
  outgoing: Set<PeerId>;
  learners: Set<PeerId>;
  learnersNext: Set<PeerId>;
  autoLeave: boolean;
  progress: Map<PeerId, Progress>;
}

function invalid(message: string): RaftError {
  return new RaftError(RaftErrorCode.InvalidConfChange, message);
}

export class ConfChanger {
  constructor(
    private readonly tracker: ProgressTracker,
    /** New peers start probing from here. */
    private readonly lastIndex: number,
  ) {}

  /** Enters a joint config: the current voters become the outgoing half. */
  enterJoint(autoLeave: boolean, changes: readonly ConfChangeSingle[]): ChangeResult {
    const d = this.draft();
    if (d.outgoing.size > 0) throw invalid('config is already joint');
    if (d.incoming.size === 0) throw invalid('cannot make a zero-voter config joint');
    d.outgoing = new Set(d.incoming);
    this.apply(d, changes);
    d.autoLeave = autoLeave;
    return this.finish(d);
  }

  /** Leaves a joint config: the outgoing half goes; deferred learners become learners. */
  leaveJoint(): ChangeResult {
    const d = this.draft();
    if (d.outgoing.size === 0) throw invalid('cannot leave a config that is not joint');
    for (const id of d.learnersNext) {
      d.learners.add(id);
      d.progress.get(id)!.isLearner = true;
    }
    d.learnersNext.clear();
    for (const id of d.outgoing) {
      if (!d.incoming.has(id) && !d.learners.has(id)) d.progress.delete(id);
    }
    d.outgoing.clear();
    d.autoLeave = false;
    return this.finish(d);
  }

  /** Applies changes that alter at most one voter, outside any joint config. */
  simple(changes: readonly ConfChangeSingle[]): ChangeResult {
    const d = this.draft();
    if (d.outgoing.size > 0) throw invalid('cannot apply a simple change in a joint config');
    const before = new Set(d.incoming);
    this.apply(d, changes);
    let changed = 0;
    for (const id of before) if (!d.incoming.has(id)) changed++;
    for (const id of d.incoming) if (!before.has(id)) changed++;
    if (changed > 1) throw invalid('more than one voter changed without entering a joint config');
    return this.finish(d);
  }

  private draft(): Draft {
    const c = this.tracker.config;
    const progress = new Map<PeerId, Progress>();
    for (const [id, pr] of this.tracker.progress) progress.set(id, pr.clone());
    return {
      incoming: new Set(c.voters.incoming),
      outgoing: new Set(c.voters.outgoing),
      learners: new Set(c.learners),
      learnersNext: new Set(c.learnersNext),
      autoLeave: c.autoLeave,
      progress,
    };
  }

  private apply(d: Draft, changes: readonly ConfChangeSingle[]): void {
    for (const cc of changes) {
      if (cc.peerId === 0) continue;
      switch (cc.type) {
        case ConfChangeType.AddVoter:
          this.makeVoter(d, cc.peerId);
          break;
        case ConfChangeType.AddLearner:
          this.makeLearner(d, cc.peerId);
          break;
        case ConfChangeType.RemovePeer:
          this.remove(d, cc.peerId);
          break;
        default:
          throw invalid(`unknown change type ${String(cc.type)}`);
      }
    }
    if (d.incoming.size === 0) throw invalid('removed all voters');
  }

  private makeVoter(d: Draft, id: PeerId): void {
    const pr = d.progress.get(id);
    if (!pr) {
      this.initProgress(d, id, false);
      return;
    }
    pr.isLearner = false;
    d.learners.delete(id);
    d.learnersNext.delete(id);
    d.incoming.add(id);
  }

  private makeLearner(d: Draft, id: PeerId): void {
    const pr = d.progress.get(id);
    if (!pr) {
      this.initProgress(d, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Drop it as a voter but keep its progress: it stays in the group.
    this.remove(d, id);
    d.progress.set(id, pr);
    if (d.outgoing.has(id)) {
      // Still a voter of the outgoing half: it becomes a learner when the joint config ends.
      d.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      d.learners.add(id);
    }
  }

  private remove(d: Draft, id: PeerId): void {
    if (!d.progress.has(id)) return;
    d.incoming.delete(id);
    d.learners.delete(id);
    d.learnersNext.delete(id);
    // An outgoing voter keeps its progress until the joint config is left.
    if (!d.outgoing.has(id)) d.progress.delete(id);
  }

  private initProgress(d: Draft, id: PeerId, isLearner: boolean): void {
    if (isLearner) d.learners.add(id);
    else d.incoming.add(id);
    const pr = this.tracker.newProgress(Math.max(this.lastIndex, 1), isLearner);
    // A new peer counts as active so that check-quorum does not fire before it answers.
    pr.recentActive = true;
    d.progress.set(id, pr);
  }

  private finish(d: Draft): ChangeResult {
    const config: TrackerConfig = {
      voters: { incoming: d.incoming, outgoing: d.outgoing },
      learners: d.learners,
      learnersNext: d.learnersNext,
      autoLeave: d.autoLeave,
    };
    checkInvariants(config, d.progress);
    return { config, progress: d.progress };
  }
}

/** Programmer-error checks: a change must never produce an inconsistent config. */
export function checkInvariants(c: TrackerConfig, progress: ReadonlyMap<PeerId, Progress>): void {
  for (const ids of [c.voters.incoming, c.voters.outgoing, c.learners, c.learnersNext]) {
    for (const id of ids) assert(progress.has(id), () => `no progress for peer ${id}`);
  }
  for (const id of c.learnersNext) {
    assert(c.voters.outgoing.has(id), () => `${id} is in learnersNext but not an outgoing voter`);
    assert(!progress.get(id)!.isLearner, () => `${id} is in learnersNext but already a learner`);
  }
  for (const id of c.learners) {
    assert(
      !c.voters.incoming.has(id) && !c.voters.outgoing.has(id),
      () => `${id} is both learner and voter`,
    );
    assert(progress.get(id)!.isLearner, () => `${id} is a learner without the learner flag`);
  }
  if (!isJoint(c.voters)) {
    assert(c.learnersNext.size === 0, 'learnersNext outside a joint config');
    assert(!c.autoLeave, 'autoLeave outside a joint config');
  }
}
