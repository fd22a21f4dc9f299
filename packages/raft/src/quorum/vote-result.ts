/** The outcome of counting votes (or acknowledgements) against a quorum. */
export enum VoteResult {
  /** Not decided yet: outstanding votes could still tip it either way. */
  Pending = 'pending',
  Lost = 'lost',
  Won = 'won',
}
