/**
 * The placement driver client, shared by stores and the client library. It finds the PD
 * leader (GetMembers on any member), learns the cluster id, stamps it on every request,
 * follows NOT_LEADER redirects, and retries unreachable members with capped, jittered
 * back-off until each call's deadline. Timestamps are batched on one Tso stream
 * (tso-batcher.ts); region heartbeats and the scheduling commands PD pushes back travel on
 * one RegionHeartbeat stream (heartbeat-stream.ts).
 *
 * Retries are safe: every PD call is idempotent or harmless to repeat (a repeated AllocId
 * only skips ids), except Bootstrap, whose retry after a lost answer is recognised below.
 */

import type { atoll } from '@atoll/proto';
import * as grpc from '@grpc/grpc-js';
import { Backoff, Sleeper } from './backoff.js';
import { Connections, type PdMethod, type PdRequest, type PdResponse } from './connections.js';
import {
  closedError,
  fromWireError,
  isPdClientError,
  PdClientError,
  unavailable,
} from './errors.js';
import { type HeartbeatStats, HeartbeatStream } from './heartbeat-stream.js';
import { type FinderContext, LeaderFinder, type LeaderInfo } from './leader-finder.js';
import {
  PD_ATTEMPT_TIMEOUT_MS,
  PD_CALL_TIMEOUT_MS,
  PD_REDIRECTS_WITHOUT_BACKOFF,
} from './limits.js';
import { type Timestamp, TsoBatcher, type TsoStats } from './tso-batcher.js';

/** How to reach the PD. */
export interface PdClientOptions {
  /** host:port of one or more PD members (any of them; the leader is found from there). */
  readonly endpoints: string[];
  /** The cluster this client belongs to; 0 or undefined: learn it from the PD. */
  readonly clusterId?: number;
  /** TLS (loadTls().channel in @atoll/store); insecure by default. */
  readonly credentials?: grpc.ChannelCredentials;
  /** Deadline of each call, retries included (default PD_CALL_TIMEOUT_MS, 10 s). */
  readonly timeoutMs?: number;
}

/** A region and its leader as PD last heard. */
export interface RegionAndLeader {
  readonly region: atoll.meta.IRegion;
  readonly leader?: atoll.meta.IPeer;
}

/** Counters for status pages and tests. */
export interface PdClientStats {
  readonly tso: TsoStats;
  readonly heartbeats: HeartbeatStats;
}

/** Any response: every PD response starts with a header. */
interface WithHeader {
  header?: atoll.pd.IResponseHeader | null;
}

/** The PD client. */
export class PdClient {
  private readonly connections: Connections;
  private readonly sleeper = new Sleeper();
  private readonly finder: LeaderFinder;
  private readonly tso: TsoBatcher;
  private readonly heartbeats: HeartbeatStream;
  private readonly timeoutMs: number;
  private closed = false;

  private constructor(options: PdClientOptions) {
    if (options.endpoints.length === 0) throw new Error('PdClient: no PD endpoints given');
    this.timeoutMs = options.timeoutMs ?? PD_CALL_TIMEOUT_MS;
    this.connections = new Connections(options.credentials ?? grpc.credentials.createInsecure());
    const ctx: FinderContext = {
      connections: this.connections,
      sleeper: this.sleeper,
      isClosed: () => this.closed,
      now: () => Date.now(),
    };
    this.finder = new LeaderFinder(ctx, options.endpoints, options.clusterId ?? 0);
    this.tso = new TsoBatcher(ctx, this.finder, this.timeoutMs);
    this.heartbeats = new HeartbeatStream(ctx, this.finder, this.timeoutMs);
  }

  /**
   * Connects: finds the leader through any endpoint and learns the cluster id. Rejects with
   * PD_CLIENT_ERR_UNAVAILABLE if no leader is found within the timeout, and with
   * PD_CLIENT_ERR_CLUSTER_MISMATCH if `clusterId` is given and the PD serves another.
   */
  static async connect(options: PdClientOptions): Promise<PdClient> {
    const client = new PdClient(options);
    try {
      await client.finder.find(Date.now() + client.timeoutMs);
    } catch (e) {
      await client.close();
      throw e;
    }
    return client;
  }

  /** The cluster this client talks to. */
  get clusterId(): number {
    return this.finder.clusterId;
  }

  /** The PD leader's address as last learned; undefined while unknown. */
  leaderAddress(): string | undefined {
    return this.finder.leader?.address;
  }

  /** Counters: TSO requests and timestamps, heartbeats and commands. */
  stats(): PdClientStats {
    return { tso: this.tso.stats(), heartbeats: this.heartbeats.stats() };
  }

  // ---- cluster and stores ----

