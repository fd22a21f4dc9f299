/**
 * Sends one request to one region's leader and follows what the cluster answers until there
 * is a definitive result or the deadline passes:
 * - NotLeader: go to the leader named (or try the next peer);
 * - EpochNotMatch: take the current regions it carries into the cache, re-route;
 * - RegionNotFound / KeyNotInRegion: drop the cached region, ask PD again;
 * - ServerIsBusy / shutting down: back off with jitter, then retry;
 * - ProposalDropped: nothing was written, retry;
 * - a store unreachable before sending: try the next peer, backing off.
 * A write whose outcome became unknown (connection broken after sending, store timeout) is
 * retried only if it carries a request id (a WriteIntent) and is within its retry window:
 * the store answers a retry of a write it applied from its record. Otherwise, or if the
 * deadline passes before an attempt succeeds, it fails with CLIENT_ERR_AMBIGUOUS_RESULT.
 */

import type { atoll } from '@atoll/proto';
import { Backoff } from './backoff.js';
import { asBuffer } from './bytes.js';
import { AtollError, ClientErrorCode } from './errors.js';
import {
  type ClientEnv,
  type KvRequest,
  type KvResponse,
  type KvSender,
  type RegionInfo,
  type RegionLocator,
  SendError,
  SendFailure,
} from './ports.js';
import type { RegionCache } from './region-cache.js';
import type { WriteIntent } from './write-intent.js';

export interface Router {
  readonly cache: RegionCache;
  readonly locator: RegionLocator;
  readonly sender: KvSender;
  readonly env: ClientEnv;
}

export interface RegionCall<T> {
  /** Whether the request changes data (then an unknown outcome is never retried). */
  readonly write: boolean;
  /** The write's request id and retry state, shared by its pieces and attempts. */
  readonly intent?: WriteIntent;
  /**
   * For requests that cover several keys: on a routing error, give up with a Regroup (after
   * updating the cache) so the caller can split the keys by region again.
   */
  readonly regroupOnRouteChange?: boolean;
  build(context: atoll.kv.IContext, region: RegionInfo): KvRequest;
  /** Turns a response without errors into the result. */
  result(response: KvResponse, region: RegionInfo): T;
}

/** Thrown by callRegion when a multi-key request must be split by region again. */
export class Regroup extends Error {
  constructor() {
    super('the keys must be regrouped by region');
  }
}

/** Store codes that guarantee nothing was done and a retry elsewhere may succeed. */
const RETRY_ELSEWHERE = new Set(['STORE_ERR_SHUTTING_DOWN']);

