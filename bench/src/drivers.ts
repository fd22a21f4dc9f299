/**
 * Drivers: one client per system behind the same three calls, so a workload runs unchanged
 * against Atoll and etcd. Each worker thread makes its own driver (its own connections).
 *
 * Atoll goes through its public client API (`put`, `batchPut`, `get`). etcd goes through the
 * `etcd3` package's lowest-overhead calls (its KV client: put, range, and one txn holding
 * every put of a batch), which favours etcd, never Atoll.
 */

import {
  createClient,
  GrpcKvSender,
  isAtollError,
  type RegionInfo,
  SendError,
  SocketKvSender,
  staticLocator,
} from '@atoll/client';
import { Etcd3 } from 'etcd3';
import type { AtollStaticConnection, Connection, EtcdConnection } from './cluster-target.js';

/** One system's client behind the operations workloads use. */
export interface Driver {
  /** One key, one request. */
  put(key: Buffer, value: Buffer): Promise<void>;
  /** Many distinct keys: Atoll's batchPut, etcd's txn of puts. */
  batchPut(pairs: readonly (readonly [Buffer, Buffer])[]): Promise<void>;
  /** One key, linearizable. */
  get(key: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** The code an error is counted under: the typed code when there is one, else its class. */
export function errorCode(e: unknown): string {
  if (isAtollError(e)) return e.code;
  if (e instanceof SendError) return `SEND_${e.failure.toUpperCase().replace('-', '_')}`;
  if (e instanceof Error) {
    const name = e.constructor?.name;
    return name && name !== 'Error' ? name : e.name;
  }
  return 'UNKNOWN';
}

/** A driver for the system the connection names, with its own connections. */
export function createDriver(connection: Connection, timeoutMs: number): Driver {
  return connection.system === 'atoll'
    ? atollDriver(connection, timeoutMs)
    : etcdDriver(connection, timeoutMs);
}

function atollDriver(c: AtollStaticConnection, timeoutMs: number): Driver {
  const regions: RegionInfo[] = c.regions.map((r) => ({
    id: r.id,
    startKey: Buffer.from(r.startKey, 'hex'),
    endKey: Buffer.from(r.endKey, 'hex'),
    epoch: r.epoch,
    peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: false })),
  }));
  const client = createClient({
    locator: staticLocator(regions, new Map(c.stores.map((s) => [s.id, s.address]))),
    sender: c.clientLink === 'grpc' ? new GrpcKvSender() : new SocketKvSender(),
    timeoutMs,
  });
  return {
    put: (key, value) => client.put(key, value),
    batchPut: (pairs) => client.batchPut(pairs),
    get: async (key) => {
      await client.get(key);
    },
    close: () => client.close(),
  };
}

function etcdDriver(c: EtcdConnection, timeoutMs: number): Driver {
  const client = new Etcd3({
    hosts: [...c.endpoints],
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
  });
  return {
    put: async (key, value) => {
      await client.kv.put({ key, value });
    },
    batchPut: async (pairs) => {
      await client.kv.txn({
        success: pairs.map(([key, value]) => ({ request_put: { key, value } })),
      });
    },
    get: async (key) => {
      await client.kv.range({ key });
    },
    close: async () => client.close(),
  };
}
