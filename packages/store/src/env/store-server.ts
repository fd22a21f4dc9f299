/**
 * A store server: the composition root that wires a Store to its data folder (LMDB), its
 * peers (gRPC transport), its clients (the Kv gRPC service) and its status HTTP port.
 */

import { existsSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { adminService, kvService, storeTransportService } from '@atoll/proto/grpc';
import type { RaftLogger } from '@atoll/raft';
import { openLmdbEngine, openMemoryEngine, type StorageEngine } from '@atoll/storage';
import type * as grpc from '@grpc/grpc-js';
import { AdminService } from '../admin-service.js';
import { EngineStoreStorage } from '../engine-storage.js';
import { StoreError, StoreErrorCode } from '../errors.js';
import { KvService } from '../kv-service.js';
import type { RegionMeta } from '../region.js';
import { Store } from '../store.js';
import { STORE_DEFAULTS, type StoreConfig } from '../store-config.js';
import { ENGINE_HOLD_MS, StoreWal } from '../store-wal.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';
import { createAdminService } from './grpc-admin-server.js';
import { createKvService } from './grpc-kv-server.js';
import { type RunningGrpcServer, startGrpcServer } from './grpc-server.js';
import { GrpcRaftTransport, type RaftLinkKind } from './grpc-transport.js';
import { createStoreTransportService } from './grpc-transport-service.js';
import { splitHostPort } from './host-port.js';
import { nodeAfter, nodeEnv } from './node-env.js';
import { startSharedPortServer } from './shared-port-server.js';
import { SocketKvService } from './socket-kv-service.js';
import { SocketRaftService } from './socket-raft-service.js';
import { type StatusServer, startStatusServer } from './status-server.js';
import { forgetWalDir, recordedWalDir, settleWalDir } from './wal-location.js';

export interface StoreServerOptions {
  readonly storeId: number;
  readonly clusterId: number;
  /** Data folder; "memory:" keeps everything in memory (tests). */
  readonly dataDir: string;
  /** gRPC listen address, host:port (port 0: any free port). */
  readonly listen: string;
  /** HTTP status listen address, host:port; omitted: no status port. */
  readonly statusListen?: string;
  /** Where other stores listen. */
  readonly resolveStore: (storeId: number) => Promise<string>;
  /** A store did not answer at its address: the next resolveStore asks afresh. */
  readonly forgetStore?: (storeId: number) => void;
  /** Regions to create here if absent (static placement). */
  readonly bootstrapRegions?: readonly RegionMeta[];
  readonly config?: Partial<StoreConfig>;
  readonly logger?: RaftLogger;
  readonly serverCredentials?: grpc.ServerCredentials;
  readonly channelCredentials?: grpc.ChannelCredentials;
  readonly onFatal?: (e: Error) => void;
  /**
   * Log each batch ahead of LMDB and acknowledge it once logged (store-wal.ts); default true.
   * False: each batch waits for LMDB's own sync. A log left by an earlier run is replayed
   * whatever this says.
   */
  readonly wal?: boolean;
  /**
   * Folder of the write-ahead log (default `<dataDir>/wal`). On a disk of its own, the log's
   * syncs no longer wait behind LMDB's page writes. The data folder records it: a store
   * refuses to start on another one (wal-location.ts).
   */
  readonly walDir?: string;
  /**
   * What carries Raft traffic to other stores. Default 'socket' (framed TCP on the stores'
   * shared ports) without TLS, 'grpc' with it; every store of a cluster must agree.
   */
  readonly raftLink?: RaftLinkKind;
}

export interface RunningStore {
  readonly store: Store;
  readonly port: number;
  readonly statusPort: number | undefined;
  /** Moves leaders away (graceful) unless `graceful` is false, then stops everything. */
  stop(graceful?: boolean): Promise<void>;
}

/** Ticks a graceful stop may spend moving leaders away. */
const SHUTDOWN_DEADLINE_TICKS = 100;

export async function startStoreServer(o: StoreServerOptions): Promise<RunningStore> {
  const raftLink = raftLinkOf(o);
  const inMemory = o.dataDir === 'memory:';
  const dataLock: DataDirLock | undefined = inMemory ? undefined : lockDataDir(o.dataDir);
  let walLock: DataDirLock | undefined;
  const lock = {
    release: () => {
      walLock?.release();
      dataLock?.release();
    },
  };
  let grpcServer: RunningGrpcServer | undefined;
  let status: StatusServer | undefined;
  let storage: EngineStoreStorage | undefined;
  let transport: GrpcRaftTransport | undefined;
  let started: Store | undefined;
  try {
    const walDir = inMemory ? undefined : walDirOf(o);
    // A log outside the data folder gets a lock of its own: two stores must not share one.
    if (walDir && o.wal !== false && relative(resolve(o.dataDir), walDir).startsWith('..')) {
      walLock = lockDataDir(walDir);
    }
    const engine = inMemory ? openMemoryEngine() : openLmdbEngine({ path: join(o.dataDir, 'db') });
    storage = new EngineStoreStorage(
      engine,
      walDir === undefined ? undefined : await openStoreWal(walDir, engine, o),
    );
    transport = new GrpcRaftTransport({
      storeId: o.storeId,
      clusterId: o.clusterId,
      resolve: o.resolveStore,
      ...(o.forgetStore ? { forget: o.forgetStore } : {}),
      ...(o.channelCredentials ? { credentials: o.channelCredentials } : {}),
      raftLink,
      onError: (storeId, e) =>
        o.logger?.warn({ peerStore: storeId, error: e.message }, 'store link problem'),
    });
    const store = new Store({
      config: { ...STORE_DEFAULTS, ...o.config, storeId: o.storeId, clusterId: o.clusterId },
      storage,
      transport,
      env: nodeEnv(),
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.onFatal ? { onFatal: o.onFatal } : {}),
    });
    const kv = new KvService(store);
    const me = { clusterId: o.clusterId, storeId: o.storeId };
    const transportService = createStoreTransportService(store, me);
    const socketService = new SocketRaftService(store, me, (e) =>
      o.logger?.warn({ error: e.message }, 'dropped a Raft connection with a bad frame'),
    );
    const socketKv = new SocketKvService(kv);
    const register = (server: grpc.Server) => {
      server.addService(storeTransportService, transportService);
      server.addService(kvService, createKvService(kv));
      server.addService(adminService, createAdminService(new AdminService(store)));
    };
    // The shared port serves the socket link as well as gRPC (it is plaintext only); a store
    // on the gRPC link still accepts socket connections there, so a cluster can switch over.
    grpcServer = !o.serverCredentials
      ? await startSharedPortServer(o.listen, register, {
          raft: (s) => socketService.accept(s),
          kv: (s) => socketKv.accept(s),
        })
      : await startGrpcServer(o.listen, register, o.serverCredentials);
    store.start();
    started = store;
    for (const region of o.bootstrapRegions ?? []) {
      if (region.peers.some((p) => p.storeId === o.storeId)) await store.bootstrapRegion(region);
    }
    if (o.statusListen) {
      const [host, port] = splitHostPort(o.statusListen);
      status = await startStatusServer(store, host, port);
    }
    const server = grpcServer;
    const statusServer = status;
    const store_ = storage;
    const transport_ = transport;
    return {
      store,
      port: server.port,
      statusPort: statusServer?.port,
      async stop(graceful = true) {
        if (graceful) await store.shutdown(SHUTDOWN_DEADLINE_TICKS);
        else await store.stop();
        await transport_.close();
        // Peers' Raft streams never end by themselves: end them so the stop can be graceful.
        transportService.closeStreams();
        socketService.closeAll();
        socketKv.closeAll();
        await server.stop(graceful ? 2_000 : 0);
        await statusServer?.close();
        await store_.close();
        lock.release();
      },
    };
  } catch (e) {
    // The store first: its loop would report the storage closed under it as a failure of its
    // own (and exit the process) instead of the error that stopped the start.
    await started?.stop().catch(() => {});
    await grpcServer?.stop(0);
    await status?.close();
    await transport?.close();
    await storage?.close().catch(() => {});
    lock.release();
    throw e;
  }
}

