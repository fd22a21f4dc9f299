/**
 * Operator steps (what the PD wants done to a region, one change at a time) and schedule
 * commands (what a store is told to do, carried back on the region heartbeat stream). A
 * step may need several commands over time, or none while it waits (a learner catching up);
 * removing the leader's own peer first moves leadership away.
 */

import { toHex } from '../meta/keys.js';
import type { Epoch, PeerMeta } from '../meta/types.js';

/** One step of an operator. */
export type OperatorStep =
  /** Add a learner (a non-voting replica, filled by a snapshot) on a store. */
  | { readonly kind: 'add-learner'; readonly storeId: number; readonly peerId: number }
  /** Make a caught-up learner a voter. */
  | { readonly kind: 'promote-learner'; readonly storeId: number; readonly peerId: number }
  /** Remove a peer (voter or learner). */
  | { readonly kind: 'remove-peer'; readonly storeId: number; readonly peerId: number }
  /** Move leadership to the region's voter on another store. */
  | { readonly kind: 'transfer-leader'; readonly fromStoreId: number; readonly toStoreId: number }
  /**
   * Split the region at `splitKey` (or, when undefined, at a key the store picks, its
   * approximate middle). The left part keeps the region id; the right part gets
   * `newRegionId` and one new peer id per peer, in the order of the region's peers.
   */
  | {
      readonly kind: 'split-region';
      readonly splitKey: Uint8Array | undefined;
      readonly newRegionId: number;
      readonly newPeerIds: readonly number[];
    };

/** What a store is told to do for a region (RegionHeartbeatResponse on the wire). */
export type ScheduleCommand =
  | {
      readonly kind: 'change-peer';
      /** add-learner: create `peer` as a learner; add-voter: promote it; remove: remove it. */
      readonly change: 'add-learner' | 'add-voter' | 'remove';
      readonly peer: PeerMeta;
    }
  | { readonly kind: 'transfer-leader'; readonly peer: PeerMeta }
  | {
      readonly kind: 'split-region';
      /** Empty: the store picks the key (its approximate middle). */
      readonly splitKey: Uint8Array;
      readonly newRegionId: number;
      readonly newPeerIds: readonly number[];
    };

/** A command addressed to a region, with the epoch the PD saw (the store refuses a mismatch). */
export interface RegionCommand {
  readonly regionId: number;
  readonly epoch: Epoch;
  /** The store the command goes to: the region's leader as last reported. */
  readonly storeId: number;
  readonly operatorId: number;
  readonly command: ScheduleCommand;
}

/** "add learner 12 on store 4", for logs. */
export function describeStep(step: OperatorStep): string {
  switch (step.kind) {
    case 'add-learner':
      return `add learner ${step.peerId} on store ${step.storeId}`;
    case 'promote-learner':
      return `promote learner ${step.peerId} on store ${step.storeId}`;
    case 'remove-peer':
      return `remove peer ${step.peerId} on store ${step.storeId}`;
    case 'transfer-leader':
      return `transfer leader from store ${step.fromStoreId} to store ${step.toStoreId}`;
    case 'split-region':
      return `split at ${step.splitKey ? toHex(step.splitKey) : '(store picks)'} into region ${step.newRegionId}`;
  }
}

/** Whether the step adds or removes data on a store (as opposed to moving leadership). */
export function isPeerStep(step: OperatorStep): boolean {
  return step.kind !== 'transfer-leader';
}
