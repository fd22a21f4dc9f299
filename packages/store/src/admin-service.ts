/**
 * Administrative operations on this store's regions (splits, membership changes, leader
 * transfers), independent of gRPC. Each runs through Raft on the region's leader.
 */

import type { atoll } from '@atoll/proto';
import { type ConfChangeSingle, ConfChangeTransition, ConfChangeType } from '@atoll/raft';
import { StoreError, StoreErrorCode } from './errors.js';
import { errorToProto } from './kv-service.js';
import type { PeerMeta } from './region.js';
import type { WriteOutcome } from './region-peer.js';
import type { RequestRoute, Store } from './store.js';

type AdminResponse = atoll.admin.IAdminResponse;

function route(regionId: unknown, epoch: atoll.meta.IRegionEpoch | null | undefined): RequestRoute {
  if (!regionId || !epoch)
    throw new StoreError(StoreErrorCode.Malformed, 'an admin request names its region and epoch');
  return {
    regionId: Number(regionId),
    epoch: { confVer: Number(epoch.confVer ?? 0), version: Number(epoch.version ?? 0) },
  };
}

function toResponse(o: WriteOutcome): AdminResponse {
  if (o.ok) return {};
  return 'regionError' in o ? { regionError: o.regionError } : { error: errorToProto(o.error) };
}

async function guard(run: () => Promise<AdminResponse>): Promise<AdminResponse> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof StoreError) return { error: errorToProto(e) };
    throw e;
  }
}

export class AdminService {
  constructor(private readonly store: Store) {}

  split(r: atoll.admin.ISplitRegionRequest): Promise<AdminResponse> {
    return guard(async () => {
      const key = r.splitKey ?? new Uint8Array();
      if (key.length === 0)
        throw new StoreError(StoreErrorCode.InvalidAdmin, 'a split needs a split key');
      if (!r.newRegionId)
        throw new StoreError(StoreErrorCode.InvalidAdmin, 'a split needs the new region id');
      const out = await this.store.proposeSplit(
        route(r.regionId, r.epoch),
        key,
        Number(r.newRegionId),
        (r.newPeerIds ?? []).map(Number),
      );
      return toResponse(out);
    });
  }

  changePeers(r: atoll.admin.IChangePeersRequest): Promise<AdminResponse> {
    return guard(async () => {
      const changes: ConfChangeSingle[] = [];
      const peers: PeerMeta[] = [];
      for (const c of r.changes ?? []) {
        const id = Number(c.peer?.id ?? 0);
        if (!id) throw new StoreError(StoreErrorCode.InvalidAdmin, 'a peer change names its peer');
        const type = [
          ConfChangeType.AddVoter,
          ConfChangeType.AddLearner,
          ConfChangeType.RemovePeer,
        ][c.kind ?? 0];
        if (type === undefined)
          throw new StoreError(StoreErrorCode.InvalidAdmin, `unknown change kind ${c.kind}`);
        changes.push({ type, peerId: id });
        if (type !== ConfChangeType.RemovePeer) {
          peers.push({
            id,
            storeId: Number(c.peer?.storeId ?? 0),
            isLearner: type === ConfChangeType.AddLearner,
          });
        }
      }
      if (changes.length === 0)
        throw new StoreError(StoreErrorCode.InvalidAdmin, 'no changes given');
      const transition = r.joint ? ConfChangeTransition.JointImplicit : ConfChangeTransition.Auto;
      return toResponse(
        await this.store.proposeConfChange(
          route(r.regionId, r.epoch),
          { transition, changes },
          peers,
        ),
      );
    });
  }

  transferLeader(r: atoll.admin.ITransferLeaderRequest): Promise<AdminResponse> {
    return guard(async () => {
      const err = this.store.transferLeader(route(r.regionId, r.epoch), Number(r.toPeerId ?? 0));
      return err ? { regionError: err } : {};
    });
  }

  status(): atoll.admin.IStatusResponse {
    return {
      storeId: this.store.storeId,
      regions: [...this.store.peers.values()].map((p) => ({
        region: {
          id: p.region.id,
          startKey: p.region.startKey,
          endKey: p.region.endKey,
          epoch: p.region.epoch,
          peers: p.region.peers.map((x) => ({
            id: x.id,
            storeId: x.storeId,
            role: x.isLearner ? 1 : 0,
          })),
        },
        peerId: p.peerId,
        role: p.node.raft.role,
        leaderPeerId: p.leaderPeerId,
        appliedIndex: p.appliedIndex,
        quiescent: p.quiescent,
      })),
    };
  }
}
