/**
 * A PD server: the composition root of one PD member. The PD metadata lives in a store
 * region replicated by Raft among the PD members: a @atoll/store Store over this member's
 * data folder (LMDB) hosts region 1 (every key; one peer per member, store id = peer id =
 * member id), its members talk over the StoreTransport gRPC service, and clients and stores
 * use the PD service on the same port. The core (PlacementDriver) persists to that region
 * (RegionMetaStorage) and serves while this member leads it and holds the lease
 * (PdLeadership). Timers drive scheduling passes and TSO window renewals; an HTTP port
 * serves /status and /metrics.
 */

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pdService, storeTransportService } from '@atoll/proto/grpc';
import { openLmdbEngine, openMemoryEngine } from '@atoll/storage';
import { EngineStoreStorage, lockDataDir, nodeEnv, STORE_DEFAULTS, Store } from '@atoll/store';
import {
  createStoreTransportService,
  GrpcRaftTransport,
  type RunningGrpcServer,
  startGrpcServer,
} from '@atoll/store/env';
import type * as grpc from '@grpc/grpc-js';
import type { PdConfigInput } from '../config.js';
import { PdError, PdErrorCode } from '../errors.js';
import { PlacementDriver } from '../placement-driver.js';
import { DEFAULT_CLUSTER_TOKEN, deriveClusterId, loadOrRecordClusterId } from './cluster-id.js';
import { createPdService } from './grpc-pd-service.js';
import { HeartbeatStreams } from './heartbeat-streams.js';
import { checkMembers, type PdMember, parseInitialCluster } from './initial-cluster.js';
import { leaseMs, PdLeadership } from './pd-leadership.js';
import { PdMetrics } from './pd-metrics.js';
import {
  leaderMember,
  notLeaderHeader,
  type PdServerLogger,
  type PdServiceContext,
} from './pd-service-context.js';
import { type PdStatusServer, startPdStatusServer } from './pd-status-server.js';
import { commandToProto } from './pd-wire.js';
import { PD_REGION_ID, RegionMetaStorage } from './region-meta-storage.js';
import { systemClock } from './system-clock.js';

/** How often a scheduling pass runs: PD's own cadence; operators advance on heartbeats anyway. */
export const SCHEDULE_INTERVAL_MS = 1_000;
/** How often the TSO window is checked for renewal (the core asks for 50-100 ms). */
export const TSO_TICK_MS = 50;
/** Ticks a graceful stop may spend handing the PD region's leadership over: 5 s at 50 ms. */
const SHUTDOWN_DEADLINE_TICKS = 100;
/**
 * The PD region never hibernates: a leader that stops ticking stops renewing its lease and
 * its followers stop counting toward an election. A number no tick count reaches.
 */
const NEVER_QUIESCE_TICKS = Number.MAX_SAFE_INTEGER;

/** How to run one PD member. */
export interface PdServerOptions {
  /** This member's id: one of the initial cluster's. */
  readonly memberId: number;
  /** Every member: "1=host:port,2=..." or id -> host:port. */
  readonly initialCluster: string | ReadonlyMap<number, string> | Readonly<Record<number, string>>;
  /** Mixed into the derived cluster id (etcd's --initial-cluster-token); default "atoll-pd". */
  readonly clusterToken?: string;
  /** Data folder; "memory:" keeps everything in memory (tests). */
  readonly dataDir: string;
  /** gRPC listen address (default: this member's address in the initial cluster). */
  readonly listen?: string;
  /** HTTP status address (/status, /metrics, /health); omitted: none. */
  readonly statusListen?: string;
  /** The PD core's settings (replicas, store down time, split thresholds, ...). */
  readonly config?: PdConfigInput;
  /** Raft tick of the PD region (default the store's, 50 ms). */
  readonly tickMs?: number;
  readonly logger?: PdServerLogger;
  readonly serverCredentials?: grpc.ServerCredentials;
  readonly channelCredentials?: grpc.ChannelCredentials;
  /** A fatal failure (storage, broken invariant): the process should exit. */
  readonly onFatal?: (e: Error) => void;
}

/** A running PD member. */
export interface RunningPd {
  readonly memberId: number;
  readonly clusterId: number;
  readonly port: number;
  readonly statusPort: number | undefined;
  readonly pd: PlacementDriver;
  readonly store: Store;
  readonly metrics: PdMetrics;
  /** Whether this member serves as PD leader right now. */
  isServing(): boolean;
  /** What /status shows. */
  status(): Record<string, unknown>;
  /** Stops; `graceful` (default) hands the PD leadership to another member first. */
  stop(graceful?: boolean): Promise<void>;
}

