/**
 * The bookkeeping both Kv senders share: a request never written fails as "not sent" and is
 * never written afterwards; one written and then lost fails as "unknown"; answers settle
 * their requests by id; a deadline fails a request alone.
 */

import { describe, expect, it } from 'vitest';
import { PendingRequests } from '../src/pending-requests.js';
import { SendError, SendFailure } from '../src/ports.js';

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (e: unknown) => (e instanceof SendError ? e.failure : `not a SendError: ${e}`),
  );

describe('pending requests', () => {
  it('a lost connection: written requests are unknown, queued ones not sent and dropped', async () => {
    const pending = new PendingRequests();
    const written = failureOf(pending.add({ get: { key: Buffer.from('a') } }, 10_000));
    const batch = pending.takeBatch();
    expect(batch.map((r) => Number(r.id))).toEqual([1]);
    const queued = failureOf(pending.add({ get: { key: Buffer.from('b') } }, 10_000));
    pending.failAll('connection lost');
    expect(await written).toBe(SendFailure.Unknown);
    expect(await queued).toBe(SendFailure.NotSent);
    // Never written afterwards: the caller was told it was not sent.
    expect(pending.queued).toBe(0);
    expect(pending.takeBatch()).toEqual([]);
  });

  it('answers settle their requests by id, in any order; a deadline fails only its own', async () => {
    const pending = new PendingRequests();
    const a = pending.add({ get: { key: Buffer.from('a') } }, 10_000);
    const b = pending.add({ get: { key: Buffer.from('b') } }, 10_000);
    const late = failureOf(pending.add({ get: { key: Buffer.from('c') } }, 1));
    pending.takeBatch();
    expect(await late).toBe(SendFailure.Unknown);
    pending.answer([{ id: 2 }, { id: 1 }, { id: 3 }]);
    expect(Number((await a).id)).toBe(1);
    expect(Number((await b).id)).toBe(2);
    expect(pending.awaitingAnswers).toBe(false);
  });

  it('a connection never made fails the queued requests as not sent', async () => {
    const pending = new PendingRequests();
    const queued = failureOf(pending.add({ get: { key: Buffer.from('a') } }, 10_000));
    pending.failQueued('cannot connect');
    expect(await queued).toBe(SendFailure.NotSent);
    expect(pending.queued).toBe(0);
  });
});
