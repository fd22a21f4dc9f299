/** Converts the Raft core's messages to and from their wire form (proto/raftpb.proto). */

import { atoll } from '@atoll/proto';
import type { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from '@atoll/raft';

const EMPTY = new Uint8Array(0);

export function entryToProto(e: Entry): atoll.raft.IEntry {
  return { term: e.term, index: e.index, type: e.type as number, data: e.data };
}

export function entryFromProto(e: atoll.raft.IEntry): Entry {
  return {
    term: Number(e.term ?? 0),
    index: Number(e.index ?? 0),
    type: (e.type ?? 0) as number as EntryType,
    data: e.data ?? EMPTY,
  };
}

export function confStateToProto(cs: ConfState): atoll.raft.IConfState {
  return {
    voters: [...cs.voters],
    votersOutgoing: [...cs.votersOutgoing],
    learners: [...cs.learners],
    learnersNext: [...cs.learnersNext],
    autoLeave: cs.autoLeave,
  };
}

export function confStateFromProto(cs: atoll.raft.IConfState | null | undefined): ConfState {
  return {
    voters: (cs?.voters ?? []).map(Number),
    votersOutgoing: (cs?.votersOutgoing ?? []).map(Number),
    learners: (cs?.learners ?? []).map(Number),
    learnersNext: (cs?.learnersNext ?? []).map(Number),
    autoLeave: cs?.autoLeave ?? false,
  };
}

export function snapshotToProto(s: Snapshot): atoll.raft.ISnapshot {
  return {
    metadata: {
      index: s.metadata.index,
      term: s.metadata.term,
      confState: confStateToProto(s.metadata.confState),
    },
    data: s.data,
  };
}

export function snapshotFromProto(s: atoll.raft.ISnapshot): Snapshot {
  return {
    metadata: {
      index: Number(s.metadata?.index ?? 0),
      term: Number(s.metadata?.term ?? 0),
      confState: confStateFromProto(s.metadata?.confState),
    },
    data: s.data ?? EMPTY,
  };
}

export function messageToProto(m: Message): atoll.raft.IMessage {
  const out: atoll.raft.IMessage = {
    type: m.type as number,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
  };
  if (m.entries.length > 0) out.entries = m.entries.map(entryToProto);
  if (m.snapshot) out.snapshot = snapshotToProto(m.snapshot);
  if (m.context) out.context = m.context;
  return out;
}

export function messageFromProto(m: atoll.raft.IMessage): Message {
  return {
    type: (m.type ?? 0) as number as MessageType,
    to: Number(m.to ?? 0),
    from: Number(m.from ?? 0),
    term: Number(m.term ?? 0),
    logTerm: Number(m.logTerm ?? 0),
    index: Number(m.index ?? 0),
    entries: (m.entries ?? []).map(entryFromProto),
    commit: Number(m.commit ?? 0),
    reject: m.reject ?? false,
    rejectHint: Number(m.rejectHint ?? 0),
    ...(m.snapshot ? { snapshot: snapshotFromProto(m.snapshot) } : {}),
    ...(m.context && m.context.length > 0 ? { context: m.context } : {}),
  };
}

/** Encoded message bytes, for byte accounting in batches. */
export function encodedMessageBytes(m: atoll.raft.IMessage): number {
  return atoll.raft.Message.encode(m).len;
}
