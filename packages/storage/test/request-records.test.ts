/**
 * The store's records of applied client requests, single and grouped, on both engines: kept
 * per region apart from every other state record, removed one by one, cleared per region, and
 * gone with the region's log.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, ENGINES } from './engines.js';

afterEach(closeAll);

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(ENGINES)('request records ($name)', (factory) => {
  it('are kept per region, in id order, beside the other state records', async () => {
    const engine = factory.open();
    await engine
      .batch()
      .setApplyState(7, { appliedIndex: 3 })
      .putRequestRecord(7, bytes('b'), bytes('two'))
      .putRequestRecord(7, bytes('a'), bytes('one'))
      .putRequestRecord(7, new Uint8Array(0), bytes('clock'))
      .putRequestRecord(8, bytes('a'), bytes('other region'))
      .setApplyState(8, { appliedIndex: 1 })
      .commit();
    const seven = engine.requestRecords(7).map((r) => [text(r.requestId), text(r.value)]);
    expect(seven).toEqual([
      ['', 'clock'],
      ['a', 'one'],
      ['b', 'two'],
    ]);
    expect(engine.requestRecords(8).map((r) => text(r.value))).toEqual(['other region']);
    expect(engine.applyState(7)?.appliedIndex).toBe(3);
    expect(engine.regionIds()).toEqual([7, 8]);
  });

  it('are deleted one by one, cleared per region, and destroyed with the log', async () => {
    const engine = factory.open();
    await engine
      .batch()
      .putRequestRecord(7, bytes('a'), bytes('1'))
      .putRequestRecord(7, bytes('b'), bytes('2'))
      .putRequestRecord(8, bytes('c'), bytes('3'))
      .putRequestRecord(9, bytes('d'), bytes('4'))
      .setApplyState(7, { appliedIndex: 5 })
      .commit();
    await engine.batch().deleteRequestRecord(7, bytes('a')).commit();
    expect(engine.requestRecords(7).map((r) => text(r.requestId))).toEqual(['b']);
    await engine.batch().clearRequestRecords(7).commit();
    expect(engine.requestRecords(7)).toEqual([]);
    // Clearing keeps the region's other records.
    expect(engine.applyState(7)?.appliedIndex).toBe(5);
    await engine.batch().destroyRegionLog(8).commit();
    expect(engine.requestRecords(8)).toEqual([]);
    expect(engine.requestRecords(9).map((r) => text(r.value))).toEqual(['4']);
  });

  it('groups: kept per region by number, deleted one by one, cleared and destroyed', async () => {
    const engine = factory.open();
    await engine
      .batch()
      .putRequestGroup(7, 12, bytes('twelve'))
      .putRequestGroup(7, 2, bytes('two'))
      .putRequestRecord(7, bytes('a'), bytes('single'))
      .putRequestGroup(8, 1, bytes('other region'))
      .setApplyState(7, { appliedIndex: 4 })
      .commit();
    const groups = (id: number) => engine.requestGroups(id).map((g) => [g.seq, text(g.value)]);
    expect(groups(7)).toEqual([
      [2, 'two'],
      [12, 'twelve'],
    ]);
    // Groups and single records live apart.
    expect(engine.requestRecords(7).map((r) => text(r.value))).toEqual(['single']);
    await engine.batch().deleteRequestGroup(7, 2).commit();
    expect(groups(7)).toEqual([[12, 'twelve']]);
    await engine.batch().clearRequestRecords(7).commit();
    expect(groups(7)).toEqual([]);
    expect(engine.requestRecords(7)).toEqual([]);
    expect(engine.applyState(7)?.appliedIndex).toBe(4);
    expect(groups(8)).toEqual([[1, 'other region']]);
    await engine.batch().destroyRegionLog(8).commit();
    expect(groups(8)).toEqual([]);
  });

  it('refuse an oversized request id', () => {
    const engine = factory.open();
    expect(() => engine.batch().putRequestRecord(1, new Uint8Array(65), bytes('x'))).toThrow(
      /request id of 65 bytes/,
    );
  });
});
