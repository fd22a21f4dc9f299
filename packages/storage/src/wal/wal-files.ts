/**
 * The few file operations the write-ahead log needs, behind an interface so that a test can
 * stand in a file system that forgets, at a simulated power failure, whatever was not synced.
 */

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface WalFile {
  /**
   * Writes `bytes` at `offset` before returning (not durable until datasync). Synchronous so
   * that a log append issues its sync in the same turn, before the caller goes on.
   */
  write(bytes: Uint8Array, offset: number): void;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export interface WalFiles {
  /** File names in the log's folder (created if missing). */
  list(): string[];
  read(name: string): Uint8Array;
  /** Creates `name` as `bytes` zeroes, durable (data and the folder entry) when it resolves. */
  createZeroed(name: string, bytes: number): Promise<void>;
  /** Renames durably (the folder is synced). */
  rename(from: string, to: string): Promise<void>;
  remove(name: string): Promise<void>;
  openForWrite(name: string): Promise<WalFile>;
}

/** Zeroes written per call while preallocating. */
const ZERO_CHUNK = 1 << 20;

/** WalFiles on a real folder. */
export function nodeWalFiles(dir: string): WalFiles {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const syncDir = async () => {
    const h = await openFile(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  };
  return {
    list: () => readdirSync(dir),
    read: (name) => readFileSync(path(name)),
    async createZeroed(name, bytes) {
      const h = await openFile(path(name), 'w');
      try {
        const zeroes = new Uint8Array(Math.min(ZERO_CHUNK, bytes));
        for (let at = 0; at < bytes; at += zeroes.length)
          await h.write(zeroes, 0, Math.min(zeroes.length, bytes - at), at);
        // Allocated blocks and the size are metadata: a full sync, once, so that every later
        // datasync only has data to write.
        await h.sync();
      } finally {
        await h.close();
      }
      await syncDir();
    },
    async rename(from, to) {
      renameSync(path(from), path(to));
      await syncDir();
    },
    async remove(name) {
      rmSync(path(name), { force: true });
      await syncDir();
    },
    async openForWrite(name) {
      const h = await openFile(path(name), 'r+');
      return {
        write(bytes, offset) {
          // Synchronous: a copy into the page cache (about 0.1 ms for a batch's record),
          // where the asynchronous write waited 2-3 ms for the thread pool and the busy
          // event loop to hand its completion back (measured in a store at concurrency 256).
          let done = 0;
          while (done < bytes.length) {
            done += writeSync(h.fd, bytes, done, bytes.length - done, offset + done);
          }
        },
        datasync: () => h.datasync(),
        close: () => h.close(),
      };
    },
  };
}
