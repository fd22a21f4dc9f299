/**
 * Every bound of store-to-store traffic, in one place, each with the reason for its value.
 * Shared by the gRPC transport and the in-process memory transport so both refuse, batch and
 * window in the same way. Not here: client-facing KV limits (grpc-kv-server.ts,
 * grpc-kv-client.ts).
 */

import { LMDB_KEY_BYTES_MAX, SNAPSHOT_CHUNK_BYTES, VALUE_BYTES_MAX } from '@atoll/storage';

/**
 * Envelopes queued for one destination store before send() refuses more. A store with 1,000
 * active regions queues a few envelopes per region per loop iteration, so a dead or stalled
 * link fills this in a handful of iterations; from then on the loop reports the peers
 * unreachable and Raft falls back to probing, and a deeper queue would only hold messages
 * that are stale by the time they arrive.
 */
export const SEND_QUEUE_ENVELOPES_MAX = 16_384;

/**
 * Bytes queued for one destination store before send() refuses more: one full window of
 * maximal batches. More than the window drains in one round trip only holds stale data, and
 * this bounds what a store holds for each slow or dead peer (times the number of stores).
 */
export const SEND_QUEUE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Bytes of envelopes per RaftBatch message (estimated, see envelopeBytes). Large enough for a
 * loop iteration's appends to one store, small enough that one message does not hold the
 * HTTP/2 connection for long (4 MiB is a few ms on a LAN) and stays far under
 * GRPC_MESSAGE_BYTES_MAX. A single envelope above it still goes out, alone.
 */
export const RAFT_BATCH_BYTES_MAX = 4 * 1024 * 1024;

/**
 * Envelopes per RaftBatch message: bounds the decode work and the synchronous delivery to the
 * store done for one message, so one batch never stalls the receiving event loop for long.
 */
export const RAFT_BATCH_ENVELOPES_MAX = 4_096;

/**
 * Unacknowledged batches in flight per stream. The store loop flushes once per iteration
 * (about every millisecond under load), so 16 keeps the pipe full up to a round trip of about
 * 16 iterations; beyond that, envelopes wait in the queue and the next batch simply carries
 * more of them, which is cheaper per envelope anyway. Worst case in flight:
 * 16 x RAFT_BATCH_BYTES_MAX = 64 MiB per stream.
 */
export const RAFT_BATCH_WINDOW = 16;
/**
 * How long a receiver may hold back the ack of a batch whose sender did not ask for one at
 * once: acks of the batches arriving meanwhile go out as one. Senders ask at once every half
 * window, so this delay never holds a window shut; it only saves an ack per batch at low rates
 * (at concurrency 1 every write costs about eight batches between three stores).
 */
export const RAFT_ACK_DELAY_MS = 10;

/** First reconnect delay after a stream breaks: a restarted store is usually back quickly. */
export const RECONNECT_BACKOFF_BASE_MS = 50;

/**
 * Longest reconnect delay. A store that comes back gets its traffic within 2 s (about two
 * election timeouts at the default tick), and a dead one costs one connection attempt per
 * 1-2 s from each peer.
 */
export const RECONNECT_BACKOFF_CAP_MS = 2_000;

/**
 * Default snapshot send budget per store, all concurrent sends together. A snapshot must not
 * starve the Raft traffic of every other region on the same network link and disk; 64 MiB/s
 * moves a 1 GiB region in ~16 s, while leaving most of a 1 GbE link (and the disk) to the rest.
 */
export const SNAPSHOT_BYTES_PER_SECOND = 64 * 1024 * 1024;

/**
 * Slack for a storage chunk's framing (header, trailer record, CRC) above its payload.
 * Generous on purpose: the storage layer's framing is a few dozen bytes.
 */
const SNAPSHOT_CHUNK_FRAMING_BYTES = 4 * 1024;

/**
 * The largest snapshot chunk the transport carries (it refuses bigger ones on both sides).
 * The transport keeps its source's chunk boundaries, because the storage layer frames,
 * numbers and checksums each chunk and verifies them one by one on ingest; its chunks are
 * SNAPSHOT_CHUNK_BYTES (1 MiB) but may run over by one maximal key-value pair. So this is
 * 1 MiB + one 8 MiB value + one key + framing; a sender or receiver holds a few of these.
 */
export const SNAPSHOT_CHUNK_BYTES_MAX =
  SNAPSHOT_CHUNK_BYTES + VALUE_BYTES_MAX + LMDB_KEY_BYTES_MAX + SNAPSHOT_CHUNK_FRAMING_BYTES;

/**
 * Snapshots a store sends at once. Each holds a storage read view and gRPC buffers; more in
 * parallel would not go faster under one shared byte budget. Raft retries a refused send.
 */
export const SNAPSHOT_SENDS_MAX = 4;

/** Snapshots a store receives at once: each stages data and holds buffers (see above). */
export const SNAPSHOT_RECEIVES_MAX = 4;

/**
 * gRPC message size limit for store-to-store traffic, both directions. Above the largest
 * batch (RAFT_BATCH_BYTES_MAX, or one envelope carrying one 8 MiB request) and the largest
 * snapshot chunk, so a legitimate message is never refused by gRPC itself.
 */
export const GRPC_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * The largest frame a store accepts on its framed socket links (@atoll/proto/frames: Raft
 * batches from stores, Kv request batches from clients): the same bound as gRPC's message
 * limit, for the same reason. A bigger announced length means a broken or hostile peer, and
 * the connection is closed before anything is buffered for it.
 */
export const SOCKET_FRAME_BYTES_MAX = GRPC_MESSAGE_BYTES_MAX;

/**
 * How long a new connection to a store's port may stay silent before its first bytes tell
 * gRPC from the socket Raft link (shared-port-server.ts). Both kinds of client speak first and
 * at once; a connection silent this long is dead or not ours, and holding it costs a socket.
 */
export const CONNECTION_SNIFF_TIMEOUT_MS = 10_000;

/**
 * How long a socket Raft link waits for its batches' acknowledgement before it gives the
 * connection up (socket-raft-dialer.ts). Receivers acknowledge within RAFT_ACK_DELAY_MS, so
 * silence this long means a dead peer behind a half-open TCP connection: the same ~15 s in
 * which gRPC's keepalive finds one (grpc-options.ts). Raft resends over the next connection.
 */
export const RAFT_SOCKET_ACK_TIMEOUT_MS = 15_000;
