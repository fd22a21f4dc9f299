/**
 * Where a store's write-ahead log lives, and the checks that keep a store from starting
 * without it. Acknowledged writes can be in the log and not yet in LMDB (store-wal.ts holds
 * them for up to a second), so a store started on an empty log folder, or on another store's,
 * would lose or corrupt them. The log may live outside the data folder (`--wal-dir`: on its
 * own disk, its syncs no longer wait behind LMDB's page writes); then:
 *
 * - the data folder records the log's folder and a random token (WAL_LOCATION_FILE), the
 *   log's folder holds the same token (WAL_OWNER_FILE);
 * - a start with another folder is refused while the recorded one still holds the log; a log
 *   moved there whole (its token file with it) is accepted, and the record follows;
 * - a recorded folder that is gone is refused: its batches may be missing from LMDB. An
 *   operator who knows the store stopped cleanly can remove the record to start afresh.
 *
 * Stores from before the record existed have their log in `<data>/wal`: it is adopted.
 */

import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { StoreError, StoreErrorCode } from '../errors.js';

/** In the data folder: where its log is (JSON: path, token). */
export const WAL_LOCATION_FILE = 'WAL_LOCATION';
/** In the log folder: the token of the data folder it belongs to. */
export const WAL_OWNER_FILE = 'OWNER';

interface Location {
  readonly path: string;
  readonly token: string;
}

function refuse(message: string, details: Record<string, unknown>): never {
  throw new StoreError(StoreErrorCode.InvalidConfig, message, false, details);
}

function readLocation(dataDir: string): Location | undefined {
  const file = join(dataDir, WAL_LOCATION_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Location>;
  if (typeof parsed.path !== 'string' || typeof parsed.token !== 'string') {
    refuse(`${file} is damaged: it must name the log folder and its token`, { file });
  }
  return { path: parsed.path, token: parsed.token };
}

/** The token in a log folder, or undefined when it has none (or does not exist). */
function ownerOf(walDir: string): string | undefined {
  const file = join(walDir, WAL_OWNER_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Whether a folder holds anything but the files this module or the lock writes. */
function holdsLog(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((f) => f !== WAL_OWNER_FILE && f !== 'LOCK');
}

/** Writes a file whole or not at all (a crash leaves the old one). */
function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function record(dataDir: string, walDir: string, token: string): void {
  mkdirSync(walDir, { recursive: true });
  writeAtomically(join(walDir, WAL_OWNER_FILE), `${token}\n`);
  writeAtomically(join(dataDir, WAL_LOCATION_FILE), `${JSON.stringify({ path: walDir, token })}\n`);
}

/**
 * The log folder a store with data in `dataDir` must use, given `wanted` (the configured
 * one; undefined: `<dataDir>/wal`), after the checks above; records it. Throws a StoreError
 * (STORE_ERR_INVALID_CONFIG) that says what to do when the store must not start.
 */
export function settleWalDir(dataDir: string, wanted: string | undefined): string {
  const fallback = resolve(dataDir, 'wal');
  const walDir = wanted === undefined ? fallback : resolve(wanted);
  const recorded = readLocation(dataDir);
  if (!recorded) {
    if (walDir !== fallback && holdsLog(fallback)) {
      refuse(
        `this store's write-ahead log is in ${fallback}; start it without --wal-dir, or stop ` +
          `it and move that folder's contents to ${walDir} first`,
        { walDir: fallback },
      );
    }
    const owner = ownerOf(walDir);
    if (owner !== undefined) {
      refuse(`${walDir} holds the write-ahead log of another store's data folder`, { walDir });
    }
    if (walDir !== fallback && holdsLog(walDir)) {
      refuse(`${walDir} is not empty; give a write-ahead log folder of its own`, { walDir });
    }
    record(dataDir, walDir, randomBytes(16).toString('hex'));
    return walDir;
  }
  if (walDir === recorded.path) {
    const owner = ownerOf(walDir);
    if (owner === recorded.token) return walDir;
    refuse(
      owner === undefined
        ? `this store's write-ahead log folder ${walDir} is missing or emptied: writes it held ` +
            `may be missing from the data. If the store stopped cleanly, remove ` +
            `${join(dataDir, WAL_LOCATION_FILE)} to start with an empty log`
        : `${walDir} holds the write-ahead log of another store's data folder`,
      { walDir },
    );
  }
  // Another folder than the recorded one: only a whole move is accepted.
  if (ownerOf(walDir) === recorded.token && ownerOf(recorded.path) !== recorded.token) {
    record(dataDir, walDir, recorded.token);
    return walDir;
  }
  return refuse(
    `this store's write-ahead log is in ${recorded.path}; start it with --wal-dir ` +
      `${recorded.path}, or stop it and move that folder whole to ${walDir} first`,
    { walDir: recorded.path },
  );
}

/** The recorded log folder of `dataDir` (or `<dataDir>/wal`), for replaying a leftover log. */
export function recordedWalDir(dataDir: string): string {
  return readLocation(dataDir)?.path ?? resolve(dataDir, 'wal');
}

/** Forgets the record once the log is gone for good (a store switched to --no-wal). */
export function forgetWalDir(dataDir: string): void {
  rmSync(join(dataDir, WAL_LOCATION_FILE), { force: true });
}
