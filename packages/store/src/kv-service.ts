/**
 * The store's client-facing key-value service, independent of gRPC: validates each request,
 * routes it to its region's leader (or answers with a region error), and shapes the result.
 * Invalid input gets a typed error and changes nothing.
 */

import type { atoll } from '@atoll/proto';
import type { KvHandler, KvRequest, KvResponse } from './env/kv-handler.js';
import { StoreError, StoreErrorCode } from './errors.js';
import {
  BATCH_KEYS_MAX,
  KEY_BYTES_MAX,
  REQUEST_BYTES_MAX,
  REQUEST_ID_BYTES_MAX,
  SCAN_LIMIT_MAX,
  VALUE_BYTES_MAX,
} from './limits.js';
import { compareBytes, keyInRegion, type RegionMeta } from './region.js';
import { keyNotInRegion } from './region-errors.js';
import type { RegionPeer, WriteOutcome } from './region-peer.js';
import type { RequestRoute, Store } from './store.js';

type Failure = WriteOutcome & { ok: false };
type Result = Omit<KvResponse, 'id' | 'regionError' | 'error'>;

export class KvService implements KvHandler {
  constructor(private readonly store: Store) {}

  async handle(request: KvRequest): Promise<KvResponse> {
    const id = Number(request.id ?? 0);
    try {
      const result = await this.dispatch(request);
      if (isFailure(result)) return { id, ...failureToProto(result) };
      return { id, ...result };
    } catch (e) {
      if (e instanceof StoreError) return { id, error: errorToProto(e) };
      throw e;
    }
  }

  private dispatch(r: KvRequest): Promise<Result | Failure> | Result | Failure {
    if (r.get) return this.get(r.get);
    if (r.batchGet) return this.batchGet(r.batchGet);
    if (r.scan) return this.scan(r.scan);
    if (r.put) {
      const { key, value } = r.put;
      checkKey(key);
      checkValue(value);
      return this.write(
        r.put.context,
        [{ put: { key, value: value ?? new Uint8Array() } }],
        { put: {} },
        [key!],
      );
    }
    if (r.batchPut) {
      const pairs = r.batchPut.pairs ?? [];
      if (pairs.length === 0) throw malformed('a batch put needs at least one pair');
      if (pairs.length > BATCH_KEYS_MAX)
        throw tooLarge(`at most ${BATCH_KEYS_MAX} pairs per batch put`);
      let bytes = 0;
      for (const p of pairs) {
        checkKey(p.key);
        checkValue(p.value);
        bytes += (p.key?.length ?? 0) + (p.value?.length ?? 0);
      }
      if (bytes > REQUEST_BYTES_MAX)
        throw tooLarge(`a batch put carries at most ${REQUEST_BYTES_MAX} bytes`);
      const writes = pairs.map((p) => ({
        put: { key: p.key!, value: p.value ?? new Uint8Array() },
      }));
      return this.write(
        r.batchPut.context,
        writes,
        { batchPut: {} },
        pairs.map((p) => p.key!),
      );
    }
    if (r.delete) {
      checkKey(r.delete.key);
      return this.write(r.delete.context, [{ delete: { key: r.delete.key! } }], { delete: {} }, [
        r.delete.key!,
      ]);
    }
    if (r.deleteRange) {
      const { startKey, endKey } = r.deleteRange;
      const start = startKey ?? new Uint8Array();
      const end = endKey ?? new Uint8Array();
      checkRange(start, end);
      return this.write(
        r.deleteRange.context,
        [{ deleteRange: { startKey: start, endKey: end } }],
        { deleteRange: {} },
        [],
        {
          start,
          end,
        },
      );
    }
    if (r.cas) {
      const c = r.cas;
      checkKey(c.key);
      checkValue(c.value);
      const write = {
        cas: {
          key: c.key!,
          value: c.value ?? new Uint8Array(),
          previousValue: c.previousValue ?? new Uint8Array(),
          previousNotExist: c.previousNotExist ?? false,
        },
      };
      return this.casWrite(c.context, write, c.key!);
    }
    throw malformed('the request names no operation');
  }