/** The Raft link a store uses: TLS needs gRPC (the socket link is plaintext). */
function raftLinkOf(o: StoreServerOptions): RaftLinkKind {
  const tls = o.serverCredentials !== undefined || o.channelCredentials !== undefined;
  if (tls && o.raftLink === 'socket') {
    throw new StoreError(
      StoreErrorCode.InvalidConfig,
      'the socket Raft link is plaintext: with TLS, Raft traffic goes over gRPC (--raft-link grpc)',
    );
  }
  return o.raftLink ?? (tls ? 'grpc' : 'socket');
}

export { splitHostPort } from './host-port.js';
export { joinCluster, type PdJoinClient, pdStoreResolver } from './pd-join.js';

/** The log folder to open: the settled one, or with --no-wal the one a leftover log is in. */
function walDirOf(o: StoreServerOptions): string {
  if (o.wal !== false) return settleWalDir(o.dataDir, o.walDir);
  if (o.walDir !== undefined) {
    throw new StoreError(
      StoreErrorCode.InvalidConfig,
      'a write-ahead log folder was given with the log turned off (drop --no-wal or --wal-dir)',
    );
  }
  return recordedWalDir(o.dataDir);
}

/**
 * Opens the write-ahead log if asked for, and in any case replays a log an earlier run left
 * (its batches may be missing from LMDB). A log no longer wanted is removed once replayed.
 */
async function openStoreWal(
  dir: string,
  engine: StorageEngine,
  o: StoreServerOptions,
): Promise<StoreWal | undefined> {
  const useWal = o.wal !== false;
  if (!useWal && !existsSync(dir)) return undefined;
  // Held batches only matter while the log is in use; a leftover log is only read.
  const hold = useWal ? { ms: ENGINE_HOLD_MS, after: nodeAfter } : undefined;
  const { wal, recovery } = await StoreWal.open(dir, engine, {}, hold);
  if (recovery.replayed > 0 || recovery.discarded > 0) {
    o.logger?.info({ ...recovery }, 'replayed the write-ahead log into LMDB');
  }
  if (useWal) return wal;
  // Everything the log held must be on disk in LMDB before the log goes.
  await engine.flushed();
  await wal.close();
  rmSync(dir, { recursive: true, force: true });
  forgetWalDir(o.dataDir);
  return undefined;
}
