/**
 * Where a store's write-ahead log lives (wal-location.ts): the data folder remembers it, a
 * start elsewhere is refused while the log is still there, a log moved whole is followed, a
 * missing log and another store's log are refused, and a store from before the record keeps
 * its `<data>/wal`. Every refusal is STORE_ERR_INVALID_CONFIG with a message saying what to
 * do.
 */

import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { settleWalDir, WAL_LOCATION_FILE } from '../src/env/wal-location.js';
import { isStoreError, StoreErrorCode } from '../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'atoll-wal-location-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function folders() {
  const base = join(root, `case-${++n}`);
  mkdirSync(base);
  return { data: join(base, 'data'), wal: join(base, 'wal-disk'), moved: join(base, 'moved') };
}

/** What the log itself would leave in its folder. */
function writeSegment(dir: string): void {
  writeFileSync(join(dir, '0000000000000001.wal'), 'segment');
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isStoreError(e, StoreErrorCode.InvalidConfig)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('write-ahead log location', () => {
  it('defaults to <data>/wal and remembers it', () => {
    const f = folders();
    mkdirSync(f.data);
    const dir = settleWalDir(f.data, undefined);
    expect(dir).toBe(join(f.data, 'wal'));
    writeSegment(dir);
    expect(settleWalDir(f.data, undefined)).toBe(dir);
    expect(settleWalDir(f.data, dir)).toBe(dir);
  });

  it('keeps a log given elsewhere, and refuses a start without it while it is there', () => {
    const f = folders();
    mkdirSync(f.data);
    expect(settleWalDir(f.data, f.wal)).toBe(f.wal);
    writeSegment(f.wal);
    expect(settleWalDir(f.data, f.wal)).toBe(f.wal);
    expect(refusal(() => settleWalDir(f.data, undefined))).toContain(`--wal-dir ${f.wal}`);
    expect(refusal(() => settleWalDir(f.data, f.moved))).toContain(f.wal);
  });

  it('follows a log moved whole, and then refuses the old place', () => {
    const f = folders();
    mkdirSync(f.data);
    settleWalDir(f.data, f.wal);
    writeSegment(f.wal);
    renameSync(f.wal, f.moved);
    expect(settleWalDir(f.data, f.moved)).toBe(f.moved);
    expect(refusal(() => settleWalDir(f.data, f.wal))).toContain(f.moved);
    // A copy (both places hold it) is not a move: refused, whichever is given.
    cpSync(f.moved, f.wal, { recursive: true });
    expect(refusal(() => settleWalDir(f.data, f.wal))).toContain(f.moved);
  });

  it('refuses a log folder that went missing, until the record is removed on purpose', () => {
    const f = folders();
    mkdirSync(f.data);
    settleWalDir(f.data, f.wal);
    writeSegment(f.wal);
    rmSync(f.wal, { recursive: true });
    expect(refusal(() => settleWalDir(f.data, f.wal))).toContain('missing');
    rmSync(join(f.data, WAL_LOCATION_FILE));
    expect(settleWalDir(f.data, f.wal)).toBe(f.wal);
  });

  it("refuses another store's log folder, and a folder that is not empty", () => {
    const a = folders();
    const b = folders();
    mkdirSync(a.data);
    mkdirSync(b.data);
    settleWalDir(a.data, a.wal);
    expect(refusal(() => settleWalDir(b.data, a.wal))).toContain("another store's");
    mkdirSync(b.wal);
    writeFileSync(join(b.wal, 'something'), 'x');
    expect(refusal(() => settleWalDir(b.data, b.wal))).toContain('not empty');
  });

  it('adopts the log of a store from before the record, and refuses to leave it', () => {
    const f = folders();
    mkdirSync(join(f.data, 'wal'), { recursive: true });
    writeSegment(join(f.data, 'wal'));
    expect(refusal(() => settleWalDir(f.data, f.wal))).toContain(join(f.data, 'wal'));
    expect(settleWalDir(f.data, undefined)).toBe(join(f.data, 'wal'));
    expect(settleWalDir(f.data, undefined)).toBe(join(f.data, 'wal'));
  });
});