  private get(g: atoll.kv.IRawGetRequest): Promise<Result | Failure> | Result | Failure {
    checkKey(g.key);
    const key = g.key!;
    return this.read(g.context, (peer) => {
      if (!keyInRegion(key, peer.region))
        return { ok: false, regionError: keyNotInRegion(key, peer.region) };
      const value = this.store.storage.get(key);
      return { get: value === undefined ? { notFound: true } : { value } };
    });
  }

  private batchGet(g: atoll.kv.IRawBatchGetRequest): Promise<Result | Failure> | Result | Failure {
    const keys = g.keys ?? [];
    if (keys.length > BATCH_KEYS_MAX)
      throw tooLarge(`at most ${BATCH_KEYS_MAX} keys per batch get`);
    for (const k of keys) checkKey(k);
    return this.read(g.context, (peer) => {
      for (const k of keys)
        if (!keyInRegion(k, peer.region))
          return { ok: false, regionError: keyNotInRegion(k, peer.region) };
      const pairs: atoll.kv.IKvPair[] = [];
      for (const key of keys) {
        const value = this.store.storage.get(key);
        if (value !== undefined) pairs.push({ key, value });
      }
      return { batchGet: { pairs } };
    });
  }

  private scan(s: atoll.kv.IRawScanRequest): Promise<Result | Failure> | Result | Failure {
    const start = s.startKey ?? new Uint8Array();
    const end = s.endKey ?? new Uint8Array();
    checkRange(start, end);
    const limit = s.limit ?? 0;
    if (limit <= 0 || limit > SCAN_LIMIT_MAX)
      throw invalid(`scan limit must be 1..${SCAN_LIMIT_MAX}`);
    return this.read(s.context, (peer) => {
      const r = peer.region;
      // The scan is clipped to the region; the client continues in the next one.
      const from = compareBytes(start, r.startKey) >= 0 ? start : r.startKey;
      const to = clipEnd(end, r.endKey);
      if (!keyInRegion(from, r) && !(s.reverse && to.length > 0))
        return { ok: false, regionError: keyNotInRegion(from, r) };
      const pairs = this.store.storage.scan({
        start: from,
        end: to,
        limit,
        reverse: s.reverse ?? false,
        keyOnly: s.keyOnly ?? false,
      });
      return { scan: { pairs: pairs.map((p) => ({ key: p.key, value: p.value })) } };
    });
  }

  private read(
    context: atoll.kv.IContext | null | undefined,
    read: (peer: RegionPeer) => Result | Failure,
  ) {
    const route = routeOf(context);
    if (context?.staleRead) return this.store.readStale(route, read);
    return this.store.readLinearizable(route, read);
  }

  private async write(
    context: atoll.kv.IContext | null | undefined,
    writes: atoll.store.IWriteOp[],
    ok: Result,
    keys: Uint8Array[],
    range?: { start: Uint8Array; end: Uint8Array },
  ): Promise<Result | Failure> {
    const route = routeOf(context);
    const precheck = this.precheck(route, keys, range);
    if (precheck) return precheck;
    const outcome = await this.store.proposeWrites(route, writes, requestIdOf(context));
    return outcome.ok ? ok : outcome;
  }

  private async casWrite(
    context: atoll.kv.IContext | null | undefined,
    write: atoll.store.IWriteOp,
    key: Uint8Array,
  ): Promise<Result | Failure> {
    const route = routeOf(context);
    const precheck = this.precheck(route, [key]);
    if (precheck) return precheck;
    const outcome = await this.store.proposeWrites(route, [write], requestIdOf(context));
    if (!outcome.ok) return outcome;
    const cas = outcome.cas ?? { succeeded: false };
    return {
      cas: {
        succeeded: cas.succeeded,
        ...(cas.previous === undefined
          ? { previousNotExist: true }
          : { previousValue: cas.previous }),
      },
    };
  }

