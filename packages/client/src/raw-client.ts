/**
 * The raw key-value API: single-key and batch operations, range deletes, scans across
 * regions, and compare-and-swap. Each operation is routed per region; batches spanning
 * regions are split, sent in parallel and merged in key order. A raw batch is atomic per
 * region, not across regions (use transactions for that).
 */

import type { atoll } from '@atoll/proto';
import { asBuffer, type Bytes, compare, toBound, toBytes, toKey } from './bytes.js';
import { AtollError, ClientErrorCode, invalidArgument } from './errors.js';
import type { RegionInfo } from './ports.js';
import { contains } from './region-cache.js';
import { ambiguous, callRegion, type RegionCall, Regroup, type Router } from './region-call.js';
import { RequestIds, WriteIntent } from './write-intent.js';

/** Most pairs one store request returns; larger scans page. */
export const SCAN_PAGE_MAX = 10_000;
/** Pairs per page of scanIterator(). */
export const SCAN_ITERATOR_PAGE = 1_000;
/** Default limit of scan() when none is given. */
export const SCAN_DEFAULT_LIMIT = 10_000;

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface CallOptions {
  /** Deadline for the whole operation, retries included. */
  readonly timeoutMs?: number;
}

export interface ScanOptions extends CallOptions {
  /** Inclusive; omitted or empty: from the first key. */
  readonly start?: Bytes;
  /** Exclusive; omitted or empty: to the last key. */
  readonly end?: Bytes;
  readonly limit?: number;
  readonly reverse?: boolean;
  /** Return keys with empty values. */
  readonly keyOnly?: boolean;
}

export interface CasResult {
  readonly succeeded: boolean;
  /** The value found (undefined: the key did not exist). */
  readonly previous: Buffer | undefined;
}

export class RawClient {
  constructor(
    private readonly router: Router,
    private readonly defaultTimeoutMs: number,
    private readonly isClosed: () => boolean,
  ) {}

  private readonly requestIds = new RequestIds();

  /** A new logical write: one request id for all its attempts and region pieces. */
  private intent(): WriteIntent {
    return new WriteIntent(this.requestIds.next(), this.router.env.now());
  }

  private deadline(opts?: CallOptions): number {
    if (this.isClosed()) throw new AtollError(ClientErrorCode.Closed, 'the client is closed');
    const ms = opts?.timeoutMs ?? this.defaultTimeoutMs;
    if (!(ms > 0)) throw invalidArgument('timeoutMs must be positive');
    return this.router.env.now() + ms;
  }

  /** The region containing `key`, from the cache or the placement driver. */
  locate = async (key: Buffer): Promise<RegionInfo> => {
    const cached = this.router.cache.find(key);
    if (cached) return cached;
    const region = await this.router.locator.regionByKey(key);
    this.router.cache.put(region);
    return region;
  };

  private locateBefore = async (key: Buffer): Promise<RegionInfo> => {
    const cached = this.router.cache.findBefore(key);
    if (cached) return cached;
    const region = await this.router.locator.regionBefore(key);
    this.router.cache.put(region);
    return region;
  };

  /**
   * Reads one key. Linearizable: it sees every write acknowledged before it started.
   * @example const v = await client.get('user:1'); console.log(v?.toString());
   */
  async get(key: Bytes, opts?: CallOptions): Promise<Buffer | undefined> {
    const k = toKey(key);
    return callRegion(
      this.router,
      () => this.locate(k),
      {
        write: false,
        build: (context) => ({ get: { context, key: k } }),
        result: (r) => (r.get?.notFound ? undefined : asBuffer(r.get?.value)),
      },
      this.deadline(opts),
    );
  }

  /**
   * Reads many keys (any regions, in parallel). The result is aligned with `keys`.
   * @example const [a, b] = await client.batchGet(['a', 'b']);
   */
  async batchGet(keys: readonly Bytes[], opts?: CallOptions): Promise<(Buffer | undefined)[]> {
    const ks = keys.map((k) => toKey(k));
    const deadline = this.deadline(opts);
    const found = new Map<string, Buffer>();
    await this.grouped(ks, deadline, undefined, (group) => ({
      write: false,
      regroupOnRouteChange: true,
      build: (context) => ({ batchGet: { context, keys: group } }),
      result: (r) => {
        for (const p of r.batchGet?.pairs ?? [])
          found.set(asBuffer(p.key).toString('hex'), asBuffer(p.value));
      },
    }));
    return ks.map((k) => found.get(k.toString('hex')));
  }

