/**
 * What a region's Raft entries carry: the client write requests a leader batched in one
 * store-loop turn, or one admin command, encoded as atoll.store.RaftCommand
 * (proto/storepb.proto). Entries are replayed after a crash, so the encoding is part of the
 * on-disk format.
 */

import { atoll } from '@atoll/proto';
import { decodeWriteCommand, encodeWriteCommand } from './command-wire.js';
import type { Epoch } from './region.js';

export type WriteOp = atoll.store.IWriteOp;

/** One client write request: its writes apply together or not at all. */
export interface WriteRequest {
  readonly writes: readonly WriteOp[];
  /** The client's id for the write (empty: none); see request-table.ts. */
  readonly requestId?: Uint8Array;
}

export interface Command {
  readonly regionId: number;
  /** The epoch the proposer checked; apply refuses a command whose epoch went stale. */
  readonly epoch: Epoch;
  /** Client writes, applied in order, each with its own outcome. */
  readonly requests: readonly WriteRequest[];
  readonly split?: { splitKey: Uint8Array; newRegionId: number; newPeerIds: number[] };
  /** The proposing leader's wall clock, ms (0: unknown). */
  readonly proposedAtMs?: number;
}

export function encodeCommand(c: Command): Uint8Array {
  return encodeWriteCommand(c) ?? encodeWithProtobufjs(c);
}

export function decodeCommand(data: Uint8Array): Command {
  return decodeWriteCommand(data) ?? decodeWithProtobufjs(data);
}

/** Any command (admin ones, other operations); the bytes equal command-wire.ts's. */
export function encodeWithProtobufjs(c: Command): Uint8Array {
  const msg: atoll.store.IRaftCommand = {
    regionId: c.regionId,
    epoch: { confVer: c.epoch.confVer, version: c.epoch.version },
  };
  if (c.requests.length > 0) {
    msg.requests = c.requests.map((r) =>
      r.requestId && r.requestId.length > 0
        ? { writes: r.writes as atoll.store.IWriteOp[], requestId: r.requestId }
        : { writes: r.writes as atoll.store.IWriteOp[] },
    );
  }
  if (c.proposedAtMs) msg.proposedAtMs = c.proposedAtMs;
  if (c.split) msg.admin = { split: c.split };
  return atoll.store.RaftCommand.encode(msg).finish();
}

/** Any command, in the old layouts too; throws on malformed bytes. */
export function decodeWithProtobufjs(data: Uint8Array): Command {
  const m = atoll.store.RaftCommand.decode(data);
  const split = m.admin?.split;
  const requests: WriteRequest[] = (m.requests ?? []).map((r) => ({
    writes: r.writes ?? [],
    requestId: r.requestId ?? new Uint8Array(),
  }));
  // The format before batching: one request in the command's own fields.
  if ((m.writes?.length ?? 0) > 0 || (m.requestId?.length ?? 0) > 0) {
    requests.unshift({ writes: m.writes ?? [], requestId: m.requestId ?? new Uint8Array() });
  }
  return {
    regionId: Number(m.regionId),
    epoch: { confVer: Number(m.epoch?.confVer ?? 0), version: Number(m.epoch?.version ?? 0) },
    requests,
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