const silent: PdServerLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Normalizes the initial cluster option. */
export function membersOf(initial: PdServerOptions['initialCluster']): PdMember[] {
  if (typeof initial === 'string') return parseInitialCluster(initial);
  const entries = initial instanceof Map ? [...initial] : Object.entries(initial);
  return checkMembers(entries.map(([id, address]) => ({ id: Number(id), address })));
}

/** The PD region as every member creates it on first start. */
export function pdRegion(members: readonly PdMember[]) {
  return {
    id: PD_REGION_ID,
    startKey: new Uint8Array(),
    endKey: new Uint8Array(),
    epoch: { confVer: 1, version: 1 },
    peers: members.map((m) => ({ id: m.id, storeId: m.id, isLearner: false })),
  };
}

/** Starts a PD member; resolves once its gRPC port serves. */
export async function startPdServer(o: PdServerOptions): Promise<RunningPd> {
  const logger = o.logger ?? silent;
  const members = membersOf(o.initialCluster);
  const me = members.find((m) => m.id === o.memberId);
  if (!me) {
    throw new PdError(
      PdErrorCode.InvalidConfig,
      `member ${o.memberId} is not in the initial cluster`,
    );
  }
  const inMemory = o.dataDir === 'memory:';
  const lock = inMemory ? undefined : lockDataDir(o.dataDir);
  const closers: (() => Promise<void> | void)[] = [() => lock?.release()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
  };
  try {
    const derived = deriveClusterId(o.clusterToken ?? DEFAULT_CLUSTER_TOKEN, members);
    const clusterId = inMemory ? derived : loadOrRecordClusterId(o.dataDir, derived);
    const engine = inMemory ? openMemoryEngine() : openLmdbEngine({ path: join(o.dataDir, 'db') });
    const storage = new EngineStoreStorage(engine);
    closers.push(() => storage.close());
    const restarted = checkStoredMembers(storage, members, o.dataDir);
    const addresses = new Map(members.map((m) => [m.id, m.address]));
    const transport = new GrpcRaftTransport({
      storeId: me.id,
      clusterId,
      resolve: async (id) => {
        const a = addresses.get(id);
        if (!a) throw new Error(`PD member ${id} is not in the initial cluster`);
        return a;
      },
      ...(o.channelCredentials ? { credentials: o.channelCredentials } : {}),
      onError: (id, e) => logger.debug({ member: id, error: e.message }, 'PD member link problem'),
    });
    closers.push(() => transport.close());
    const tickMs = o.tickMs ?? STORE_DEFAULTS.tickMs;
    const store = new Store({
      config: {
        ...STORE_DEFAULTS,
        tickMs,
        quiesceAfterTicks: NEVER_QUIESCE_TICKS,
        storeId: me.id,
        clusterId,
      },
      storage,
      transport,
      env: nodeEnv(),
      logger,
      ...(o.onFatal ? { onFatal: o.onFatal } : {}),
    });
    closers.push(() => store.stop());
    const lease = leaseMs(STORE_DEFAULTS.raft.electionTicks ?? 10, tickMs);
    if (restarted) {
      // This member may have acknowledged a leader's lease just before it stopped, and it
      // has forgotten that: its vote must not help elect anyone until that lease is over.
      await new Promise((resolve) => setTimeout(resolve, lease + tickMs));
    }
    store.start();
    if (!restarted) await store.bootstrapRegion(pdRegion(members));

    const metaStorage = new RegionMetaStorage(store);
    const pd = new PlacementDriver({
      clusterId,
      storage: metaStorage,
      clock: systemClock,
      ...(o.config ? { config: o.config } : {}),
      logger,
    });
    const streams = new HeartbeatStreams();
    let ctx: PdServiceContext | undefined;
    const leadership = new PdLeadership({
      store,
      pd,
      storage: metaStorage,
      logger,
      monotonicNow: () => performance.now(),
      leaseMs: lease,
      onStepDown: () => streams.endAll(ctx && { header: notLeaderHeader(ctx) }),
    });
    closers.push(() => leadership.stop());
    const serving = () => leadership.isServing();
    const metrics = new PdMetrics(me.id, {
      isServing: serving,
      storeCount: () => (serving() ? pd.getAllStores().length : 0),
      regionCount: () => (serving() ? pd.clusterMeta.regionCount : 0),
      runningOperators: () => (serving() ? pd.operators().running.length : 0),
    });
    ctx = {
      pd,
      clusterId,
      memberId: me.id,
      members,
      leadership,
      streams,
      metrics,
      logger,
      ...(o.onFatal ? { onFatal: o.onFatal } : {}),
    };
    store.tickListeners.push(() => leadership.check());

    const transportService = createStoreTransportService(store, { clusterId, storeId: me.id });
    const service = createPdService(ctx);
    const server: RunningGrpcServer = await startGrpcServer(
      o.listen ?? me.address,
      (s) => {
        s.addService(storeTransportService, transportService);
        s.addService(pdService, service);
      },
      o.serverCredentials,
    );
    closers.push(() => {
      transportService.closeStreams();
      return server.stop(0);
    });
    const status = (): Record<string, unknown> => statusOf(ctx!, store);
    let statusServer: PdStatusServer | undefined;
    if (o.statusListen) {
      const [host, port] = splitHostPort(o.statusListen);
      statusServer = await startPdStatusServer(host, port, status, metrics);
      const s = statusServer;
      closers.push(() => s.close());
    }
    const timers = startTimers(ctx, o.onFatal);
    return {
      memberId: me.id,
      clusterId,
      port: server.port,
      statusPort: statusServer?.port,
      pd,
      store,
      metrics,
      isServing: serving,
      status,
      async stop(graceful = true) {
        timers.stop();
        await leadership.stop();
        streams.endAll();
        if (graceful) await store.shutdown(SHUTDOWN_DEADLINE_TICKS);
        else await store.stop();
        await transport.close();
        transportService.closeStreams();
        await server.stop(graceful ? 2_000 : 0);
        await statusServer?.close();
        await storage.close();
        lock?.release();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * Whether this member has run before (its PD region is in storage), after checking that
 * the stored group has exactly the members the initial cluster names.
 */
function checkStoredMembers(
  storage: EngineStoreStorage,
  members: readonly PdMember[],
  dataDir: string,
): boolean {
  const state = storage.loadRegionStates().find((s) => s.region.id === PD_REGION_ID);
  if (!state) return false;
  const stored = state.region.peers.map((p) => p.storeId).sort((a, b) => a - b);
  const given = members.map((m) => m.id);
  if (stored.join(',') !== given.join(',')) {
    throw new PdError(
      PdErrorCode.InvalidConfig,
      `the PD group in ${dataDir} has members ${stored.join(',')}, the initial cluster names ${given.join(',')}`,
    );
  }
  return true;
}

/** The periodic work: scheduling passes (commands pushed to stores) and TSO renewals. */
function startTimers(ctx: PdServiceContext, onFatal?: (e: Error) => void): { stop(): void } {
  const { pd, leadership, streams, metrics, logger } = ctx;
  let scheduling = false;
  const failed = (what: string) => (e: unknown) => {
    if (e instanceof PdError) {
      if (e.code !== PdErrorCode.NotLeader) logger.warn({ error: e.message }, `${what} failed`);
      return;
    }
    logger.error({ error: String(e) }, `${what} failed`);
    if (e instanceof Error && e.name === 'AssertionError') onFatal?.(e);
  };
  const schedule = setInterval(() => {
    if (scheduling || !leadership.isServing()) return;
    scheduling = true;
    pd.schedule()
      .then((commands) => {
        for (const c of commands) {
          if (streams.push(c.storeId, commandToProto(c, ctx.clusterId)))
            metrics.commandsPushed.inc();
        }
      }, failed('scheduling pass'))
      .finally(() => {
        scheduling = false;
      });
  }, SCHEDULE_INTERVAL_MS);
  const tso = setInterval(() => {
    if (leadership.isServing()) pd.tsoTick().catch(failed('TSO window renewal'));
  }, TSO_TICK_MS);
  return {
    stop() {
      clearInterval(schedule);
      clearInterval(tso);
    },
  };
}

function statusOf(ctx: PdServiceContext, store: Store): Record<string, unknown> {
  const { pd, leadership } = ctx;
  const serving = leadership.isServing();
  const out: Record<string, unknown> = {
    memberId: ctx.memberId,
    clusterId: ctx.clusterId,
    serving,
    leader: leaderMember(ctx) ?? null,
    members: ctx.members,
    raft: { ...leadership.describe(), applied: store.peers.get(PD_REGION_ID)?.appliedIndex ?? 0 },
    heartbeatStreams: ctx.streams.size,
  };
  if (serving) {
    const ops = pd.operators();
    out.bootstrapped = pd.isBootstrapped();
    out.stores = pd.getAllStores().length;
    out.regions = pd.clusterMeta.regionCount;
    out.operators = { running: ops.running.length, ended: ops.stats.ended };
  }
  return out;
}

/** host:port into its parts (an empty host is 127.0.0.1). */
export function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at) || '127.0.0.1';
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PdError(PdErrorCode.InvalidConfig, `bad address ${address}`);
  }
  return [host, port];
}
