/**
 * The PD gRPC service (pdService in @atoll/proto/grpc): every method of proto/pdpb.proto.
 * Each request's cluster id is checked first (GetMembers also accepts 0, for clients that
 * are still learning it); only the serving leader answers the rest, others answer
 * PD_ERR_NOT_LEADER naming the leader. Core errors become header errors; the streams are in
 * pd-stream-handlers.ts.
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';
import type { RegionWithLeader } from '../cluster/region-info.js';
import { PdError, PdErrorCode } from '../errors.js';
import { compareBytes } from '../meta/keys.js';
import { SCAN_REGIONS_MAX } from '../placement-driver.js';
import { timestampFromValue, timestampValue } from '../tso/timestamp.js';
import {
  headerForError,
  leaderMember,
  memberToProto,
  notLeaderHeader,
  okHeader,
  type PdServiceContext,
} from './pd-service-context.js';
import { regionHeartbeatHandler, tsoHandler } from './pd-stream-handlers.js';
import {
  peerToProto,
  regionFromProto,
  regionToProto,
  storeFromProto,
  storeStatsFromProto,
  storeStatsToProto,
  storeToProto,
  timestampFromProto,
} from './pd-wire.js';

interface WithRequestHeader {
  header?: atoll.pd.IRequestHeader | null;
}

type Body<Res> = Omit<Res, 'header'>;

/**
 * A unary handler: cluster id check, leadership check (unless `anyMember`), the call, and
 * errors into the header.
 */
function unary<Req extends WithRequestHeader, Res extends { header?: unknown }>(
  ctx: PdServiceContext,
  method: string,
  handle: (req: Req) => Body<Res> | Promise<Body<Res>>,
  anyMember = false,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    ctx.metrics.requests.inc({ method });
    const reply = (body: Res) => callback(null, body);
    const run = async (): Promise<Res> => {
      const req = call.request;
      const clusterId = Number(req.header?.clusterId ?? 0);
      if (!(anyMember && clusterId === 0)) ctx.pd.checkClusterId(clusterId);
      if (!anyMember && !ctx.leadership.isServing()) return { header: notLeaderHeader(ctx) } as Res;
      const body = await handle(req);
      return { ...body, header: okHeader(ctx) } as Res;
    };
    run().then(reply, (e: unknown) => reply({ header: headerForError(ctx, e, method) } as Res));
  };
}

function withLeader(r: RegionWithLeader | undefined): {
  region?: atoll.meta.IRegion;
  leader?: atoll.meta.IPeer;
} {
  if (!r) return {};
  return r.leader
    ? { region: regionToProto(r.region), leader: peerToProto(r.leader) }
    : { region: regionToProto(r.region) };
}

/**
 * The region holding the keys just below `key` (for an empty key, the last region): the one
 * holding `key` if it starts before `key`, else the one before it.
 */
function prevRegion(ctx: PdServiceContext, key: Uint8Array): RegionWithLeader | undefined {
  const { pd } = ctx;
  if (key.length === 0) {
    const meta = pd.clusterMeta;
    const last = meta.regionAt(meta.regionCount - 1);
    return last && pd.getRegionById(last.meta.id);
  }
  const holding = pd.getRegion(key);
  if (holding && compareBytes(holding.region.startKey, key) < 0) return holding;
  return pd.getPrevRegion(key);
}

