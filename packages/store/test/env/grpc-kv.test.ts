/**
 * The Kv service adapter and the small multiplexing client, over loopback: many concurrent
 * requests on one stream, coalesced into few messages both ways and matched by id; answers
 * completing out of order; the server's per-stream in-flight bound; a broken stream failing
 * pending requests as ambiguous (written) or not sent (never written); unary calls; errors.
 */

import { kvService } from '@atoll/proto/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcKvClient } from '../../src/env/grpc-kv-client.js';
import { createKvService, type KvServiceOptions } from '../../src/env/grpc-kv-server.js';
import { type RunningGrpcServer, startLoopbackGrpcServer } from '../../src/env/grpc-server.js';
import type { KvHandler, KvRequest, KvResponse } from '../../src/env/kv-handler.js';
import { StoreError, StoreErrorCode } from '../../src/errors.js';
import { waitFor } from './helpers.js';

const started: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

async function serve(
  handler: KvHandler,
  options?: KvServiceOptions,
): Promise<{ server: RunningGrpcServer; client: GrpcKvClient }> {
  const server = await startLoopbackGrpcServer((s) =>
    s.addService(kvService, createKvService(handler, options)),
  );
  started.push({ close: () => server.stop(0) });
  const client = new GrpcKvClient(`127.0.0.1:${server.port}`);
  started.push(client);
  return { server, client };
}

/** Answers a put of key k with a get response whose value is k (so matching is checkable). */
const echo = (r: KvRequest): KvResponse => ({ id: r.id, get: { value: r.put?.key ?? null } });
const put = (key: string): KvRequest => ({
  put: { key: Buffer.from(key), value: new Uint8Array(128) },
});
const echoedKey = (r: KvResponse) => Buffer.from(r.get?.value ?? []).toString();

/** A handler whose answers the test releases. */
class HeldHandler implements KvHandler {
  readonly held: { request: KvRequest; answer: () => void }[] = [];
  active = 0;
  maxActive = 0;

  handle(request: KvRequest): Promise<KvResponse> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    return new Promise((resolve) => {
      this.held.push({
        request,
        answer: () => {
          this.active--;
          resolve(echo(request));
        },
      });
    });
  }

  releaseAll(order: 'fifo' | 'reverse' = 'fifo'): number {
    const batch = this.held.splice(0);
    if (order === 'reverse') batch.reverse();
    for (const h of batch) h.answer();
    return batch.length;
  }
}

