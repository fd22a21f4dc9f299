/**
 * Every size limit of the storage layer, with the reason for its value. Nothing here is
 * tuned at run time; a change is a code change reviewed with its reason.
 */

/**
 * The longest key LMDB stores with lmdb-js's default 4 KiB pages (lmdb-js reports it as
 * `maxKeySize`). Larger pages would raise it to 4026 but cost read amplification on the
 * small values Atoll mostly stores.
 */
export const LMDB_KEY_BYTES_MAX = 1978;

/** One byte in front of every data key says which key space it belongs to (keys.ts). */
export const KEY_SPACE_PREFIX_BYTES = 1;

/** A timestamp is a u64, stored big-endian (inverted, so newer versions sort first). */
export const TIMESTAMP_BYTES = 8;

/** Memcomparable encoding works in groups of this many bytes, each followed by a marker. */
export const MEMCOMPARABLE_GROUP_BYTES = 8;

/**
 * The longest user key, raw or transactional. A transactional key is stored as prefix +
 * memcomparable(key) + timestamp; memcomparable turns n bytes into 9 * (floor(n / 8) + 1), so
 * 1 + 9 * 218 + 8 = 1971 <= 1978 allows floor(n / 8) <= 217, i.e. n <= 1743. Raw keys could be
 * longer, but one limit for both key spaces keeps region boundaries valid in both.
 */
export const USER_KEY_BYTES_MAX = 1743;

/**
 * The largest value. A value travels inside one Raft entry, one gRPC message and one snapshot
 * chunk (a pair larger than a chunk travels alone), so this bounds the memory each of those
 * needs. 8 MiB is far above what a key-value workload stores and far below Node's buffer limits.
 */
export const VALUE_BYTES_MAX = 8 * 1024 * 1024;

/** Longest client request id the store records for de-duplication. */
export const REQUEST_ID_BYTES_MAX = 64;

/**
 * Values up to this size are stored inside the write record (Percolator's write column) so a
 * read needs one lookup instead of two. 255 is TiKV's threshold: one length byte, and small
 * enough that write records stay dense in their pages.
 */
export const SHORT_VALUE_BYTES_MAX = 255;

/**
 * Target size of one snapshot chunk. 1 MiB keeps a chunk well under gRPC's default 4 MiB
 * message cap and bounds what a sender or receiver holds per chunk, while being large enough
 * that per-chunk overhead (a header and a CRC) is negligible.
 */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

/**
 * The largest chunk a receiver accepts: the target plus one maximal key-value pair and the
 * framing. Anything larger is not a chunk this code wrote.
 */
export const SNAPSHOT_CHUNK_BYTES_MAX =
  SNAPSHOT_CHUNK_BYTES + VALUE_BYTES_MAX + LMDB_KEY_BYTES_MAX + 64;

/**
 * Named LMDB databases an environment may hold. Atoll uses four (log, state, data, stage); the
 * headroom lets a later version add some without an environment migration.
 */
export const LMDB_DATABASES_MAX = 16;

/**
 * Initial LMDB map size. lmdb-js grows the map by itself when a transaction needs more pages
 * (it doubles the file's high-water mark), so this only avoids early remaps.
 */
export const LMDB_INITIAL_MAP_BYTES = 256 * 1024 * 1024;
