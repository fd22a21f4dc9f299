/** How (pre-)candidates handle messages (Raft §5.2, thesis §9.6). */

import { proposalDropped } from './errors.js';
import { VoteResult } from './quorum/vote-result.js';
import { CampaignType, type Raft } from './raft.js';
import { bcastAppend } from './replication.js';
import { handleAppend, handleHeartbeat, handleSnapshot } from './step-follower.js';
import { type Message, MessageType, NONE, Role } from './types.js';

export function stepCandidate(r: Raft, m: Message): void {
  // Only responses to our own kind of request count: a late VoteResponse of an earlier
  // election must not count toward a pre-election, nor the other way round.
  const ourResponse =
    r.role === Role.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
  switch (m.type) {
    case MessageType.Propose:
    case MessageType.ReadIndex:
      throw proposalDropped('not-leader', NONE);
    case MessageType.Append:
      r.becomeFollower(m.term, m.from);
      handleAppend(r, m);
      return;
    case MessageType.Heartbeat:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case MessageType.Snapshot:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case MessageType.TimeoutNow:
      return;
    case ourResponse:
      switch (r.poll(m.from, !m.reject)) {
        case VoteResult.Won:
          if (r.role === Role.PreCandidate) {
            r.campaign(CampaignType.Election);
          } else {
            r.becomeLeader();
            bcastAppend(r);
          }
          return;
        case VoteResult.Lost:
          // A rejection at a higher term already made us a follower in step().
          r.becomeFollower(r.term, NONE);
          return;
        case VoteResult.Pending:
          return;
      }
  }
}
