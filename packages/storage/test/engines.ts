/**
 * The engines the conformance suite runs against: LMDB in a fresh temp directory, and memory.
 * Every test file iterates over ENGINES with describe.each, so both engines pass the same
 * assertions. closeAll() removes what open() created.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openLmdbEngine,
  openMemoryEngine,
  type StorageEngine,
  type StorageEngineOptions,
} from '../src/index.js';

export interface EngineFactory {
  readonly name: string;
  open(options?: StorageEngineOptions): StorageEngine;
}

const opened: { engine: StorageEngine; dir?: string }[] = [];

/** A fresh temp directory, removed by closeAll(). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-storage-'));
  opened.push({ engine: undefined as never, dir });
  return dir;
}

export const ENGINES: readonly EngineFactory[] = [
  {
    name: 'memory',
    open(options = {}) {
      const engine = openMemoryEngine(options);
      opened.push({ engine });
      return engine;
    },
  },
  {
    name: 'lmdb',
    open(options = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'atoll-storage-'));
      const engine = openLmdbEngine({ path: dir, ...options });
      opened.push({ engine, dir });
      return engine;
    },
  },
];

/** Closes every engine opened through this module and removes their directories. */
export async function closeAll(): Promise<void> {
  for (const { engine, dir } of opened.splice(0)) {
    if (engine) await engine.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** UTF-8 bytes of a string. */
export function b(s: string): Uint8Array {
  return enc.encode(s);
}

/** A string from UTF-8 bytes. */
export function s(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : dec.decode(bytes);
}
