/**
 * How a call reacts to store errors, against a scripted sender: a read that timed out at
 * the store is asked again, a write that timed out is reported ambiguous (never re-sent).
 */

import { describe, expect, it } from 'vitest';
import { createClient, isAtollError, type RegionInfo, staticLocator } from '../src/index.js';
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
function virtualEnv(): ClientEnv {
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

  it('a write that timed out at the store is ambiguous and is not sent again', async () => {
    const sender = new ScriptedSender([
      (r) => ({
        id: r.id,
        error: { code: 'STORE_ERR_TIMEOUT', message: 'timed out', retryable: true },
      }),
    ]);
    const client = createClient({
      locator: staticLocator([region], addresses),
      sender,
      env: virtualEnv(),
    });
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(isAtollError(err, 'CLIENT_ERR_AMBIGUOUS_RESULT')).toBe(true);
    expect(sender.sent.length).toBe(1);
  });
});
