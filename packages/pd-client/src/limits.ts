/**
 * Every timeout, back-off and bound of the PD client, each with the reason for its value.
 * Not here: the server's limits (packages/pd).
 */

/**
 * Default deadline of one call, retries included. 10 s covers a PD leader election (about
 * 1 s at the default 50 ms tick), the new leader loading its metadata and a few back-offs,
 * with room to spare on a loaded machine.
 */
export const PD_CALL_TIMEOUT_MS = 10_000;

/**
 * Longest single attempt at one PD member. A PD answers in milliseconds (writes wait for one
 * Raft round); an attempt that takes longer than 3 s is talking to a hung or partitioned
 * member, and the remaining budget is better spent finding the leader again.
 */
export const PD_ATTEMPT_TIMEOUT_MS = 3_000;

/**
 * Longest wait for one member's GetMembers answer while looking for the leader. Every known
 * member is asked at once, so one black-holed address costs at most this long.
 */
export const PD_DISCOVERY_TIMEOUT_MS = 1_000;

/** First back-off after a failed attempt: a leader change is often visible within 50 ms. */
export const PD_BACKOFF_BASE_MS = 50;

/**
 * Longest back-off. One election timeout at the default tick (0.5-1 s): retrying faster
 * cannot find a new leader sooner, retrying slower only lengthens a failover.
 */
export const PD_BACKOFF_CAP_MS = 1_000;

/**
 * NOT_LEADER redirects followed at once before backing off: two hops always reach a leader
 * that exists; more means the members disagree (an election is under way).
 */
export const PD_REDIRECTS_WITHOUT_BACKOFF = 2;

/**
 * Most timestamps asked for in one TSO request: one millisecond's worth of logical values
 * (2^18), the most the PD hands out in one batch (it shares one physical time).
 */
export const TSO_BATCH_MAX = 1 << 18;

/**
 * Most getTimestamp() calls waiting at once. About a second of a very busy client; beyond it
 * callers are refused (retryable) instead of queueing without bound while PD is away.
 */
export const TSO_WAITING_MAX = 1_000_000;

/**
 * Region heartbeats held (the latest per region) while the heartbeat stream is down, sent
 * when it is back. Heartbeats are re-sent periodically anyway; this only shortens the time
 * a new PD leader waits to hear about busy regions. 4,096 bounds the memory to a few MiB.
 */
export const REGION_HEARTBEATS_PENDING_MAX = 4_096;
