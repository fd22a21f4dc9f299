/**
 * Membership changes (Raft thesis §4.3, joint consensus) and their byte encoding.
 *
 * A ConfChange entry carries a list of single changes. One voter change may be applied
 * directly ("simple"); several, or any change asking for it, go through a joint config
 * that needs majorities of both the old and the new voter sets. An empty change list
 * leaves the joint config.
 */

import { assert } from './assert.js';
import type { PeerId } from './types.js';

export enum ConfChangeType {
  AddVoter = 0,
  AddLearner = 1,
  RemovePeer = 2,
}

/** How a change list is carried out. */
export enum ConfChangeTransition {
  /** Simple if possible (one voter change), else joint with automatic leave. */
  Auto = 0,
  /** Always joint; the leader leaves it by itself once it is applied. */
  JointImplicit = 1,
  /** Always joint; the application proposes the leave itself. */
  JointExplicit = 2,
}

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly peerId: PeerId;
}

export interface ConfChange {
  readonly transition: ConfChangeTransition;
  /** Empty means: leave the joint configuration. */
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque to the core; hosts put e.g. the new peer's store address here. */
  readonly context?: Uint8Array;
}

/** The change that leaves a joint configuration. */
export const LEAVE_JOINT: ConfChange = Object.freeze({
  transition: ConfChangeTransition.Auto,
  changes: [],
});

export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0;
}

/** Whether `cc` enters a joint config, and if so whether it is left automatically. */
export function entersJoint(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  const joint = cc.transition !== ConfChangeTransition.Auto || cc.changes.length > 1;
  return {
    joint,
    autoLeave: joint && cc.transition !== ConfChangeTransition.JointExplicit,
  };
}

const FORMAT_VERSION = 1;
/** Fixed bytes: version, transition, change count (u16), context length (u32). */
const HEADER_BYTES = 8;
/** Per change: type (u8) and the id as two u32 halves (ids may exceed 2^32). */
const CHANGE_BYTES = 9;
const MAX_CHANGES = 0xffff;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  assert(cc.changes.length <= MAX_CHANGES, 'too many changes in one ConfChange');
  const context = cc.context ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER_BYTES + CHANGE_BYTES * cc.changes.length + context.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, FORMAT_VERSION);
  view.setUint8(1, cc.transition);
  view.setUint16(2, cc.changes.length);
  view.setUint32(4, context.length);
  let at = HEADER_BYTES;
  for (const change of cc.changes) {
    assert(Number.isSafeInteger(change.peerId) && change.peerId > 0, 'peer ids are positive');
    view.setUint8(at, change.type);
    view.setUint32(at + 1, Math.floor(change.peerId / 0x1_0000_0000));
    view.setUint32(at + 5, change.peerId >>> 0);
    at += CHANGE_BYTES;
  }
  out.set(context, at);
  return out;
}

/** Decodes a ConfChange entry's data; throws on bytes that are not one. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < HEADER_BYTES || view.getUint8(0) !== FORMAT_VERSION) {
    throw new Error('not an encoded ConfChange');
  }
  const transition = view.getUint8(1) as ConfChangeTransition;
  const count = view.getUint16(2);
  const contextBytes = view.getUint32(4);
  if (data.length !== HEADER_BYTES + CHANGE_BYTES * count + contextBytes) {
    throw new Error('ConfChange has the wrong length');
  }
  const changes: ConfChangeSingle[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const type = view.getUint8(at) as ConfChangeType;
    const peerId = view.getUint32(at + 1) * 0x1_0000_0000 + view.getUint32(at + 5);
    changes.push({ type, peerId });
    at += CHANGE_BYTES;
  }
  const cc: ConfChange = { transition, changes };
  return contextBytes > 0 ? { ...cc, context: data.slice(at) } : cc;
}

/** A compact text form for logs and scenario tests: "v2 l3 r1" (voter, learner, remove). */
export function describeConfChange(cc: ConfChange): string {
  if (isLeaveJoint(cc)) return 'leave-joint';
  const letter = { [ConfChangeType.AddVoter]: 'v', [ConfChangeType.AddLearner]: 'l' };
  const parts = cc.changes.map(
    (c) => `${c.type === ConfChangeType.RemovePeer ? 'r' : letter[c.type]}${c.peerId}`,
  );
  const mode = ['', ' (joint)', ' (joint, explicit)'][cc.transition];
  return parts.join(' ') + mode;
}