  /**
   * Writes one key, acknowledged once durable on a majority of its region's replicas.
   * @example await client.put('user:1', JSON.stringify({ name: 'Ada' }));
   */
  async put(key: Bytes, value: Bytes, opts?: CallOptions): Promise<void> {
    const k = toKey(key);
    const v = toBytes(value, 'value');
    await callRegion(
      this.router,
      () => this.locate(k),
      {
        write: true,
        intent: this.intent(),
        build: (context) => ({ put: { context, key: k, value: v } }),
        result: () => undefined,
      },
      this.deadline(opts),
    );
  }

  /**
   * Writes many pairs: atomically within each region, in parallel across regions.
   * @example await client.batchPut([['a', '1'], ['b', '2']]);
   */
  async batchPut(pairs: readonly (readonly [Bytes, Bytes])[], opts?: CallOptions): Promise<void> {
    const values = new Map<string, Buffer>();
    const ks = pairs.map(([k, v]) => {
      const key = toKey(k);
      values.set(key.toString('hex'), toBytes(v, 'value'));
      return key;
    });
    const intent = this.intent();
    await this.grouped(ks, this.deadline(opts), intent, (group) => ({
      write: true,
      intent,
      regroupOnRouteChange: true,
      build: (context) => ({
        batchPut: {
          context,
          pairs: group.map((key) => ({ key, value: values.get(key.toString('hex'))! })),
        },
      }),
      result: () => undefined,
    }));
  }

  /**
   * Deletes one key (deleting a missing key is not an error).
   * @example await client.delete('user:1');
   */
  async delete(key: Bytes, opts?: CallOptions): Promise<void> {
    const k = toKey(key);
    await callRegion(
      this.router,
      () => this.locate(k),
      {
        write: true,
        intent: this.intent(),
        build: (context) => ({ delete: { context, key: k } }),
        result: () => undefined,
      },
      this.deadline(opts),
    );
  }

  /**
   * Deletes every key in [start, end), region by region. Not atomic across regions.
   * @example await client.deleteRange('logs:2024', 'logs:2025');
   */
  async deleteRange(start: Bytes, end: Bytes, opts?: CallOptions): Promise<void> {
    const s = toBytes(start, 'start');
    const e = toBound(end, 'end');
    if (e.length > 0 && compare(s, e) >= 0) throw invalidArgument('deleteRange needs start < end');
    const deadline = this.deadline(opts);
    // One id for every region's piece: a piece retried into a region split off one that
    // already applied it is answered from the record the split copied.
    const intent = this.intent();
    let cursor = s;
    for (;;) {
      const from = cursor;
      // Each piece ends where the region that took it ends (it may have split meanwhile).
      const reached = await callRegion(
        this.router,
        () => this.locate(from),
        {
          write: true,
          intent,
          regroupOnRouteChange: false,
          build: (context, r) => ({
            deleteRange: { context, startKey: from, endKey: minEnd(e, r.endKey) },
          }),
          result: (_, r) => r.endKey,
        },
        deadline,
      );
      if (reached.length === 0 || (e.length > 0 && compare(reached, e) >= 0)) return;
      cursor = reached;
    }
  }

  /**
   * Sets `key` to `value` if its current value is `expected` (null: if it does not exist).
   * @example const { succeeded } = await client.compareAndSwap('lock', null, 'me');
   */
  async compareAndSwap(
    key: Bytes,
    expected: Bytes | null,
    value: Bytes,
    opts?: CallOptions,
  ): Promise<CasResult> {
    const k = toKey(key);
    const v = toBytes(value, 'value');
    const prev = expected === null ? undefined : toBytes(expected, 'expected');
    return callRegion(
      this.router,
      () => this.locate(k),
      {
        write: true,
        intent: this.intent(),
        build: (context) => ({
          cas:
            prev === undefined
              ? { context, key: k, value: v, previousNotExist: true }
              : { context, key: k, value: v, previousValue: prev },
        }),
        result: (r) => ({
          succeeded: r.cas?.succeeded ?? false,
          previous: r.cas?.previousNotExist ? undefined : asBuffer(r.cas?.previousValue),
        }),
      },
      this.deadline(opts),
    );
  }

  /**
   * Reads the pairs in [start, end) in key order (or reverse), across regions, up to `limit`.
   * @example const rows = await client.scan({ start: 'user:', end: 'user;', limit: 100 });
   */
  async scan(opts: ScanOptions = {}): Promise<KeyValue[]> {
    const limit = opts.limit ?? SCAN_DEFAULT_LIMIT;
    if (!Number.isSafeInteger(limit) || limit <= 0)
      throw invalidArgument('scan limit must be a positive integer');
    const out: KeyValue[] = [];
    for await (const page of this.scanPages(opts, limit, SCAN_PAGE_MAX)) out.push(...page);
    return out;
  }

