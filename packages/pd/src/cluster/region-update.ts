/**
 * The decision at the heart of region heartbeats: given what the PD knows, is a reported
 * region description stale, or what does it replace? Pure: it changes nothing.
 *
 * Rules (as PD's): a report whose epoch is older than the known one for the same id, in
 * either version or confVer, is stale. A report that overlaps regions with a strictly newer
 * version is stale too (a region that has not heard of its own split yet). Otherwise the
 * report replaces every region it overlaps: they are the earlier shapes of the key range it
 * now covers (after a split, the parent's shrunk range and the new region each replace the
 * parent's old range). So the index never holds two overlapping regions.
 */

import { PdError, PdErrorCode } from '../errors.js';
import { describeRegion, isEpochStale, sameEpoch } from '../meta/epoch.js';
import { bytesEqual } from '../meta/keys.js';
import type { RegionMeta } from '../meta/types.js';
import type { RegionInfo } from './region-info.js';
import type { RegionTree } from './region-tree.js';

/** What accepting a report changes. */
export interface RegionUpdatePlan {
  /** The region as known before, if it was. */
  readonly previous: RegionInfo | undefined;
  /** Other regions the report replaces (removed from the index and from storage). */
  readonly replaced: readonly RegionInfo[];
  /** Whether the range moved (the index entry must be replaced). */
  readonly rangeChanged: boolean;
  /** Whether the description changed in a way that must be persisted. */
  readonly mustPersist: boolean;
}

/**
 * Decides what `incoming` does; throws PD_ERR_STALE_EPOCH (with what the PD knows) if it is
 * stale, and PD_ERR_INVALID_REGION if its range changed without a version bump.
 */
export function planRegionUpdate(
  incoming: RegionMeta,
  lookup: (regionId: number) => RegionInfo | undefined,
  tree: RegionTree,
): RegionUpdatePlan {
  const previous = lookup(incoming.id);
  if (previous && isEpochStale(incoming.epoch, previous.meta.epoch)) {
    throw stale(incoming, [previous.meta]);
  }
  const rangeChanged =
    !previous ||
    !bytesEqual(previous.meta.startKey, incoming.startKey) ||
    !bytesEqual(previous.meta.endKey, incoming.endKey);
  if (previous && rangeChanged && previous.meta.epoch.version === incoming.epoch.version) {
    throw new PdError(
      PdErrorCode.InvalidRegion,
      `${describeRegion(incoming)}: range changed without a version bump (was ${describeRegion(previous.meta)})`,
      false,
      { regionId: incoming.id },
    );
  }
  const replaced: RegionInfo[] = [];
  if (rangeChanged) {
    for (const entry of tree.overlapping(incoming.startKey, incoming.endKey)) {
      if (entry.id === incoming.id) continue;
      const other = lookup(entry.id)!;
      if (other.meta.epoch.version > incoming.epoch.version) {
        const newer = tree
          .overlapping(incoming.startKey, incoming.endKey)
          .map((e) => lookup(e.id)!.meta);
        throw stale(incoming, newer);
      }
      replaced.push(other);
    }
  }
  const mustPersist =
    !previous ||
    rangeChanged ||
    !sameEpoch(previous.meta.epoch, incoming.epoch) ||
    !samePeers(previous.meta, incoming);
  return { previous, replaced, rangeChanged, mustPersist };
}

function samePeers(a: RegionMeta, b: RegionMeta): boolean {
  if (a.peers.length !== b.peers.length) return false;
  return a.peers.every((p) =>
    b.peers.some((q) => q.id === p.id && q.storeId === p.storeId && q.isLearner === p.isLearner),
  );
}

function stale(incoming: RegionMeta, current: readonly RegionMeta[]): PdError {
  return new PdError(
    PdErrorCode.StaleEpoch,
    `${describeRegion(incoming)} is stale: the PD knows ${current.map(describeRegion).join(', ')}`,
    false,
    { regionId: incoming.id, currentRegions: current },
  );
}
