/**
 * A store that ends on its own during a run is reported, with how it ended and its last log
 * lines (the rows after it measured a smaller cluster). Three real store processes.
 */

import { killAll } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { AtollStaticTarget } from '../src/atoll-static-target.js';
import { KeyFormat } from '../src/key-space.js';
import { until } from '../src/static-cluster-launcher.js';

const target = new AtollStaticTarget({
  stores: 3,
  regions: 1,
  keys: new KeyFormat(1_000, 16),
  version: 'test',
});
afterAll(async () => {
  await target.stop();
  killAll();
});

describe('a store ending on its own', () => {
  it('is reported by failures(), once it has ended, and not after a normal stop', async () => {
    await target.start();
    expect(target.failures()).toEqual([]);
    const victim = target.processes().find((p) => p.name === 'store-2')!;
    process.kill(victim.pid, 'SIGKILL');
    await until(async () => target.failures().length > 0, 10_000, 'the failure reported');
    const failures = target.failures();
    expect(failures.length).toBe(1);
    expect(failures[0]).toMatch(
      /^store-2 of atoll 3 stores, 1 region ended on its own \(SIGKILL\); last log lines: /,
    );
    await target.stop();
    expect(target.failures()).toEqual([]);
  }, 60_000);
});