export async function callRegion<T>(
  router: Router,
  locate: () => Promise<RegionInfo>,
  call: RegionCall<T>,
  deadline: number,
): Promise<T> {
  const backoff = new Backoff(router.env);
  let lastProblem = 'no attempt made';
  let peerCursor = 0;
  let followedHints = 0;
  while (router.env.now() < deadline) {
    let region: RegionInfo;
    try {
      region = await locate();
    } catch (e) {
      // PD busy, failing over, or between two updates: retry until the deadline.
      if (!(e instanceof AtollError && e.retryable)) throw e;
      lastProblem = e.message;
      await backoff.wait(deadline);
      continue;
    }
    const storeId = pickStore(region, peerCursor);
    const context: atoll.kv.IContext = { regionId: region.id, epoch: region.epoch };
    if (call.intent) context.requestId = call.intent.requestId;
    const request = call.build(context, region);
    let response: KvResponse;
    try {
      const address = await router.locator.storeAddress(storeId);
      response = await router.sender.send(address, request, deadline - router.env.now());
    } catch (e) {
      if (e instanceof SendError && e.failure === SendFailure.Unknown && call.write) {
        const why = `the connection to store ${storeId} broke after the write was sent`;
        if (!retriable(call, router)) throw ambiguous(why, e);
        call.intent!.uncertain = why;
      }
      if (!(e instanceof SendError) && !(e instanceof AtollError && e.retryable)) throw e;
      lastProblem = `store ${storeId} unreachable: ${(e as Error).message}`;
      if (e instanceof SendError) router.locator.forgetStoreAddress(storeId);
      router.cache.setLeader(region.id, undefined);
      peerCursor++;
      await backoff.wait(deadline);
      continue;
    }

    const re = response.regionError;
    if (re) {
      lastProblem = re.message ?? 'region error';
      const routeChanged = Boolean(re.epochNotMatch || re.regionNotFound || re.keyNotInRegion);
      if (re.notLeader) {
        const leader = re.notLeader.leader?.storeId;
        router.cache.setLeader(region.id, leader ? Number(leader) : undefined);
        if (!leader) peerCursor++;
        // Follow the first hint at once; after that, hints may be stale (an election is under
        // way), so pace the retries instead of bouncing between stores.
        if (!leader || followedHints++ > 0) await backoff.wait(deadline);
      } else if (re.epochNotMatch) {
        router.cache.invalidate(region.id);
        for (const r of re.epochNotMatch.currentRegions ?? []) router.cache.put(regionFromProto(r));
      } else if (re.regionNotFound || re.keyNotInRegion || re.storeNotMatch) {
        router.cache.invalidate(region.id);
        await backoff.wait(deadline);
      } else if (re.serverIsBusy) {
        await backoff.wait(deadline, Number(re.serverIsBusy.backoffMs ?? 0));
      } else {
        // ProposalDropped and anything new: nothing was written; pause, then retry.
        await backoff.wait(deadline);
      }
      if (routeChanged && call.regroupOnRouteChange) throw new Regroup();
      continue;
    }

    const err = response.error;
    if (err) {
      const code = err.code ?? 'STORE_ERR_UNKNOWN';
      if (RETRY_ELSEWHERE.has(code)) {
        lastProblem = err.message ?? code;
        router.cache.setLeader(region.id, undefined);
        peerCursor++;
        await backoff.wait(deadline);
        continue;
      }
      if (code === 'STORE_ERR_TIMEOUT' && call.write) {
        const why = err.message ?? 'the store timed out on the write';
        if (!retriable(call, router)) throw ambiguous(why);
        call.intent!.uncertain = why;
      }
      if (code === 'STORE_ERR_TIMEOUT') {
        // Ask again (the leader may have moved) while time remains: a read changes nothing,
        // a write carries its request id.
        lastProblem = err.message ?? code;
        router.cache.setLeader(region.id, undefined);
        await backoff.wait(deadline);
        continue;
      }
      throw new AtollError(
        code,
        err.message ?? code,
        err.retryable ?? false,
        parseDetails(err.detailsJson),
      );
    }
    // Only a region's leader answers without a region error: remember it, or the next call
    // starts again from the first peer (paying a connect timeout each time that one is down).
    if (region.leaderStoreId !== storeId) router.cache.setLeader(region.id, storeId);
    return call.result(response, region);
  }
  if (call.intent?.uncertain) throw ambiguous(`deadline passed; ${call.intent.uncertain}`);
  throw new AtollError(ClientErrorCode.Timeout, `deadline passed: ${lastProblem}`, true, {
    lastProblem,
  });
}

/** Whether a write whose outcome is unknown may be sent again (the store de-duplicates it). */
function retriable<T>(call: RegionCall<T>, router: Router): boolean {
  return call.intent?.mayRetry(router.env.now()) ?? false;
}

/** The leader if known, else the voters in turn. */
function pickStore(region: RegionInfo, cursor: number): number {
  if (region.leaderStoreId !== undefined) return region.leaderStoreId;
  const voters = region.peers.filter((p) => !p.learner);
  const list = voters.length > 0 ? voters : region.peers;
  if (list.length === 0)
    throw new AtollError(ClientErrorCode.RegionUnavailable, `region ${region.id} has no peers`);
  return list[cursor % list.length]!.storeId;
}

export function ambiguous(message: string, cause?: unknown): AtollError {
  return new AtollError(
    ClientErrorCode.AmbiguousResult,
    `${message}: it may or may not have been applied`,
    false,
    {},
    { cause },
  );
}

function parseDetails(json: string | null | undefined): Record<string, unknown> {
  if (!json) return {};
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function regionFromProto(r: atoll.meta.IRegion, leaderStoreId?: number): RegionInfo {
  return {
    id: Number(r.id ?? 0),
    startKey: asBuffer(r.startKey),
    endKey: asBuffer(r.endKey),
    epoch: { confVer: Number(r.epoch?.confVer ?? 0), version: Number(r.epoch?.version ?? 0) },
    peers: (r.peers ?? []).map((p) => ({
      id: Number(p.id ?? 0),
      storeId: Number(p.storeId ?? 0),
      learner: p.role === 1,
    })),
    ...(leaderStoreId ? { leaderStoreId } : {}),
  };
}