  /** Whether the cluster has been bootstrapped. */
  async isBootstrapped(): Promise<boolean> {
    return (await this.call('isBootstrapped', {})).bootstrapped ?? false;
  }

  /**
   * Bootstraps the cluster with its first store and region (once: PD_ERR_ALREADY_BOOTSTRAPPED
   * afterwards). If an attempt's answer was lost and the retry finds the cluster bootstrapped
   * with exactly this region, that was our own bootstrap: it resolves.
   */
  async bootstrap(store: atoll.meta.IStore, region: atoll.meta.IRegion): Promise<void> {
    let uncertain = false;
    try {
      await this.call('bootstrap', { store, region }, () => {
        uncertain = true;
      });
    } catch (e) {
      if (!uncertain || !isPdClientError(e, 'PD_ERR_ALREADY_BOOTSTRAPPED')) throw e;
      const found = await this.getRegionById(Number(region.id));
      const ours = found?.region.peers?.some((p) => Number(p.storeId) === Number(store.id));
      if (!ours) throw e;
    }
  }

  /** Allocates `count` consecutive ids never handed out before; returns the first. */
  async allocId(count = 1): Promise<number> {
    return Number((await this.call('allocId', { count })).id);
  }

  /** Registers a store or updates its addresses. */
  async putStore(store: atoll.meta.IStore): Promise<void> {
    await this.call('putStore', { store });
  }

  /** A store and its last heartbeat; PD_ERR_STORE_NOT_FOUND if unknown. */
  async getStore(
    storeId: number,
  ): Promise<{ store: atoll.meta.IStore; stats?: atoll.pd.IStoreStats }> {
    const r = await this.call('getStore', { storeId });
    if (!r.store) {
      throw new PdClientError(
        'PD_ERR_STORE_NOT_FOUND',
        `store ${storeId} is not registered`,
        false,
        {
          storeId,
        },
      );
    }
    return r.stats ? { store: r.store, stats: r.stats } : { store: r.store };
  }

  /** Every store (tombstones too unless excluded) and the last heartbeat of each that sent one. */
  async getAllStores(excludeTombstones = false): Promise<{
    stores: atoll.meta.IStore[];
    stats: atoll.pd.IStoreStats[];
    /** PD's judgement now, by store id: up, disconnected, down, offline, tombstone, unknown. */
    health: Map<number, string>;
  }> {
    const r = await this.call('getAllStores', { excludeTombstones });
    const health = new Map(Object.entries(r.health ?? {}).map(([id, h]) => [Number(id), h]));
    return { stores: r.stores ?? [], stats: r.stats ?? [], health };
  }

  /** Reports a store's statistics (PD judges a store down by their absence). */
  async storeHeartbeat(stats: atoll.pd.IStoreStats): Promise<void> {
    await this.call('storeHeartbeat', { stats });
  }

  // ---- regions ----

  /** Sends a region heartbeat on the heartbeat stream (fire-and-forget). */
  regionHeartbeat(request: atoll.pd.IRegionHeartbeatRequest): void {
    if (this.closed) return;
    this.heartbeats.send(request);
  }

  /** Registers a handler for the scheduling commands PD pushes on the heartbeat stream. */
  onRegionCommand(handler: (command: atoll.pd.RegionHeartbeatResponse) => void): void {
    this.heartbeats.onCommand(handler);
  }

  /** The region holding `key`; PD_ERR_REGION_NOT_FOUND (retryable) if none is known. */
  async getRegion(key: Uint8Array): Promise<RegionAndLeader> {
    const r = await this.call('getRegion', { key });
    return regionOrThrow(r, 'holding the key');
  }

  /**
   * The region holding the keys just below `key` (the greatest key < `key`); for an empty
   * key, the last region. For reverse scans.
   */
  async getPrevRegion(key: Uint8Array): Promise<RegionAndLeader> {
    const r = await this.call('getPrevRegion', { key });
    return regionOrThrow(r, 'before the key');
  }

  /** The region with this id, or undefined if PD does not know it. */
  async getRegionById(id: number): Promise<RegionAndLeader | undefined> {
    const r = await this.call('getRegionById', { regionId: id });
    return r.region ? withLeader(r.region, r.leader) : undefined;
  }

  /** Up to `limit` regions overlapping [start, end) (end empty: unbounded), in key order. */
  async scanRegions(start: Uint8Array, end: Uint8Array, limit: number): Promise<RegionAndLeader[]> {
    const r = await this.call('scanRegions', { startKey: start, endKey: end, limit });
    return (r.regions ?? []).flatMap((x) => (x.region ? [withLeader(x.region, x.leader)] : []));
  }