  /**
   * The same as scan() as an async iterator that pages through regions, so a scan of any
   * size runs in bounded memory.
   * @example for await (const { key, value } of client.scanIterator({ start: 'a' })) { ... }
   */
  async *scanIterator(opts: ScanOptions = {}): AsyncGenerator<KeyValue> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    for await (const page of this.scanPages(opts, limit, SCAN_ITERATOR_PAGE)) yield* page;
  }

  private async *scanPages(
    opts: ScanOptions,
    limit: number,
    pageMax: number,
  ): AsyncGenerator<KeyValue[]> {
    const start = toBound(opts.start, 'start');
    const end = toBound(opts.end, 'end');
    if (end.length > 0 && compare(start, end) > 0) throw invalidArgument('scan needs start <= end');
    const deadline = () => this.deadline(opts);
    let remaining = limit;
    if (opts.reverse) {
      let cursor = end; // exclusive upper bound
      while (remaining > 0) {
        const upper = cursor;
        const want = Math.min(remaining, pageMax);
        const { pairs, region } = await this.scanOnce(
          () => this.locateBefore(upper),
          (r) => [maxKey(start, r.startKey), upper],
          want,
          true,
          opts,
          deadline(),
        );
        remaining -= pairs.length;
        if (pairs.length > 0) yield pairs;
        if (pairs.length === want) {
          cursor = pairs[pairs.length - 1]!.key;
          continue;
        }
        if (region.startKey.length === 0 || compare(region.startKey, start) <= 0) return;
        cursor = region.startKey;
      }
      return;
    }
    let cursor = start;
    while (remaining > 0) {
      const lower = cursor;
      const want = Math.min(remaining, pageMax);
      const { pairs, region } = await this.scanOnce(
        () => this.locate(lower),
        (r) => [lower, minEnd(end, r.endKey)],
        want,
        false,
        opts,
        deadline(),
      );
      remaining -= pairs.length;
      if (pairs.length > 0) yield pairs;
      if (pairs.length === want) {
        cursor = Buffer.concat([pairs[pairs.length - 1]!.key, Buffer.from([0])]);
        continue;
      }
      if (region.endKey.length === 0 || (end.length > 0 && compare(region.endKey, end) >= 0))
        return;
      cursor = region.endKey;
    }
  }

  private async scanOnce(
    locate: () => Promise<RegionInfo>,
    bounds: (r: RegionInfo) => [Buffer, Buffer],
    limit: number,
    reverse: boolean,
    opts: ScanOptions,
    deadline: number,
  ): Promise<{ pairs: KeyValue[]; region: RegionInfo }> {
    let used: RegionInfo | undefined;
    const pairs = await callRegion(
      this.router,
      locate,
      {
        write: false,
        build: (context, r) => {
          used = r;
          const [startKey, endKey] = bounds(r);
          return {
            scan: { context, startKey, endKey, limit, reverse, keyOnly: opts.keyOnly ?? false },
          };
        },
        result: (resp) =>
          (resp.scan?.pairs ?? []).map((p) => ({ key: asBuffer(p.key), value: asBuffer(p.value) })),
      },
      deadline,
    );
    return { pairs, region: used! };
  }

  /** Runs a multi-key request per region in parallel; regroups keys when routes change. */
  private async grouped(
    keys: Buffer[],
    deadline: number,
    intent: WriteIntent | undefined,
    callFor: (group: Buffer[]) => RegionCall<void>,
  ): Promise<void> {
    let pending = keys;
    while (pending.length > 0) {
      const groups = new Map<number, { region: RegionInfo; keys: Buffer[] }>();
      for (const k of pending) {
        const region = await this.locate(k);
        const g = groups.get(region.id);
        if (g) g.keys.push(k);
        else groups.set(region.id, { region, keys: [k] });
      }
      const retry: Buffer[] = [];
      await Promise.all(
        [...groups.values()].map(async (g) => {
          try {
            const first = g.keys[0]!;
            await callRegion(
              this.router,
              async () => {
                const r = await this.locate(first);
                if (!g.keys.every((k) => contains(r, k))) throw new Regroup();
                return r;
              },
              callFor(g.keys),
              deadline,
            );
          } catch (e) {
            if (!(e instanceof Regroup)) throw e;
            retry.push(...g.keys);
          }
        }),
      );
      pending = retry;
      if (pending.length > 0 && this.router.env.now() >= deadline) {
        if (intent?.uncertain) throw ambiguous(`deadline passed; ${intent.uncertain}`);
        throw new AtollError(
          ClientErrorCode.Timeout,
          'deadline passed while regions were changing',
          true,
        );
      }
    }
  }
}

function minEnd(a: Buffer, b: Buffer): Buffer {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return compare(a, b) <= 0 ? a : b;
}

function maxKey(a: Buffer, b: Buffer): Buffer {
  return compare(a, b) >= 0 ? a : b;
}

export type { atoll };
