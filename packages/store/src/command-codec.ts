/**
 * What a region's Raft entries carry: one client write request or one admin command,
 * encoded as atoll.store.RaftCommand (proto/storepb.proto). Entries are replayed after a
 * crash, so the encoding is part of the on-disk format.
 */

import { atoll } from '@atoll/proto';
import type { Epoch } from './region.js';

export type WriteOp = atoll.store.IWriteOp;

export interface Command {
  readonly regionId: number;
  /** The epoch the proposer checked; apply refuses a command whose epoch went stale. */
  readonly epoch: Epoch;
  readonly writes: readonly WriteOp[];
  readonly split?: { splitKey: Uint8Array; newRegionId: number; newPeerIds: number[] };
  /** The client's id for the write (empty: none); see request-table.ts. */
  readonly requestId?: Uint8Array;
  /** The proposing leader's wall clock, ms (0: unknown). */
  readonly proposedAtMs?: number;
}

export function encodeCommand(c: Command): Uint8Array {
  const msg: atoll.store.IRaftCommand = {
    regionId: c.regionId,
    epoch: { confVer: c.epoch.confVer, version: c.epoch.version },
    writes: c.writes as atoll.store.IWriteOp[],
  };
  if (c.requestId && c.requestId.length > 0) msg.requestId = c.requestId;
  if (c.proposedAtMs) msg.proposedAtMs = c.proposedAtMs;
  if (c.split) msg.admin = { split: c.split };
  return atoll.store.RaftCommand.encode(msg).finish();
}

export function decodeCommand(data: Uint8Array): Command {
  const m = atoll.store.RaftCommand.decode(data);
  const split = m.admin?.split;
  return {
    regionId: Number(m.regionId),
    epoch: { confVer: Number(m.epoch?.confVer ?? 0), version: Number(m.epoch?.version ?? 0) },
    writes: m.writes ?? [],
    requestId: m.requestId ?? new Uint8Array(),
    proposedAtMs: Number(m.proposedAtMs ?? 0),
    ...(split
      ? {
          split: {
            splitKey: split.splitKey ?? new Uint8Array(),
            newRegionId: Number(split.newRegionId ?? 0),
            newPeerIds: (split.newPeerIds ?? []).map(Number),
          },
        }
      : {}),
  };
}
