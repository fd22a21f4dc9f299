/**
 * The leader search on its own, with a scripted connection: a search nobody waits for any
 * more must fail quietly (an unhandled rejection would crash the host process).
 */

import { afterEach, describe, expect, it } from 'vitest';
import { Sleeper } from '../src/backoff.js';
import type { Connections } from '../src/connections.js';
import { isPdClientError } from '../src/errors.js';
import { LeaderFinder } from '../src/leader-finder.js';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (e: unknown) => unhandled.push(e));
afterEach(() => {
  unhandled.length = 0;
});

describe('LeaderFinder', () => {
  it('a caller whose deadline has passed fails at once, and the search it started fails quietly', async () => {
    const sleeper = new Sleeper();
    let calls = 0;
    // Every GetMembers fails like a member that is down.
    const connections = {
      unary: () => {
        calls++;
        return Promise.reject(new Error('14 UNAVAILABLE: connection refused'));
      },
    } as unknown as Connections;
    const finder = new LeaderFinder(
      { connections, sleeper, isClosed: () => false, now: () => Date.now() },
      ['127.0.0.1:1'],
      0,
    );
    const err = await finder.find(Date.now() - 1).catch((e: unknown) => e);
    expect(isPdClientError(err) && err.code).toBe('PD_CLIENT_ERR_UNAVAILABLE');
    // The search it started asks, fails and gives up without a timer (its deadline is past):
    // a few turns of the event loop see it through, and any unhandled rejection reported.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
  });
});