describe('Kv stream server and client', () => {
  it('multiplexes many concurrent requests over one stream, coalesced, matched by id', async () => {
    const { client } = await serve({ handle: async (r) => echo(r) });
    const keys = Array.from({ length: 2_000 }, (_, i) => `key-${i}`);
    const responses = await Promise.all(keys.map((k) => client.send(put(k))));
    expect(responses.map(echoedKey)).toEqual(keys);
    const stats = client.stats();
    expect(stats.streamsOpened).toBe(1);
    expect(stats.requestsSent).toBe(2_000);
    // 2,000 requests issued in one turn: two messages of at most 1,024 requests each.
    expect(stats.requestBatchesSent).toBe(2);
    expect(stats.responseBatchesReceived).toBeLessThan(100);
  });

  it('matches answers that complete out of order', async () => {
    const handler = new HeldHandler();
    const { client } = await serve(handler);
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const pending = keys.map((k) => client.send(put(k)));
    await waitFor(() => handler.held.length === 300, 'all requests at the handler');
    handler.releaseAll('reverse');
    const responses = await Promise.all(pending);
    expect(responses.map(echoedKey)).toEqual(keys);
  });

  it('keeps at most the in-flight bound of requests per stream at the handler', async () => {
    const handler = new HeldHandler();
    const { server } = await serve(handler, { inflightMax: 8 });
    // Four requests per message: the server must stop reading, not just queue a big batch.
    const client = new GrpcKvClient(`127.0.0.1:${server.port}`, { requestBatchMax: 4 });
    started.push(client);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    const all = Promise.all(keys.map((k) => client.send(put(k))));
    let answered = 0;
    while (answered < 100) {
      await waitFor(
        () => handler.held.length === Math.min(8, 100 - answered),
        `the handler holding ${Math.min(8, 100 - answered)} requests`,
      );
      answered += handler.releaseAll();
    }
    expect((await all).map(echoedKey)).toEqual(keys);
    expect(handler.maxActive).toBe(8);
  });

  it('a broken stream rejects written requests as ambiguous (STORE_ERR_STREAM_BROKEN)', async () => {
    const handler = new HeldHandler();
    const { server, client } = await serve(handler);
    const pending = Array.from({ length: 20 }, (_, i) =>
      client.send(put(`k${i}`)).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    await waitFor(() => handler.held.length === 20, 'requests at the handler');
    await server.stop(0); // the store dies with the requests in progress
    const errors = await Promise.all(pending);
    for (const e of errors) {
      expect(e).toBeInstanceOf(StoreError);
      expect((e as StoreError).code).toBe(StoreErrorCode.StreamBroken);
      expect((e as StoreError).retryable).toBe(false);
    }
    expect(client.pendingCount).toBe(0);
  });

  it('requests that could not be sent fail as STORE_ERR_NOT_SENT (safe to retry)', async () => {
    const { server } = await serve({ handle: async (r) => echo(r) });
    await server.stop(0);
    const client = new GrpcKvClient(`127.0.0.1:${server.port}`, { connectTimeoutMs: 200 });
    started.push(client);
    const e = await client.send(put('a')).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: StoreErrorCode.NotSent, retryable: true });
  });

  it('refuses more than pendingMax unanswered requests with STORE_ERR_NOT_SENT', async () => {
    const handler = new HeldHandler();
    const { server } = await serve(handler);
    const client = new GrpcKvClient(`127.0.0.1:${server.port}`, { pendingMax: 5 });
    started.push(client);
    const first = Array.from({ length: 5 }, (_, i) => client.send(put(`k${i}`)));
    await expect(client.send(put('k5'))).rejects.toMatchObject({ code: StoreErrorCode.NotSent });
    await waitFor(() => handler.held.length === 5, 'requests at the handler');
    handler.releaseAll();
    await Promise.all(first);
    expect(echoedKey(await sendAfterRelease(client, handler, 'k6'))).toBe('k6');
  });

  it('answers handler failures as error responses, typed or STORE_ERR_INTERNAL', async () => {
    const { client } = await serve({
      handle: async (r) => {
        if (r.put?.key?.[0] === 0x74 /* t */) {
          throw new StoreError(StoreErrorCode.KeyTooLarge, 'too long', false, { max: 1 });
        }
        throw new Error('bug');
      },
    });
    const typed = await client.send(put('typed'));
    expect(typed.error?.code).toBe(StoreErrorCode.KeyTooLarge);
    expect(JSON.parse(typed.error?.detailsJson ?? '{}')).toEqual({ max: 1 });
    const other = await client.send(put('other'));
    expect(other.error?.code).toBe(StoreErrorCode.Internal);
    const unary = await client.call(put('x'));
    expect(unary.error?.code).toBe(StoreErrorCode.Internal);
  });

  it('serves unary calls', async () => {
    const { client } = await serve({ handle: async (r) => echo(r) });
    const rs = await Promise.all(['a', 'b', 'c'].map((k) => client.call({ id: 7, ...put(k) })));
    expect(rs.map(echoedKey)).toEqual(['a', 'b', 'c']);
    expect(rs.map((r) => Number(r.id))).toEqual([7, 7, 7]);
  });

  it('a unary call to a dead store fails typed', async () => {
    const { server, client } = await serve({ handle: async (r) => echo(r) });
    await server.stop(0);
    await expect(client.call(put('a'), 500)).rejects.toBeInstanceOf(StoreError);
  });

  it('after close, pending requests fail and new ones are refused', async () => {
    const handler = new HeldHandler();
    const { client } = await serve(handler);
    const pending = client.send(put('a')).catch((e: unknown) => e);
    await waitFor(() => handler.held.length === 1, 'the request at the handler');
    await client.close();
    expect(await pending).toMatchObject({ code: StoreErrorCode.StreamBroken });
    await expect(client.send(put('b'))).rejects.toMatchObject({
      code: StoreErrorCode.TransportClosed,
    });
    handler.releaseAll();
  });
});

/** Sends one request and answers it as soon as the handler holds it. */
async function sendAfterRelease(
  client: GrpcKvClient,
  handler: HeldHandler,
  key: string,
): Promise<KvResponse> {
  const p = client.send(put(key));
  await waitFor(() => handler.held.length === 1, 'the request at the handler');
  handler.releaseAll();
  return p;
}
