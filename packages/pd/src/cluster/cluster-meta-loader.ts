/**
 * Loads a leader term's cluster metadata from MetaStorage: checks the cluster id (writing
 * it on the very first start), reads the bootstrap flag, every store and every region.
 * Regions are re-inserted under the heartbeat rules, oldest version first, so if a crash
 * left an overlap behind (a new region written, the regions it replaced not yet deleted),
 * the newer description wins and the loser's record is deleted.
 *
 * Records found without the bootstrap flag are the remains of a bootstrap that did not
 * finish; they are deleted so that bootstrap can run again from scratch.
 */

import type { Clock } from '../clock.js';
import type { PdConfig } from '../config.js';
import { PdError, PdErrorCode } from '../errors.js';
import type { RegionMeta } from '../meta/types.js';
import { decodeRegion, decodeStore } from '../storage/meta-codec.js';
import {
  BOOTSTRAP_KEY,
  CLUSTER_ID_KEY,
  decodeDecimal,
  encodeDecimal,
  REGION_RANGE,
  regionKey,
  STORE_RANGE,
} from '../storage/meta-keys.js';
import type { MetaEntry, MetaStorage, MetaWrite } from '../storage/meta-storage.js';
import type { MetaWriter } from '../storage/meta-writer.js';
import { ClusterMeta } from './cluster-meta.js';

/** Records read per scan call: bounds one storage response (~1 MiB of region records). */
export const LOAD_SCAN_BATCH = 1024;

/** Loads the cluster metadata; throws PD_ERR_CLUSTER_MISMATCH if it is another cluster's. */
export async function loadClusterMeta(
  storage: MetaStorage,
  writer: MetaWriter,
  clock: Clock,
  config: PdConfig,
  clusterId: number,
): Promise<ClusterMeta> {
  const storedId = await storage.get(CLUSTER_ID_KEY);
  if (storedId === undefined) {
    await writer.write([{ kind: 'put', key: CLUSTER_ID_KEY, value: encodeDecimal(clusterId) }]);
  } else if (decodeDecimal(storedId) !== BigInt(clusterId)) {
    throw new PdError(
      PdErrorCode.ClusterMismatch,
      `the metadata belongs to cluster ${new TextDecoder().decode(storedId)}, not ${clusterId}`,
      false,
      { clusterId },
    );
  }
  const meta = new ClusterMeta(clusterId, config, writer, clock);
  const stores = await scanAll(storage, STORE_RANGE.start, STORE_RANGE.end);
  const regions = await scanAll(storage, REGION_RANGE.start, REGION_RANGE.end);
  const cleanup: MetaWrite[] = [];

  if ((await storage.get(BOOTSTRAP_KEY)) === undefined) {
    for (const e of [...stores, ...regions]) cleanup.push({ kind: 'delete', key: e.key });
  } else {
    meta.restoreBootstrapped();
    for (const e of stores) meta.restoreStore(decodeStore(e.value));
    const decoded: RegionMeta[] = regions.map((e) => decodeRegion(e.value));
    decoded.sort((a, b) => a.epoch.version - b.epoch.version || a.id - b.id);
    for (const r of decoded) {
      const replaced = meta.restoreRegion(r);
      const losers = replaced ?? [r];
      for (const l of losers) cleanup.push({ kind: 'delete', key: regionKey(l.id) });
    }
  }
  if (cleanup.length > 0) await writer.write(cleanup);
  return meta;
}

async function scanAll(
  storage: MetaStorage,
  start: Uint8Array,
  end: Uint8Array,
): Promise<MetaEntry[]> {
  const out: MetaEntry[] = [];
  let from = start;
  for (;;) {
    const batch = await storage.scan(from, end, LOAD_SCAN_BATCH);
    out.push(...batch);
    if (batch.length < LOAD_SCAN_BATCH) return out;
    const last = batch[batch.length - 1]!.key;
    from = new Uint8Array(last.length + 1);
    from.set(last);
  }
}