  /** Refuses keys outside the region before proposing (apply checks again). */
  private precheck(
    route: RequestRoute,
    keys: Uint8Array[],
    range?: { start: Uint8Array; end: Uint8Array },
  ): Failure | undefined {
    const peer = this.store.peers.get(route.regionId);
    if (!peer) return undefined;
    const region: RegionMeta = peer.region;
    for (const k of keys)
      if (!keyInRegion(k, region)) return { ok: false, regionError: keyNotInRegion(k, region) };
    if (range) {
      if (!keyInRegion(range.start, region))
        return { ok: false, regionError: keyNotInRegion(range.start, region) };
      const endOk =
        region.endKey.length === 0
          ? true
          : range.end.length > 0 && compareBytes(range.end, region.endKey) <= 0;
      if (!endOk) return { ok: false, regionError: keyNotInRegion(range.end, region) };
    }
    return undefined;
  }
}

function routeOf(context: atoll.kv.IContext | null | undefined): RequestRoute {
  if (!context?.regionId) throw malformed('the request has no region context');
  if (!context.epoch) throw malformed('the request has no region epoch');
  return {
    regionId: Number(context.regionId),
    epoch: {
      confVer: Number(context.epoch.confVer ?? 0),
      version: Number(context.epoch.version ?? 0),
    },
  };
}

/** The client's id for a write, checked (a retry with it is applied at most once). */
function requestIdOf(context: atoll.kv.IContext | null | undefined): Uint8Array | undefined {
  const id = context?.requestId;
  if (!id || id.length === 0) return undefined;
  if (id.length > REQUEST_ID_BYTES_MAX)
    throw malformed(`the request id is ${id.length} bytes; at most ${REQUEST_ID_BYTES_MAX}`);
  return id;
}

function checkKey(key: Uint8Array | null | undefined): void {
  if (!key || key.length === 0) throw new StoreError(StoreErrorCode.EmptyKey, 'the key is empty');
  if (key.length > KEY_BYTES_MAX) {
    throw new StoreError(
      StoreErrorCode.KeyTooLarge,
      `the key is ${key.length} bytes; at most ${KEY_BYTES_MAX}`,
      false,
      {
        bytes: key.length,
        max: KEY_BYTES_MAX,
      },
    );
  }
}

function checkValue(value: Uint8Array | null | undefined): void {
  const n = value?.length ?? 0;
  if (n > VALUE_BYTES_MAX) {
    throw new StoreError(
      StoreErrorCode.ValueTooLarge,
      `the value is ${n} bytes; at most ${VALUE_BYTES_MAX}`,
      false,
      {
        bytes: n,
        max: VALUE_BYTES_MAX,
      },
    );
  }
}

function checkRange(start: Uint8Array, end: Uint8Array): void {
  if (start.length > KEY_BYTES_MAX || end.length > KEY_BYTES_MAX)
    throw new StoreError(StoreErrorCode.KeyTooLarge, 'a range bound is too long');
  if (end.length > 0 && compareBytes(start, end) > 0) {
    throw new StoreError(StoreErrorCode.InvalidRange, 'the range starts after it ends');
  }
}

function clipEnd(end: Uint8Array, regionEnd: Uint8Array): Uint8Array {
  if (regionEnd.length === 0) return end;
  if (end.length === 0) return regionEnd;
  return compareBytes(end, regionEnd) <= 0 ? end : regionEnd;
}

function malformed(message: string): StoreError {
  return new StoreError(StoreErrorCode.Malformed, message);
}

function invalid(message: string): StoreError {
  return new StoreError(StoreErrorCode.Malformed, message);
}

function tooLarge(message: string): StoreError {
  return new StoreError(StoreErrorCode.RequestTooLarge, message);
}

function isFailure(r: Result | Failure): r is Failure {
  return (r as Failure).ok === false;
}

export function errorToProto(e: StoreError): atoll.error.IError {
  return {
    code: e.code,
    message: e.message,
    retryable: e.retryable,
    detailsJson: JSON.stringify(e.details),
  };
}

function failureToProto(f: Failure): Pick<KvResponse, 'regionError' | 'error'> {
  return 'regionError' in f ? { regionError: f.regionError } : { error: errorToProto(f.error) };
}
