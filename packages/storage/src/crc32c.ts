/**
 * CRC-32C (Castagnoli), table-driven, for snapshot chunks. Castagnoli rather than the zlib
 * CRC-32 because it detects more error patterns at these lengths and is what iSCSI, ext4 and
 * RocksDB use; and node:zlib's crc32 (IEEE) is not in every Node 20 release. Not a hash for
 * adversarial input: it catches corruption and truncation, not tampering.
 */

/** Reflected Castagnoli polynomial. */
const POLY = 0x82f63b78;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/**
 * Extends a running CRC-32C with `bytes`. Start with `crc32c(bytes)` (seed 0) and chain
 * `crc32c(next, previous)`; the result equals the CRC of the concatenation.
 */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  // A signed 32-bit accumulator keeps V8 on integer arithmetic (about 10x faster than
  // the unsigned form, which makes it fall back to doubles).
  let c = ~previous | 0;
  for (let i = 0; i < bytes.byteLength; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
