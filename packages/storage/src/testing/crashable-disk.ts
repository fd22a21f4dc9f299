/**
 * An in-memory file system for the write-ahead log that can lose power: whatever was written
 * but not synced is lost, except that a seeded part of each unsynced write may have reached
 * the disk anyway (a prefix of it, or some of its sectors: torn writes).
 */

import type { SeededRandom } from '@atoll/raft';
import type { WalFile, WalFiles } from '../wal/write-ahead-log.js';

interface MemFile {
  data: Uint8Array;
  durable: Uint8Array;
  unsynced: { offset: number; bytes: Uint8Array }[];
}

export class CrashableDisk {
  private files = new Map<string, MemFile>();
  /** Bumped at each power failure: a process from before it does nothing any more. */
  private generation = 0;

  /** The disk as one process sees it; after a power failure that process's calls hang. */
  mount(): WalFiles {
    const generation = this.generation;
    const gate =
      <A extends unknown[], R>(f: (...a: A) => R) =>
      (...a: A): R => {
        if (generation !== this.generation) throw new Error('this process lost power');
        return f(...a);
      };
    const hang =
      <A extends unknown[]>(f: (...a: A) => Promise<void>) =>
      (...a: A): Promise<void> =>
        generation === this.generation ? f(...a) : new Promise<void>(() => {});
    return {
      list: gate(() => this.list()),
      read: gate((name: string) => this.read(name)),
      createZeroed: hang((name: string, bytes: number) => this.createZeroed(name, bytes)),
      rename: hang((from: string, to: string) => this.rename(from, to)),
      remove: hang((name: string) => this.remove(name)),
      openForWrite: (name: string) =>
        generation === this.generation ? this.openForWrite(name) : new Promise<WalFile>(() => {}),
    };
  }

  private list(): string[] {
    return [...this.files.keys()];
  }

  private read(name: string): Uint8Array {
    const f = this.files.get(name);
    if (!f) throw new Error(`no file ${name}`);
    return f.data.slice();
  }

  private async createZeroed(name: string, bytes: number): Promise<void> {
    this.files.set(name, {
      data: new Uint8Array(bytes),
      durable: new Uint8Array(bytes),
      unsynced: [],
    });
  }

  private async rename(from: string, to: string): Promise<void> {
    const f = this.files.get(from);
    if (!f) throw new Error(`no file ${from}`);
    this.files.delete(from);
    this.files.set(to, f);
  }

  private async remove(name: string): Promise<void> {
    this.files.delete(name);
  }

  private async openForWrite(name: string): Promise<WalFile> {
    const generation = this.generation;
    const live = () => generation === this.generation;
    const file = () => {
      const f = this.files.get(name);
      if (!f) throw new Error(`no file ${name}`);
      return f;
    };
    return {
      write: (bytes, offset) => {
        if (!live()) return; // the process is gone: nothing reaches the disk
        const f = file();
        if (offset + bytes.length > f.data.length) throw new Error('write past the end');
        f.data.set(bytes, offset);
        f.unsynced.push({ offset, bytes: bytes.slice() });
      },
      datasync: async () => {
        await Promise.resolve();
        if (!live()) return new Promise<void>(() => {});
        const f = file();
        f.durable = f.data.slice();
        f.unsynced = [];
      },
      close: async () => {},
    };
  }

  /** Power failure: unsynced writes are lost, torn or (partly) kept, as `random` decides. */
  crash(random: SeededRandom): void {
    this.generation++;
    for (const f of this.files.values()) {
      const disk = f.durable.slice();
      for (const w of f.unsynced) {
        const fate = random.nextInt(4);
        if (fate === 0) continue; // lost
        if (fate === 1)
          disk.set(w.bytes, w.offset); // all of it made it
        else if (fate === 2)
          disk.set(w.bytes.subarray(0, random.nextInt(w.bytes.length + 1)), w.offset);
        else {
          // Some 512-byte sectors, in any order.
          for (let s = 0; s < w.bytes.length; s += 512)
            if (random.chance(0.5)) disk.set(w.bytes.subarray(s, s + 512), w.offset + s);
        }
      }
      f.data = disk;
      f.durable = disk.slice();
      f.unsynced = [];
    }
  }
}
