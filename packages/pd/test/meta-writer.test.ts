import { describe, expect, it } from 'vitest';
import { isPdError, MetaWriter, PdErrorCode } from '../src/index.js';
import { MemoryMetaStorage } from '../src/testing/index.js';
import { k } from './helpers.js';

const put = (key: string, value: string) => ({
  kind: 'put' as const,
  key: k(key),
  value: k(value),
});

describe('MetaWriter', () => {
  it('applies writes one at a time, in the order asked', async () => {
    const storage = new MemoryMetaStorage();
    const writer = new MetaWriter(storage, () => {});
    storage.holdWrites();
    const a = writer.write([put('x', '1')]);
    const b = writer.write([put('x', '2'), { kind: 'delete', key: k('y') }]);
    await new Promise((r) => setImmediate(r));
    expect(storage.heldWrites).toBe(1); // the second waits for the first
    storage.release();
    await Promise.all([a, b]);
    expect(new TextDecoder().decode(await storage.get(k('x')))).toBe('2');
  });

  it('stops for good at the first failure and reports it once', async () => {
    const storage = new MemoryMetaStorage();
    const failures: unknown[] = [];
    const writer = new MetaWriter(storage, (e) => failures.push(e));
    storage.failWrites();
    const a = writer.write([put('x', '1')]).catch((e: unknown) => e);
    const b = writer.write([put('y', '1')]).catch((e: unknown) => e);
    expect(isPdError(await a, PdErrorCode.Storage)).toBe(true);
    expect(isPdError(await b, PdErrorCode.Storage)).toBe(true);
    storage.healWrites();
    expect(
      isPdError(await writer.write([put('z', '1')]).catch((e: unknown) => e), PdErrorCode.Storage),
    ).toBe(true);
    expect(failures).toHaveLength(1);
    expect(writer.isStopped).toBe(true);
    expect(await storage.get(k('y'))).toBeUndefined();
  });

  it('refuses writes after close, but lets the one in flight finish', async () => {
    const storage = new MemoryMetaStorage();
    const writer = new MetaWriter(storage, () => {});
    storage.holdWrites();
    const inFlight = writer.write([put('a', '1')]);
    const queued = writer.write([put('b', '1')]).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    writer.close();
    storage.release();
    await inFlight;
    expect(isPdError(await queued, PdErrorCode.NotLeader)).toBe(true);
    await writer.drain();
    expect(await storage.get(k('b'))).toBeUndefined();
  });
});
