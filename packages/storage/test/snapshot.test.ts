/**
 * Range snapshots: export a range at a consistent point as checksummed chunks, ingest it
 * into another engine (replacing that range), and get exactly the source range back; damaged
 * streams are refused and leave the target untouched.
 */

import { SeededRandom } from '@atoll/raft';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isStorageError,
  LockKind,
  type StorageEngine,
  StorageErrorCode,
  U64_MAX,
  WriteKind,
} from '../src/index.js';
import { b, closeAll, ENGINES, s } from './engines.js';

afterEach(closeAll);

const EMPTY = new Uint8Array(0);
/** Small chunks, so a few hundred pairs make many of them. */
const CHUNK_BYTES = 512;

/** Fills every key space with seeded data over keys k000..k199 (and a long value or two). */
async function fill(e: StorageEngine, seed: number, tag: string): Promise<void> {
  const rnd = new SeededRandom(seed);
  const batch = e.batch();
  for (let i = 0; i < 200; i++) {
    const key = b(`k${String(i).padStart(3, '0')}`);
    const len = rnd.chance(0.05) ? 3000 : rnd.nextInt(40);
    const value = new Uint8Array(len).fill(i & 0xff);
    batch.put(key, b(`${tag}-raw-${i}`));
    if (rnd.chance(0.5))
      batch.putWrite(key, 20n, {
        kind: WriteKind.Put,
        startTs: 19n,
        shortValue: value.subarray(0, 10),
      });
    if (rnd.chance(0.5)) {
      batch.putDefault(key, 29n, value);
      batch.putWrite(key, 30n, { kind: WriteKind.Put, startTs: 29n });
    }
    if (rnd.chance(0.1))
      batch.putLock(key, { kind: LockKind.Put, primary: key, startTs: 40n, ttlMs: 10 });
  }
  // Edge keys: empty, 0x00 and 0xff heavy.
  batch.put(EMPTY, b(`${tag}-empty`));
  batch.put(Uint8Array.of(0xff, 0xff), b(`${tag}-ff`));
  batch.put(Uint8Array.of(0), b(`${tag}-00`));
  await batch.commit();
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

function concat(chunks: Uint8Array[]): string {
  return Buffer.concat(chunks).toString('hex');
}

describe.each(ENGINES)('range snapshots ($name)', (factory) => {
  it('export then ingest reproduces the source range exactly and keeps the rest', async () => {
    const src = factory.open({ snapshotChunkBytes: CHUNK_BYTES });
    const dst = factory.open({ snapshotChunkBytes: CHUNK_BYTES });
    await fill(src, 1, 'src');
    await fill(dst, 2, 'dst');
    const start = b('k050');
    const end = b('k150');
    const chunks = await collect(src.exportRange(start, end, b('meta: region 7 @ 42')));
    expect(chunks.length).toBeGreaterThan(10);
    const header = await dst.ingestSnapshot(7, chunks);
    expect(s(header.meta)).toBe('meta: region 7 @ 42');
    // Exactly equal: the target's own export of the range is byte-identical.
    const again = await collect(dst.exportRange(start, end, b('meta: region 7 @ 42')));
    expect(concat(again)).toBe(concat(chunks));
    // Outside the range the target kept its own data.
    expect(s(dst.get(b('k049')))).toBe('dst-raw-49');
    expect(s(dst.get(b('k150')))).toBe('dst-raw-150');
    expect(s(dst.get(EMPTY))).toBe('dst-empty');
    expect(s(dst.get(b('k100')))).toBe('src-raw-100');
    expect([...dst.mvcc.versions(b('k100'), U64_MAX)]).toEqual([
      ...src.mvcc.versions(b('k100'), U64_MAX),
    ]);
  });

  it('an unbounded range covers the empty key and 0xff keys', async () => {
    const src = factory.open({ snapshotChunkBytes: CHUNK_BYTES });
    const dst = factory.open({ snapshotChunkBytes: CHUNK_BYTES });
    await fill(src, 3, 'src');
    await dst.batch().put(b('zzz'), b('stale')).commit();
    const chunks = await collect(src.exportRange(EMPTY, EMPTY));
    await dst.ingestSnapshot(1, chunks);
    expect(s(dst.get(EMPTY))).toBe('src-empty');
    expect(s(dst.get(Uint8Array.of(0xff, 0xff)))).toBe('src-ff');
    expect(dst.get(b('zzz'))).toBeUndefined();
    expect(concat(await collect(dst.exportRange(EMPTY, EMPTY)))).toBe(concat(chunks));
  });

  it('exports the state as of its creation, whatever is written later', async () => {
    const src = factory.open({ snapshotChunkBytes: CHUNK_BYTES });
    await fill(src, 4, 'src');
    const exp = src.exportRange(EMPTY, EMPTY);
    await src.batch().put(b('k100'), b('later')).delete(b('k101')).put(b('new'), b('x')).commit();
    const dst = factory.open();
    await dst.ingestSnapshot(1, await collect(exp));
    expect(s(dst.get(b('k100')))).toBe('src-raw-100');
    expect(s(dst.get(b('k101')))).toBe('src-raw-101');
    expect(dst.get(b('new'))).toBeUndefined();
  });

  it('stages invisibly, and installs atomically with the rest of a batch', async () => {
    const src = factory.open();
    const dst = factory.open();
    await fill(src, 5, 'src');
    await dst.batch().put(b('k100'), b('old')).commit();
    const header = await dst.stageSnapshot(9, src.exportRange(b('k1'), b('k2')));
    expect(s(dst.get(b('k100')))).toBe('old');
    const batch = dst
      .batch()
      .installStagedSnapshot(9, header.start, header.end)
      .setApplyState(9, { appliedIndex: 42 })
      .applySnapshotPosition(9, 42, 6);
    expect(batch.mustSync).toBe(true);
    await batch.commit();
    expect(s(dst.get(b('k100')))).toBe('src-raw-100');
    expect(dst.applyState(9)?.appliedIndex).toBe(42);
    expect(dst.raftStorage(9).firstIndex()).toBe(43);
    // The stage is gone: installing again changes nothing.
    await dst.batch().put(b('k150'), b('after')).commit();
    await dst.batch().installStagedSnapshot(9, header.start, header.end).commit();
    expect(dst.get(b('k150'))).toBeUndefined();
  });

  it('refuses damaged, truncated, reordered or foreign streams and changes nothing', async () => {
    const src = factory.open({ snapshotChunkBytes: CHUNK_BYTES });
    await fill(src, 6, 'src');
    const good = await collect(src.exportRange(b('k050'), b('k150')));
    const flipped = good.map((c, i) => {
      if (i !== 3) return c;
      const d = c.slice();
      d[d.length >> 1] ^= 0x01;
      return d;
    });
    const cases: Record<string, Uint8Array[]> = {
      'a flipped bit': flipped,
      'a missing chunk': good.filter((_, i) => i !== 2),
      'a duplicated chunk': [...good.slice(0, 3), good[2]!, ...good.slice(3)],
      'two chunks swapped': [good[0]!, good[2]!, good[1]!, ...good.slice(3)],
      'no trailer': good.slice(0, -1),
      'a chunk after the trailer': [...good, good[0]!],
      'an empty stream': [],
      garbage: [b('not a snapshot chunk at all, really')],
    };
    for (const [what, chunks] of Object.entries(cases)) {
      const dst = factory.open();
      await dst.batch().put(b('k100'), b('mine')).commit();
      const err = await dst.ingestSnapshot(3, chunks).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(
        isStorageError(err, StorageErrorCode.SnapshotChecksum),
        `${what}: ${String(err)}`,
      ).toBe(true);
      expect(s(dst.get(b('k100'))), what).toBe('mine');
      // Nothing left staged: installing the (empty) stage only clears the range.
      await dst.batch().installStagedSnapshot(3, b('k0'), b('k1')).commit();
      expect(s(dst.get(b('k100'))), what).toBe('mine');
    }
  });

  it('chunks stay bounded even with values larger than a chunk', async () => {
    const src = factory.open({ snapshotChunkBytes: CHUNK_BYTES });
    await src
      .batch()
      .put(b('big'), new Uint8Array(10_000).fill(7))
      .put(b('small'), b('x'))
      .commit();
    const chunks = await collect(src.exportRange(EMPTY, EMPTY));
    // One pair larger than the target travels alone in its chunk.
    for (const c of chunks) expect(c.byteLength).toBeLessThan(CHUNK_BYTES + 10_000 + 100);
    const dst = factory.open();
    await dst.ingestSnapshot(1, chunks);
    expect(dst.get(b('big'))).toEqual(new Uint8Array(10_000).fill(7));
  });
});

describe('snapshot streams between engines', () => {
  it('LMDB and memory engines read each other’s streams', async () => {
    const [mem, lmdb] = ENGINES.map((f) => f.open({ snapshotChunkBytes: CHUNK_BYTES })) as [
      StorageEngine,
      StorageEngine,
    ];
    await fill(lmdb, 7, 'lmdb');
    const chunks = await collect(lmdb.exportRange(EMPTY, EMPTY));
    await mem.ingestSnapshot(1, chunks);
    expect(concat(await collect(mem.exportRange(EMPTY, EMPTY)))).toBe(concat(chunks));
  });
});
