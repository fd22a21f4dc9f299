/** The Admin gRPC service over AdminService. */

import type { atoll } from '@atoll/proto';
import * as grpc from '@grpc/grpc-js';
import type { AdminService } from '../admin-service.js';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => void;

function unary<Req, Res>(fn: (req: Req) => Promise<Res> | Res): Unary<Req, Res> {
  return (call, cb) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (r) => cb(null, r),
        (e: unknown) =>
          cb({ code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) }),
      );
  };
}

export function createAdminService(admin: AdminService) {
  return {
    splitRegion: unary((r: atoll.admin.SplitRegionRequest) => admin.split(r)),
    changePeers: unary((r: atoll.admin.ChangePeersRequest) => admin.changePeers(r)),
    transferLeader: unary((r: atoll.admin.TransferLeaderRequest) => admin.transferLeader(r)),
    status: unary(() => admin.status()),
  };
}
