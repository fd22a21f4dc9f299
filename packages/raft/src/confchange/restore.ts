/**
 * Rebuilds a tracker configuration from a persisted ConfState (at startup or when a
 * snapshot is installed) by replaying it as a series of changes through the ConfChanger,
 * so the same validation applies.
 */

import { type ConfChangeSingle, ConfChangeType } from '../conf-change.js';
import type { ProgressTracker } from '../tracker/progress-tracker.js';
import type { ConfState } from '../types.js';
import { type ChangeResult, ConfChanger } from './changer.js';

export function restoreConfig(
  tracker: ProgressTracker,
  lastIndex: number,
  cs: ConfState,
): ChangeResult {
  const outgoing: ConfChangeSingle[] = cs.votersOutgoing.map((id) => ({
    type: ConfChangeType.AddVoter,
    peerId: id,
  }));
  // To reach a joint config, first build the outgoing half, then enter the joint config
  // with changes that turn it into the incoming half.
  const incoming: ConfChangeSingle[] = [
    ...cs.votersOutgoing.map((id) => ({ type: ConfChangeType.RemovePeer, peerId: id })),
    ...cs.voters.map((id) => ({ type: ConfChangeType.AddVoter, peerId: id })),
    ...cs.learners.map((id) => ({ type: ConfChangeType.AddLearner, peerId: id })),
    ...cs.learnersNext.map((id) => ({ type: ConfChangeType.AddLearner, peerId: id })),
  ];

  const step = (fn: (c: ConfChanger) => ChangeResult): void => {
    const result = fn(new ConfChanger(tracker, lastIndex));
    tracker.config = result.config;
    tracker.progress = result.progress;
  };

  if (outgoing.length === 0) {
    for (const cc of incoming) step((c) => c.simple([cc]));
  } else {
    for (const cc of outgoing) step((c) => c.simple([cc]));
    step((c) => c.enterJoint(cs.autoLeave, incoming));
  }
  return { config: tracker.config, progress: tracker.progress };
}