/** The handlers of every pdService method. */
export function createPdService(ctx: PdServiceContext): grpc.UntypedServiceImplementation {
  const { pd } = ctx;
  const pdMembers = ctx.members.map(memberToProto);
  return {
    getMembers: unary<atoll.pd.GetMembersRequest, atoll.pd.IGetMembersResponse>(
      ctx,
      'getMembers',
      () => {
        const leader = leaderMember(ctx);
        return leader ? { members: pdMembers, leader } : { members: pdMembers };
      },
      true,
    ),
    bootstrap: unary<atoll.pd.BootstrapRequest, atoll.pd.IBootstrapResponse>(
      ctx,
      'bootstrap',
      async (req) => {
        await pd.bootstrap(storeFromProto(req.store), regionFromProto(req.region));
        return {};
      },
    ),
    isBootstrapped: unary<atoll.pd.IsBootstrappedRequest, atoll.pd.IIsBootstrappedResponse>(
      ctx,
      'isBootstrapped',
      () => ({ bootstrapped: pd.isBootstrapped() }),
    ),
    allocId: unary<atoll.pd.AllocIdRequest, atoll.pd.IAllocIdResponse>(
      ctx,
      'allocId',
      async (req) => {
        const range = await pd.allocId(req.count || 1);
        return { id: range.first, count: range.count };
      },
    ),
    putStore: unary<atoll.pd.PutStoreRequest, atoll.pd.IPutStoreResponse>(
      ctx,
      'putStore',
      async (req) => {
        await pd.putStore(storeFromProto(req.store));
        return {};
      },
    ),
    getStore: unary<atoll.pd.GetStoreRequest, atoll.pd.IGetStoreResponse>(
      ctx,
      'getStore',
      (req) => {
        const storeId = Number(req.storeId);
        const info = pd.getStore(storeId);
        if (!info) {
          throw new PdError(
            PdErrorCode.StoreNotFound,
            `store ${storeId} is not registered`,
            false,
            {
              storeId,
            },
          );
        }
        const store = storeToProto(info.meta);
        return info.stats ? { store, stats: storeStatsToProto(info.stats) } : { store };
      },
    ),
    getAllStores: unary<atoll.pd.GetAllStoresRequest, atoll.pd.IGetAllStoresResponse>(
      ctx,
      'getAllStores',
      (req) => {
        const stores = pd.getAllStores(req.excludeTombstones);
        const health = pd.storesHealth();
        return {
          stores: stores.map((s) => storeToProto(s.meta)),
          stats: stores.flatMap((s) => (s.stats ? [storeStatsToProto(s.stats)] : [])),
          health: Object.fromEntries(
            stores.map((s) => [s.meta.id, health.get(s.meta.id) ?? 'unknown']),
          ),
        };
      },
    ),
    storeHeartbeat: unary<atoll.pd.StoreHeartbeatRequest, atoll.pd.IStoreHeartbeatResponse>(
      ctx,
      'storeHeartbeat',
      (req) => {
        pd.storeHeartbeat(storeStatsFromProto(req.stats));
        return {};
      },
    ),
    askSplit: unary<atoll.pd.AskSplitRequest, atoll.pd.IAskSplitResponse>(
      ctx,
      'askSplit',
      async (req) => {
        const ids = await pd.askSplit(regionFromProto(req.region));
        return { newRegionId: ids.newRegionId, newPeerIds: [...ids.newPeerIds] };
      },
    ),
    reportSplit: unary<atoll.pd.ReportSplitRequest, atoll.pd.IReportSplitResponse>(
      ctx,
      'reportSplit',
      async (req) => {
        const leader = {
          id: Number(req.leader?.id ?? 0),
          storeId: Number(req.leader?.storeId ?? 0),
          isLearner: false,
        };
        await pd.reportSplit(regionFromProto(req.left), regionFromProto(req.right), leader);
        return {};
      },
    ),
    getRegion: unary<atoll.pd.GetRegionRequest, atoll.pd.IGetRegionResponse>(
      ctx,
      'getRegion',
      (req) => withLeader(pd.getRegion(req.key)),
    ),
    getPrevRegion: unary<atoll.pd.GetRegionRequest, atoll.pd.IGetRegionResponse>(
      ctx,
      'getPrevRegion',
      (req) => withLeader(prevRegion(ctx, req.key)),
    ),
    getRegionById: unary<atoll.pd.GetRegionByIdRequest, atoll.pd.IGetRegionResponse>(
      ctx,
      'getRegionById',
      (req) => withLeader(pd.getRegionById(Number(req.regionId))),
    ),
    scanRegions: unary<atoll.pd.ScanRegionsRequest, atoll.pd.IScanRegionsResponse>(
      ctx,
      'scanRegions',
      (req) => ({
        regions: pd
          .scanRegions(req.startKey, req.endKey, req.limit || SCAN_REGIONS_MAX)
          .map((r) => withLeader(r)),
      }),
    ),
    getGcSafePoint: unary<atoll.pd.GetGcSafePointRequest, atoll.pd.IGetGcSafePointResponse>(
      ctx,
      'getGcSafePoint',
      () => ({ safePoint: timestampFromValue(pd.getGcSafePoint()) }),
    ),
    updateGcSafePoint: unary<
      atoll.pd.UpdateGcSafePointRequest,
      atoll.pd.IUpdateGcSafePointResponse
    >(ctx, 'updateGcSafePoint', async (req) => {
      const value = timestampValue(timestampFromProto(req.safePoint));
      return { newSafePoint: timestampFromValue(await pd.updateGcSafePoint(value)) };
    }),
    regionHeartbeat: regionHeartbeatHandler(ctx),
    tso: tsoHandler(ctx),
  };
}
