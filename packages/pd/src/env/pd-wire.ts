/**
 * Conversions between the PD's wire messages (proto/pdpb.proto, metapb.proto) and the core's
 * types: regions, peers, stores, statistics, heartbeats, scheduling commands, timestamps and
 * errors. Missing fields take proto3's defaults; the core validates what the values mean.
 *
 * Not here: any decision. These functions only translate.
 */

import { atoll } from '@atoll/proto';
import type { DownPeer, RegionHeartbeat } from '../cluster/region-info.js';
import type { StoreStats } from '../cluster/store-info.js';
import { invalidArgument, PdError, PdErrorCode } from '../errors.js';
import { toHex } from '../meta/keys.js';
import type { PeerMeta, RegionMeta, StoreMeta, StoreState } from '../meta/types.js';
import type { RegionCommand } from '../operator/step.js';
import { LOGICAL_PER_MS, MAX_PHYSICAL_MS, type Timestamp } from '../tso/timestamp.js';

const EMPTY = new Uint8Array();
const { PeerRole, StoreState: WireStoreState, ChangePeerKind } = { ...atoll.meta, ...atoll.pd };

/** A wire peer as the core's PeerMeta. */
export function peerFromProto(p: atoll.meta.IPeer | null | undefined): PeerMeta {
  return {
    id: Number(p?.id ?? 0),
    storeId: Number(p?.storeId ?? 0),
    isLearner: p?.role === PeerRole.LEARNER,
  };
}

/** A core peer on the wire. */
export function peerToProto(p: PeerMeta): atoll.meta.IPeer {
  return { id: p.id, storeId: p.storeId, role: p.isLearner ? PeerRole.LEARNER : PeerRole.VOTER };
}

/** A wire region as the core's RegionMeta; PD_ERR_INVALID_ARGUMENT if absent. */
export function regionFromProto(r: atoll.meta.IRegion | null | undefined): RegionMeta {
  if (!r) throw invalidArgument('the request carries no region');
  return {
    id: Number(r.id ?? 0),
    startKey: r.startKey ?? EMPTY,
    endKey: r.endKey ?? EMPTY,
    epoch: { confVer: Number(r.epoch?.confVer ?? 0), version: Number(r.epoch?.version ?? 0) },
    peers: (r.peers ?? []).map(peerFromProto),
  };
}

/** A core region on the wire. */
export function regionToProto(r: RegionMeta): atoll.meta.IRegion {
  return {
    id: r.id,
    startKey: r.startKey,
    endKey: r.endKey,
    epoch: { confVer: r.epoch.confVer, version: r.epoch.version },
    peers: r.peers.map(peerToProto),
  };
}

const STATE_FROM_WIRE: Record<number, StoreState> = {
  [WireStoreState.UP]: 'up',
  [WireStoreState.OFFLINE]: 'offline',
  [WireStoreState.TOMBSTONE]: 'tombstone',
};
const STATE_TO_WIRE: Record<StoreState, atoll.meta.StoreState> = {
  up: WireStoreState.UP,
  offline: WireStoreState.OFFLINE,
  tombstone: WireStoreState.TOMBSTONE,
};

/** A wire store as the core's StoreMeta; PD_ERR_INVALID_ARGUMENT if absent. */
export function storeFromProto(s: atoll.meta.IStore | null | undefined): StoreMeta {
  if (!s) throw invalidArgument('the request carries no store');
  return {
    id: Number(s.id ?? 0),
    address: s.address ?? '',
    statusAddress: s.statusAddress ?? '',
    state: STATE_FROM_WIRE[s.state ?? WireStoreState.UP] ?? 'up',
    version: s.version ?? '',
  };
}

/** A core store on the wire. */
export function storeToProto(s: StoreMeta): atoll.meta.IStore {
  return {
    id: s.id,
    address: s.address,
    statusAddress: s.statusAddress,
    state: STATE_TO_WIRE[s.state],
    version: s.version,
  };
}

/** Wire store statistics as the core's StoreStats; PD_ERR_INVALID_ARGUMENT if absent. */
export function storeStatsFromProto(s: atoll.pd.IStoreStats | null | undefined): StoreStats {
  if (!s) throw invalidArgument('the heartbeat carries no statistics');
  return {
    storeId: Number(s.storeId ?? 0),
    capacity: Number(s.capacity ?? 0),
    available: Number(s.available ?? 0),
    usedSize: Number(s.usedSize ?? 0),
    regionCount: Number(s.regionCount ?? 0),
    leaderCount: Number(s.leaderCount ?? 0),
    bytesWritten: Number(s.bytesWritten ?? 0),
    keysWritten: Number(s.keysWritten ?? 0),
    intervalMs: Number(s.intervalMs ?? 0),
    isBusy: s.isBusy ?? false,
    startTimeMs: Number(s.startTimeMs ?? 0),
  };
}

