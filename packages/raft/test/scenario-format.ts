/** Text forms of Raft data for scripted scenarios: stable, compact, diff-friendly. */

import {
  decodeConfChange,
  describeConfChange,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type Ready,
} from '../src/index.js';

const dec = new TextDecoder();

export function formatEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange)
    return `${e.term}/${e.index} conf(${describeConfChange(decodeConfChange(e.data))})`;
  return e.data.length === 0
    ? `${e.term}/${e.index}`
    : `${e.term}/${e.index} "${dec.decode(e.data)}"`;
}

export function formatEntries(entries: readonly Entry[]): string {
  return `[${entries.map(formatEntry).join(', ')}]`;
}

function formatHardState(hs: HardState): string {
  return `term=${hs.term} vote=${hs.vote} commit=${hs.commit}`;
}

export function formatMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${MessageType[m.type]} term=${m.term}`];
  switch (m.type) {
    case MessageType.Append:
      parts.push(`prev=${m.logTerm}/${m.index} commit=${m.commit}`);
      if (m.entries.length > 0) parts.push(formatEntries(m.entries));
      break;
    case MessageType.AppendResponse:
      parts.push(`index=${m.index}`);
      if (m.reject) parts.push(`rejected hint=${m.logTerm}/${m.rejectHint}`);
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      parts.push(`last=${m.logTerm}/${m.index}`);
      if (m.context?.length) parts.push('(transfer)');
      break;
    case MessageType.VoteResponse:
    case MessageType.PreVoteResponse:
      parts.push(m.reject ? 'rejected' : 'granted');
      break;
    case MessageType.Heartbeat:
      parts.push(`commit=${m.commit}`);
      if (m.context?.length) parts.push(`ctx="${dec.decode(m.context)}"`);
      break;
    case MessageType.HeartbeatResponse:
      if (m.context?.length) parts.push(`ctx="${dec.decode(m.context)}"`);
      break;
    case MessageType.Snapshot:
      parts.push(`snapshot=${m.snapshot?.metadata.term}/${m.snapshot?.metadata.index}`);
      break;
    case MessageType.ReadIndex:
    case MessageType.ReadIndexResponse:
      parts.push(`index=${m.index} ctx="${dec.decode(m.entries[0]?.data ?? new Uint8Array())}"`);
      break;
  }
  return parts.join(' ');
}

/** One Ready as indented lines under a header. */
export function formatReady(id: number, rd: Ready): string[] {
  const lines: string[] = [`peer ${id} Ready ${rd.number}:`];
  if (rd.softState) lines.push(`  state: ${rd.softState.role}, leader ${rd.softState.leaderId}`);
  if (rd.hardState) lines.push(`  hard state: ${formatHardState(rd.hardState)}`);
  if (rd.snapshot)
    lines.push(`  snapshot: ${rd.snapshot.metadata.term}/${rd.snapshot.metadata.index}`);
  if (rd.entries.length > 0) lines.push(`  append: ${formatEntries(rd.entries)}`);
  if (rd.committedEntries.length > 0) lines.push(`  apply: ${formatEntries(rd.committedEntries)}`);
  for (const m of rd.messages) lines.push(`  send: ${formatMessage(m)}`);
  for (const m of rd.messagesAfterPersist) lines.push(`  send after persist: ${formatMessage(m)}`);
  for (const rs of rd.readStates)
    lines.push(`  read state: index=${rs.index} ctx="${dec.decode(rs.context)}"`);
  return lines;
}
