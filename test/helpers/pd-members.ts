/**
 * In-process PD clusters for tests: N members (startPdServer) on free loopback ports, in
 * memory or over LMDB in a temp folder, with helpers to find the serving leader and to stop
 * or restart one member. Tests stop what they start (stopAll).
 */

import { type RunningPd, startPdServer } from '@atoll/pd/server';
import { freePort } from '@atoll/store/testing';
import { waitFor } from './wait.js';

export interface PdTestCluster {
  readonly addresses: Map<number, string>;
  readonly members: Map<number, RunningPd>;
  /** The member serving as leader (waits for one, up to `timeoutMs`). */
  leader(timeoutMs?: number): Promise<RunningPd>;
  /** Stops one member (graceful or not). */
  stop(id: number, graceful?: boolean): Promise<void>;
  /** Starts a stopped member again. */
  restart(id: number): Promise<RunningPd>;
  stopAll(): Promise<void>;
}

export async function startPdCluster(
  count: number,
  opts: { dataDir?: (id: number) => string; config?: Record<string, unknown> } = {},
): Promise<PdTestCluster> {
  const addresses = new Map<number, string>();
  for (let id = 1; id <= count; id++) addresses.set(id, `127.0.0.1:${await freePort()}`);
  const members = new Map<number, RunningPd>();
  const start = (id: number) =>
    startPdServer({
      memberId: id,
      initialCluster: addresses,
      dataDir: opts.dataDir?.(id) ?? 'memory:',
      ...(opts.config ? { config: opts.config } : {}),
    });
  for (const id of addresses.keys()) members.set(id, await start(id));
  return {
    addresses,
    members,
    async leader(timeoutMs = 15_000) {
      let found: RunningPd | undefined;
      await waitFor(
        () => {
          found = [...members.values()].find((m) => m.isServing());
          return found !== undefined;
        },
        timeoutMs,
        'a serving PD leader',
      );
      return found!;
    },
    async stop(id, graceful = false) {
      const m = members.get(id);
      members.delete(id);
      await m?.stop(graceful);
    },
    async restart(id) {
      const m = await start(id);
      members.set(id, m);
      return m;
    },
    async stopAll() {
      for (const m of members.values()) await m.stop(false);
      members.clear();
    },
  };
}
