/**
 * An exclusive lock on a data folder: two processes must never serve the same store data
 * (LMDB itself would let them share it). The lock is a file holding the owner's pid; a
 * lock left by a process that no longer exists is taken over.
 */

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError, StoreErrorCode } from '../errors.js';

const LOCK_FILE = 'LOCK';

export interface DataDirLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: () => rmSync(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isFinite(owner) && owner !== process.pid && alive(owner)) {
        throw new StoreError(
          StoreErrorCode.DataDirLocked,
          `data folder ${dir} is in use by process ${owner}`,
          false,
          {
            dir,
            pid: owner,
          },
        );
      }
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new StoreError(StoreErrorCode.DataDirLocked, `could not lock data folder ${dir}`, false, {
    dir,
  });
}
