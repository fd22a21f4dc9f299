/**
 * How a call reacts to store errors, against a scripted sender: a read that timed out at
 * the store is asked again; a write whose outcome is unknown is sent again with the same
 * request id (the store de-duplicates it) within its retry window, and reported ambiguous
 * if it stays unknown.
 */

import { describe, expect, it } from 'vitest';
import {
  createClient,
  isAtollError,
  pdLocator,
  REQUEST_RETRY_WINDOW_MS,
  type RegionInfo,
  SendError,
  SendFailure,
  staticLocator,
} from '../src/index.js';
import type { ClientEnv, KvRequest, KvResponse, KvSender } from '../src/ports.js';

const region: RegionInfo = {
  id: 1,
  startKey: Buffer.alloc(0),
  endKey: Buffer.alloc(0),
  epoch: { confVer: 1, version: 1 },
  peers: [1, 2, 3].map((s) => ({ id: 10 + s, storeId: s, learner: false })),
};
const addresses = new Map([1, 2, 3].map((s) => [s, `store-${s}`]));

/** Answers each request with the next scripted response; records what was sent. */
class ScriptedSender implements KvSender {
  readonly sent: { address: string; request: KvRequest }[] = [];
  constructor(private readonly script: ((r: KvRequest) => KvResponse)[]) {}
  async send(address: string, request: KvRequest): Promise<KvResponse> {
    this.sent.push({ address, request });
    const next = this.script.shift();
    if (!next) throw new Error('script exhausted');
    return next(request);
  }
  async close(): Promise<void> {}
}

/** Virtual time: sleeping advances the clock at once. */
function virtualEnv(): ClientEnv & { now(): number } {
  let now = 0;
  return {
    now: () => now,
    random: () => 0.5,
    sleep: async (ms) => {
      now += ms;
    },
  };
}

const storeTimeout = (r: KvRequest): KvResponse => ({
  id: r.id,
  error: { code: 'STORE_ERR_TIMEOUT', message: 'the read timed out; retry', retryable: true },
});