/** Core store statistics on the wire. */
export function storeStatsToProto(s: StoreStats): atoll.pd.IStoreStats {
  return {
    storeId: s.storeId,
    capacity: s.capacity ?? 0,
    available: s.available ?? 0,
    usedSize: s.usedSize ?? 0,
    regionCount: s.regionCount ?? 0,
    leaderCount: s.leaderCount ?? 0,
    bytesWritten: s.bytesWritten ?? 0,
    keysWritten: s.keysWritten ?? 0,
    intervalMs: s.intervalMs ?? 0,
    isBusy: s.isBusy ?? false,
    startTimeMs: s.startTimeMs ?? 0,
  };
}

/** A RegionHeartbeatRequest as the core's RegionHeartbeat. */
export function heartbeatFromProto(req: atoll.pd.IRegionHeartbeatRequest): RegionHeartbeat {
  if (!req.leader) throw invalidArgument('the region heartbeat names no leader');
  const downPeers: DownPeer[] = (req.downPeers ?? []).map((d) => ({
    peer: peerFromProto(d.peer),
    downSeconds: Number(d.downSeconds ?? 0),
  }));
  const hint = req.splitKeyHint;
  return {
    region: regionFromProto(req.region),
    leader: peerFromProto(req.leader),
    downPeers,
    pendingPeers: (req.pendingPeers ?? []).map(peerFromProto),
    approximateSize: Number(req.approximateSize ?? 0),
    approximateKeys: Number(req.approximateKeys ?? 0),
    bytesWritten: Number(req.bytesWritten ?? 0),
    keysWritten: Number(req.keysWritten ?? 0),
    intervalMs: Number(req.intervalMs ?? 0),
    ...(hint && hint.length > 0 ? { splitKeyHint: hint } : {}),
  };
}

const CHANGE_KIND = {
  'add-learner': ChangePeerKind.ADD_LEARNER,
  'add-voter': ChangePeerKind.ADD_VOTER,
  remove: ChangePeerKind.REMOVE,
} as const;

/** A scheduling command as the RegionHeartbeatResponse that carries it. */
export function commandToProto(
  cmd: RegionCommand,
  clusterId: number,
): atoll.pd.IRegionHeartbeatResponse {
  const out: atoll.pd.IRegionHeartbeatResponse = {
    header: { clusterId },
    regionId: cmd.regionId,
    regionEpoch: { confVer: cmd.epoch.confVer, version: cmd.epoch.version },
  };
  const c = cmd.command;
  switch (c.kind) {
    case 'change-peer':
      out.changePeer = { kind: CHANGE_KIND[c.change], peer: peerToProto(c.peer) };
      break;
    case 'transfer-leader':
      out.transferLeader = { peer: peerToProto(c.peer) };
      break;
    case 'split-region':
      out.splitRegion = {
        splitKey: c.splitKey,
        newRegionId: c.newRegionId,
        newPeerIds: [...c.newPeerIds],
      };
      break;
  }
  return out;
}

/** A wire timestamp as the core's; PD_ERR_INVALID_ARGUMENT if absent or out of range. */
export function timestampFromProto(ts: atoll.pd.ITimestamp | null | undefined): Timestamp {
  if (!ts) throw invalidArgument('the request carries no timestamp');
  const physical = Number(ts.physical ?? 0);
  const logical = ts.logical ?? 0;
  const physicalOk = Number.isSafeInteger(physical) && physical >= 0 && physical <= MAX_PHYSICAL_MS;
  if (!physicalOk || !Number.isInteger(logical) || logical < 0 || logical >= LOGICAL_PER_MS) {
    throw invalidArgument(`timestamp ${physical}.${logical} is out of range`);
  }
  return { physical, logical };
}

/**
 * A PdError as atoll.error.Error. Details travel as JSON; byte arrays (keys in
 * `currentRegions`) become hex strings, regions keep their fields.
 */
export function errorToProto(e: PdError): atoll.error.IError {
  const details =
    Object.keys(e.details).length === 0
      ? ''
      : JSON.stringify(e.details, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
  return { code: e.code, message: e.message, retryable: e.retryable, detailsJson: details };
}

/** Whether `e` is PD_ERR_NOT_LEADER. */
export function isNotLeader(e: unknown): boolean {
  return e instanceof PdError && e.code === PdErrorCode.NotLeader;
}
