/** Connecting CLI commands to a cluster: the PD client, the data client, and admin calls. */

import { type AtollClient, connect } from '@atoll/client';
import { PdClient } from '@atoll/pd-client';
import type { atoll } from '@atoll/proto';
import { adminService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';

export const DEFAULT_PD = '127.0.0.1:2379';

export interface PdFlags {
  pd: string[];
  timeoutMs?: number;
}

export async function pdClient(flags: PdFlags): Promise<PdClient> {
  try {
    return await PdClient.connect({ endpoints: flags.pd, timeoutMs: flags.timeoutMs ?? 5_000 });
  } catch (e) {
    throw new Error(
      `cannot reach a placement driver at ${flags.pd.join(', ')} (${(e as Error).message})`,
    );
  }
}

export function dataClient(flags: PdFlags): Promise<AtollClient> {
  return connect({ pd: flags.pd, timeoutMs: flags.timeoutMs ?? 10_000 });
}

const AdminClient = grpc.makeGenericClientConstructor(adminService, 'Admin');

/** One Admin call to the store at `address`. */
export function adminCall<Req, Res>(
  address: string,
  method: keyof typeof adminService,
  request: Req,
): Promise<Res> {
  const client = new AdminClient(address, grpc.credentials.createInsecure());
  const def = adminService[method];
  return new Promise<Res>((resolve, reject) => {
    client.makeUnaryRequest(
      def.path,
      def.requestSerialize as (r: Req) => Buffer,
      def.responseDeserialize as (b: Buffer) => Res,
      request,
      { deadline: Date.now() + 10_000 },
      (err, res) => {
        client.close();
        if (err) reject(new Error(`store ${address}: ${err.details || err.message}`));
        else resolve(res!);
      },
    );
  });
}

/** Throws the error an admin response carries, if any. */
export function checkAdmin(r: atoll.admin.IAdminResponse): void {
  if (r.regionError) throw new Error(r.regionError.message ?? 'region error');
  if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
}