describe('retries on store errors', () => {
  it('a read that timed out at the store is asked again and succeeds', async () => {
    const sender = new ScriptedSender([
      storeTimeout,
      storeTimeout,
      (r) => ({ id: r.id, get: { value: Buffer.from('v') } }),
    ]);
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env: virtualEnv(),
      timeoutMs: 10_000,
    });
    expect((await client.get('k'))?.toString()).toBe('v');
    expect(sender.sent.length).toBe(3);
  });

  it('a read that keeps timing out fails with the client timeout once the deadline passes', async () => {
    const sender = new ScriptedSender(Array.from({ length: 1000 }, () => storeTimeout));
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env: virtualEnv(),
      timeoutMs: 2_000,
    });
    const err = await client.get('k').catch((e: unknown) => e);
    expect(isAtollError(err, 'CLIENT_ERR_TIMEOUT')).toBe(true);
    expect((err as Error).message).toContain('the read timed out');
  });

  it('a write that timed out at the store is sent again with the same request id', async () => {
    const sender = new ScriptedSender([
      storeTimeout,
      (r) => ({ id: r.id, put: {} }),
      (r) => ({ id: r.id, put: {} }),
    ]);
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env: virtualEnv(),
    });
    await client.put('k', 'v');
    expect(sender.sent.length).toBe(2);
    const [first, second] = sender.sent.map((s) => idOf(s.request));
    expect(first?.length).toBe(16);
    expect(second).toEqual(first);
    // The next write is another request.
    await client.put('k', 'w');
    expect(idOf(sender.sent[2]!.request)).not.toEqual(first);
  });

  it('a write whose connection broke after sending is retried with the same id', async () => {
    const sender = new ScriptedSender([
      () => {
        throw new SendError(SendFailure.Unknown, 'stream reset');
      },
      (r) => ({ id: r.id, delete: {} }),
    ]);
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env: virtualEnv(),
    });
    await client.delete('k');
    expect(sender.sent.length).toBe(2);
    expect(idOf(sender.sent[1]!.request)).toEqual(idOf(sender.sent[0]!.request));
  });

  it('a write whose outcome stays unknown until the deadline is ambiguous, not a timeout', async () => {
    const sender = new ScriptedSender(Array.from({ length: 1000 }, () => storeTimeout));
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env: virtualEnv(),
      timeoutMs: 5_000,
    });
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(isAtollError(err, 'CLIENT_ERR_AMBIGUOUS_RESULT')).toBe(true);
    expect(sender.sent.length).toBeGreaterThan(1);
    const ids = new Set(sender.sent.map((s) => Buffer.from(idOf(s.request)!).toString('hex')));
    expect(ids.size).toBe(1);
  });

  it('past the retry window an unknown outcome is reported at once', async () => {
    const env = virtualEnv();
    const sender = new ScriptedSender(Array.from({ length: 10_000 }, () => storeTimeout));
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env,
      timeoutMs: 10 * REQUEST_RETRY_WINDOW_MS,
    });
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(isAtollError(err, 'CLIENT_ERR_AMBIGUOUS_RESULT')).toBe(true);
    // It stopped within the window (plus one backoff), long before its deadline.
    expect(env.now()).toBeLessThan(REQUEST_RETRY_WINDOW_MS + 5_000);
  });

  it("every region piece of a batch put carries the batch's one request id", async () => {
    const left: RegionInfo = { ...region, id: 1, endKey: Buffer.from('m') };
    const right: RegionInfo = { ...region, id: 2, startKey: Buffer.from('m') };
    const ok = (r: KvRequest): KvResponse => ({ id: r.id, batchPut: {} });
    const sender = new ScriptedSender([ok, ok]);
    const client = createClient({
      locator: staticLocator([left, right], addresses),
      sender,
      env: virtualEnv(),
    });
    await client.batchPut([
      ['a', '1'],
      ['z', '2'],
    ]);
    expect(sender.sent.length).toBe(2);
    expect(idOf(sender.sent[1]!.request)).toEqual(idOf(sender.sent[0]!.request));
  });
  it('after a down store, the store that answered is asked first (it leads the region)', async () => {
    // Store 1 is down (each send there fails as not sent); stores 2 and 3 answer.
    const sender: KvSender & { sent: string[] } = {
      sent: [],
      async send(address, request) {
        this.sent.push(address);
        if (address === 'store-1') throw new SendError(SendFailure.NotSent, 'connection refused');
        return { id: request.id, get: { value: Buffer.from(address) } };
      },
      async close() {},
    };
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env: virtualEnv(),
      timeoutMs: 10_000,
    });
    for (let i = 0; i < 5; i++) expect((await client.get('k'))?.toString()).toBe('store-2');
    expect(sender.sent).toEqual(['store-1', 'store-2', 'store-2', 'store-2', 'store-2', 'store-2']);
  });

  it('a store that restarted on another port is found at its new address after one failed send', async () => {
    // PD's answer changes when the store comes back; the client must not trust its cache
    // for a minute (the address TTL) while every call fails.
    let address = 'old:1';
    let lookups = 0;
    const pd = {
      getRegion: async () => ({
        region: {
          id: 1,
          startKey: Buffer.alloc(0),
          endKey: Buffer.alloc(0),
          regionEpoch: region.epoch,
          peers: [{ id: 11, storeId: 1 }],
        },
        leader: { id: 11, storeId: 1 },
      }),
      getPrevRegion: async () => {
        throw new Error('not used');
      },
      getStore: async () => {
        lookups++;
        return { store: { id: 1, address } };
      },
      close: async () => {},
    };
    const sender = new ScriptedSender([
      () => {
        address = 'new:2';
        throw new SendError(SendFailure.NotSent, 'connection refused');
      },
      (r) => ({ id: r.id, get: { value: Buffer.from('v') } }),
    ]);
    const client = createClient({
      locator: pdLocator(pd as never, () => 0),
      sender,
      env: virtualEnv(),
      timeoutMs: 10_000,
    });
    expect((await client.get('k'))?.toString()).toBe('v');
    expect(sender.sent.map((x) => x.address)).toEqual(['old:1', 'new:2']);
    expect(lookups).toBe(2);
  });
});

/** The request id a write request carries. */
function idOf(r: KvRequest): Uint8Array | undefined {
  const cmd = r.put ?? r.batchPut ?? r.delete ?? r.deleteRange ?? r.cas;
  const id = cmd?.context?.requestId;
  return id ? Uint8Array.from(id) : undefined;
}