  /** Ids for a split the store decided itself: the new region's id and one peer id per peer. */
  async askSplit(
    region: atoll.meta.IRegion,
  ): Promise<{ newRegionId: number; newPeerIds: number[] }> {
    const r = await this.call('askSplit', { region });
    return { newRegionId: Number(r.newRegionId), newPeerIds: (r.newPeerIds ?? []).map(Number) };
  }

  /** Reports both halves of a split at once (see the ReportSplit RPC). */
  async reportSplit(
    left: atoll.meta.IRegion,
    right: atoll.meta.IRegion,
    leader: atoll.meta.IPeer,
  ): Promise<void> {
    await this.call('reportSplit', { left, right, leader });
  }

  // ---- timestamps and GC ----

  /**
   * A timestamp above every one this client (and, by the PD's guarantee, anyone) got before.
   * Concurrent calls share one request on the Tso stream.
   */
  getTimestamp(): Promise<Timestamp> {
    if (this.closed) return Promise.reject(closedError());
    return this.tso.get();
  }

  /** The GC safe point in force. */
  async getGcSafePoint(): Promise<Timestamp> {
    return timestamp((await this.call('getGcSafePoint', {})).safePoint);
  }

  /** Moves the GC safe point forward (never back); returns the one in force afterwards. */
  async updateGcSafePoint(safePoint: Timestamp): Promise<Timestamp> {
    const r = await this.call('updateGcSafePoint', { safePoint });
    return timestamp(r.newSafePoint);
  }

  /** Closes streams and channels; calls in progress fail with PD_CLIENT_ERR_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sleeper.wakeAll();
    this.tso.close();
    this.heartbeats.close();
    this.connections.closeAll();
  }

  // ---- the retry loop ----

  /**
   * One call: at the leader, with the header, retried until the deadline across transport
   * failures and NOT_LEADER answers. `onUncertain` is told when an attempt failed after the
   * request may have reached the PD.
   */
  private async call<M extends PdMethod>(
    method: M,
    body: Omit<PdRequest<M>, 'header'>,
    onUncertain?: () => void,
  ): Promise<PdResponse<M>> {
    const deadline = Date.now() + this.timeoutMs;
    const backoff = new Backoff();
    let redirects = 0;
    let lastFailure: unknown;
    for (;;) {
      if (this.closed) throw closedError();
      const leader: LeaderInfo = await this.finder.get(deadline);
      const request = { ...body, header: { clusterId: this.finder.clusterId } } as PdRequest<M>;
      const attemptDeadline = Math.min(deadline, Date.now() + PD_ATTEMPT_TIMEOUT_MS);
      let response: PdResponse<M>;
      try {
        response = await this.connections.unary(leader.address, method, request, attemptDeadline);
      } catch (e) {
        if (this.closed) throw closedError();
        lastFailure = e;
        // Even UNAVAILABLE may come after the request was sent (a connection cut mid-call).
        onUncertain?.();
        this.finder.invalidate(leader);
        await this.pause(backoff, deadline, method, lastFailure);
        continue;
      }
      const header = (response as WithHeader).header;
      this.finder.checkCluster(leader.address, header);
      const error = header?.error;
      if (error?.code === 'PD_ERR_NOT_LEADER') {
        lastFailure = fromWireError(error);
        if (this.finder.redirect(header?.leader, leader.address)) {
          if (++redirects <= PD_REDIRECTS_WITHOUT_BACKOFF) continue;
        }
        await this.pause(backoff, deadline, method, lastFailure);
        continue;
      }
      if (error?.code) throw fromWireError(error);
      return response;
    }
  }

  /** Backs off before the next attempt; throws PD_CLIENT_ERR_UNAVAILABLE past the deadline. */
  private async pause(
    backoff: Backoff,
    deadline: number,
    method: string,
    cause: unknown,
  ): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw unavailable(`${method} timed out`, cause);
    await this.sleeper.sleep(Math.min(backoff.next(), left));
    if (this.closed) throw closedError();
    if (Date.now() >= deadline) throw unavailable(`${method} timed out`, cause);
  }
}

function withLeader(
  region: atoll.meta.IRegion,
  leader: atoll.meta.IPeer | null | undefined,
): RegionAndLeader {
  return leader ? { region, leader } : { region };
}

function regionOrThrow(r: atoll.pd.IGetRegionResponse, where: string): RegionAndLeader {
  if (!r.region) {
    throw new PdClientError('PD_ERR_REGION_NOT_FOUND', `no region known ${where}`, true);
  }
  return withLeader(r.region, r.leader);
}

function timestamp(ts: atoll.pd.ITimestamp | null | undefined): Timestamp {
  return { physical: Number(ts?.physical ?? 0), logical: ts?.logical ?? 0 };
}
