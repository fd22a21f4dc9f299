/**
 * gRPC service definitions for @grpc/grpc-js, built from the protobufjs static code, so
 * servers and clients of every package share one definition per service.
 *
 * @example
 * const server = new grpc.Server();
 * server.addService(kvService, { call, stream });
 * const Client = grpc.makeGenericClientConstructor(kvService, 'Kv');
 */

import { atoll } from '@atoll/proto';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

function method<Req, Res>(
  path: string,
  request: MessageType<Req>,
  response: MessageType<Res>,
  requestStream: boolean,
  responseStream: boolean,
): MethodDefinition<Req, Res> {
  const toBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: (m: Req) => toBuffer(request.encode(m).finish()),
    requestDeserialize: (b: Buffer) => request.decode(b),
    responseSerialize: (m: Res) => toBuffer(response.encode(m).finish()),
    responseDeserialize: (b: Buffer) => response.decode(b),
  };
}

const kv = atoll.kv;
export const kvService = {
  call: method('/atoll.kv.Kv/Call', kv.KvRequest, kv.KvResponse, false, false),
  stream: method('/atoll.kv.Kv/Stream', kv.KvRequestBatch, kv.KvResponseBatch, true, true),
} satisfies ServiceDefinition;

const st = atoll.store;
export const storeTransportService = {
  raft: method('/atoll.store.StoreTransport/Raft', st.RaftBatch, st.RaftBatchAck, true, true),
  snapshot: method(
    '/atoll.store.StoreTransport/Snapshot',
    st.SnapshotChunk,
    st.SnapshotDone,
    true,
    false,
  ),
} satisfies ServiceDefinition;

const pd = atoll.pd;
const unary = <Req, Res>(name: string, req: MessageType<Req>, res: MessageType<Res>) =>
  method(`/atoll.pd.PD/${name}`, req, res, false, false);
export const pdService = {
  getMembers: unary('GetMembers', pd.GetMembersRequest, pd.GetMembersResponse),
  bootstrap: unary('Bootstrap', pd.BootstrapRequest, pd.BootstrapResponse),
  isBootstrapped: unary('IsBootstrapped', pd.IsBootstrappedRequest, pd.IsBootstrappedResponse),
  allocId: unary('AllocId', pd.AllocIdRequest, pd.AllocIdResponse),
  putStore: unary('PutStore', pd.PutStoreRequest, pd.PutStoreResponse),
  getStore: unary('GetStore', pd.GetStoreRequest, pd.GetStoreResponse),
  getAllStores: unary('GetAllStores', pd.GetAllStoresRequest, pd.GetAllStoresResponse),
  storeHeartbeat: unary('StoreHeartbeat', pd.StoreHeartbeatRequest, pd.StoreHeartbeatResponse),
  regionHeartbeat: method(
    '/atoll.pd.PD/RegionHeartbeat',
    pd.RegionHeartbeatRequest,
    pd.RegionHeartbeatResponse,
    true,
    true,
  ),
  askSplit: unary('AskSplit', pd.AskSplitRequest, pd.AskSplitResponse),
  reportSplit: unary('ReportSplit', pd.ReportSplitRequest, pd.ReportSplitResponse),
  getRegion: unary('GetRegion', pd.GetRegionRequest, pd.GetRegionResponse),
  getPrevRegion: unary('GetPrevRegion', pd.GetRegionRequest, pd.GetRegionResponse),
  getRegionById: unary('GetRegionById', pd.GetRegionByIdRequest, pd.GetRegionResponse),
  scanRegions: unary('ScanRegions', pd.ScanRegionsRequest, pd.ScanRegionsResponse),
  tso: method('/atoll.pd.PD/Tso', pd.TsoRequest, pd.TsoResponse, true, true),
  getGcSafePoint: unary('GetGcSafePoint', pd.GetGcSafePointRequest, pd.GetGcSafePointResponse),
  updateGcSafePoint: unary(
    'UpdateGcSafePoint',
    pd.UpdateGcSafePointRequest,
    pd.UpdateGcSafePointResponse,
  ),
} satisfies ServiceDefinition;

const admin = atoll.admin;
export const adminService = {
  splitRegion: method(
    '/atoll.admin.Admin/SplitRegion',
    admin.SplitRegionRequest,
    admin.AdminResponse,
    false,
    false,
  ),
  changePeers: method(
    '/atoll.admin.Admin/ChangePeers',
    admin.ChangePeersRequest,
    admin.AdminResponse,
    false,
    false,
  ),
  transferLeader: method(
    '/atoll.admin.Admin/TransferLeader',
    admin.TransferLeaderRequest,
    admin.AdminResponse,
    false,
    false,
  ),
  status: method(
    '/atoll.admin.Admin/Status',
    admin.StatusRequest,
    admin.StatusResponse,
    false,
    false,
  ),
} satisfies ServiceDefinition;
