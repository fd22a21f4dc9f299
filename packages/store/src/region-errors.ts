/**
 * Region errors: answers that tell a client its route is stale (atoll.error.RegionError).
 * A store returns one instead of ever serving a request for a region it does not lead, an
 * epoch that is not current, or a key outside the region.
 */

import type { atoll } from '@atoll/proto';
import { type RegionMeta, toProtoRegion } from './region.js';

export type RegionError = atoll.error.IRegionError;

export function notLeader(region: RegionMeta, leaderPeerId: number): RegionError {
  const leader = region.peers.find((p) => p.id === leaderPeerId);
  return {
    message: `this store is not the leader of region ${region.id}${leader ? `; try store ${leader.storeId}` : ''}`,
    notLeader: {
      regionId: region.id,
      ...(leader
        ? { leader: { id: leader.id, storeId: leader.storeId, role: leader.isLearner ? 1 : 0 } }
        : {}),
    },
  };
}

export function epochNotMatch(
  current: readonly RegionMeta[],
  requested?: { confVer: number; version: number },
): RegionError {
  const want = requested ? ` (request had ${requested.confVer}/${requested.version})` : '';
  return {
    message: `region epoch does not match${want}; current regions attached`,
    epochNotMatch: { currentRegions: current.map(toProtoRegion) },
  };
}

export function keyNotInRegion(key: Uint8Array, region: RegionMeta): RegionError {
  return {
    message: `key is not in region ${region.id}`,
    keyNotInRegion: { key, regionId: region.id, startKey: region.startKey, endKey: region.endKey },
  };
}

export function regionNotFound(regionId: number): RegionError {
  return { message: `region ${regionId} is not on this store`, regionNotFound: { regionId } };
}

export function serverIsBusy(reason: string, backoffMs: number): RegionError {
  return { message: `server is busy: ${reason}`, serverIsBusy: { reason, backoffMs } };
}

export function proposalDropped(reason: string): RegionError {
  return {
    message: `proposal dropped: ${reason}; nothing was written`,
    proposalDropped: { reason },
  };
}
