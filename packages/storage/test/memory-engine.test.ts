/** What only the memory engine does: model a power failure as LMDB recovers from one. */

import { EntryType } from '@atoll/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryEngine } from '../src/index.js';
import { b, closeAll, s } from './engines.js';

afterEach(closeAll);

describe('memory engine power-loss model', () => {
  it('keeps every durable batch and everything before it; loses the visible-only tail', async () => {
    const e = openMemoryEngine();
    const entry = (index: number) => ({
      index,
      term: 1,
      type: EntryType.Normal,
      data: b(`e${index}`),
    });
    await e
      .batch()
      .appendEntries(1, [entry(1)])
      .put(b('a'), b('1'))
      .commit(); // durable
    await e.batch().put(b('a'), b('2')).setApplyState(1, { appliedIndex: 1 }).commit(); // visible
    await e
      .batch()
      .appendEntries(1, [entry(2)])
      .commit(); // durable: makes the one before durable
    await e.batch().put(b('a'), b('3')).setApplyState(1, { appliedIndex: 2 }).commit(); // visible
    await e.batch().put(b('b'), b('x')).compactLog(1, 1).commit(); // visible
    expect(e.raftStorage(1).firstIndex()).toBe(2);
    expect(await e.simulatePowerLoss()).toBe(2);
    expect(s(e.get(b('a')))).toBe('2');
    expect(e.get(b('b'))).toBeUndefined();
    expect(e.applyState(1)?.appliedIndex).toBe(1);
    expect(e.raftStorage(1).firstIndex()).toBe(1);
    expect(e.raftStorage(1).lastIndex()).toBe(2);
    expect(await e.simulatePowerLoss()).toBe(0);
  });
});
