/**
 * The PD client against scripted fake PD members (gRPC servers on loopback that answer what
 * each test says): a redirect chain to the member a NOT_LEADER answer names, a TSO answer
 * that is not above the previous one (refused, never handed out), a short answer, the
 * cluster id learned and then enforced, and the back-off's bounds.
 */

import type { atoll } from '@atoll/proto';
import { pdService } from '@atoll/proto/grpc';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff.js';
import { isPdClientError } from '../src/errors.js';
import { PdClient } from '../src/pd-client.js';

type Handlers = Partial<Record<keyof typeof pdService, grpc.UntypedHandleCall>>;

const servers: grpc.Server[] = [];
const clients: PdClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
});

/** Starts a fake PD member; `handlers` get its address. */
async function fake(make: (address: string) => Handlers): Promise<string> {
  const server = new grpc.Server();
  servers.push(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const all: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(pdService)) {
    all[name] = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'fake' } as grpc.ServiceError);
  }
  server.addService(pdService, { ...all, ...make(address) });
  return address;
}

const member = (id: number, address: string) => ({ id, clientAddress: address });

/** GetMembers naming `leader` as leader, for cluster `clusterId`. */
function members(
  clusterId: number,
  leader: atoll.pd.IMember,
): grpc.handleUnaryCall<atoll.pd.GetMembersRequest, atoll.pd.IGetMembersResponse> {
  return (_call, cb) => cb(null, { header: { clusterId }, members: [leader], leader });
}

async function connect(endpoints: string[], timeoutMs = 2_000): Promise<PdClient> {
  const c = await PdClient.connect({ endpoints, timeoutMs });
  clients.push(c);
  return c;
}

describe('PD client against fake members', () => {
  it('follows a NOT_LEADER answer to the member it names', async () => {
    const b = await fake(() => ({
      getMembers: members(7, member(2, 'self')),
      allocId: ((call, cb) =>
        cb(null, {
          header: { clusterId: 7 },
          id: 100,
          count: call.request.count,
        })) as grpc.handleUnaryCall<atoll.pd.AllocIdRequest, atoll.pd.IAllocIdResponse>,
    }));
    const a = await fake((self) => ({
      getMembers: members(7, member(1, self)),
      allocId: ((_call, cb) =>
        cb(null, {
          header: {
            clusterId: 7,
            error: { code: 'PD_ERR_NOT_LEADER', message: 'not me', retryable: true },
            leader: member(2, b),
          },
        })) as grpc.handleUnaryCall<atoll.pd.AllocIdRequest, atoll.pd.IAllocIdResponse>,
    }));
    const client = await connect([a]);
    expect(client.clusterId).toBe(7);
    expect(client.leaderAddress()).toBe(a);
    expect(await client.allocId(3)).toBe(100);
    expect(client.leaderAddress()).toBe(b);
  });

  it('refuses TSO answers that are not above the previous one or do not fit the request', async () => {
    const answers: atoll.pd.ITimestamp[] = [
      { physical: 1_000, logical: 10 },
      { physical: 999, logical: 500 },
      { physical: 1_000, logical: 10 },
      { physical: 1_001, logical: 0 },
    ];
    const counts: number[] = [];
    const address = await fake((self) => ({
      getMembers: members(5, member(1, self)),
      tso: ((call: grpc.ServerDuplexStream<atoll.pd.TsoRequest, atoll.pd.ITsoResponse>) => {
        call.on('data', (req: atoll.pd.TsoRequest) => {
          counts.push(req.count);
          const timestamp = answers.shift();
          call.write({ header: { clusterId: 5 }, count: req.count, timestamp });
        });
      }) as grpc.handleBidiStreamingCall<atoll.pd.TsoRequest, atoll.pd.ITsoResponse>,
    }));
    const client = await connect([address]);
    expect(await client.getTimestamp()).toEqual({ physical: 1_000, logical: 10 });
    const backwards = await client.getTimestamp().catch((e: unknown) => e);
    expect(isPdClientError(backwards, 'PD_CLIENT_ERR_TSO_OUT_OF_ORDER')).toBe(true);
    const equal = await client.getTimestamp().catch((e: unknown) => e);
    expect(isPdClientError(equal, 'PD_CLIENT_ERR_TSO_OUT_OF_ORDER')).toBe(true);
    // Three at once: one request for 3, but the answer's logical 0 cannot end a range of 3.
    const three = await Promise.allSettled([
      client.getTimestamp(),
      client.getTimestamp(),
      client.getTimestamp(),
    ]);
    expect(counts).toEqual([1, 1, 1, 3]);
    for (const r of three) {
      expect(r.status).toBe('rejected');
      expect(
        isPdClientError((r as PromiseRejectedResult).reason, 'PD_CLIENT_ERR_TSO_OUT_OF_ORDER'),
      ).toBe(true);
    }
  });

  it('learns the cluster id from the first answer and refuses a member of another cluster', async () => {
    const other = await fake((self) => ({ getMembers: members(2, member(9, self)) }));
    const mine = await fake((self) => ({
      getMembers: members(1, member(1, self)),
      isBootstrapped: ((_call, cb) =>
        cb(null, {
          header: { clusterId: 1, leader: member(9, other) },
          bootstrapped: true,
        })) as grpc.handleUnaryCall<
        atoll.pd.IsBootstrappedRequest,
        atoll.pd.IIsBootstrappedResponse
      >,
    }));
    const client = await connect([mine]);
    expect(client.clusterId).toBe(1);
    expect(await client.isBootstrapped()).toBe(true);
    const e = await PdClient.connect({ endpoints: [other], clusterId: 1, timeoutMs: 1_000 }).catch(
      (x: unknown) => x,
    );
    expect(isPdClientError(e, 'PD_CLIENT_ERR_CLUSTER_MISMATCH')).toBe(true);
  });

  it('gives up with PD_CLIENT_ERR_UNAVAILABLE at the deadline when the leader keeps failing', async () => {
    const address = await fake((self) => ({ getMembers: members(3, member(1, self)) }));
    const client = await connect([address], 600);
    const started = Date.now();
    const e = await client.allocId().catch((x: unknown) => x);
    expect(isPdClientError(e, 'PD_CLIENT_ERR_UNAVAILABLE')).toBe(true);
    expect((e as { retryable: boolean }).retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('back-off', () => {
  it('doubles from the base to the cap, never below half of its ceiling', () => {
    const low = new Backoff(50, 1_000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([25, 50, 100, 200, 400, 500]);
    const high = new Backoff(50, 1_000, () => 0.999_999);
    for (let i = 0; i < 30; i++) expect(high.next()).toBeLessThanOrEqual(1_000);
    high.reset();
    expect(high.next()).toBeLessThanOrEqual(50);
  });
});
