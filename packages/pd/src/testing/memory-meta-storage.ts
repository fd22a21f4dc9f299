/**
 * An in-memory MetaStorage for tests and the cluster simulation, with hooks to make writes
 * fail or wait (to test fail-stop and persist-before-serve ordering). Not for production:
 * nothing survives the process.
 */

import { compareBytes, toHex } from '../meta/keys.js';
import type { MetaEntry, MetaStorage } from '../storage/meta-storage.js';

/** A MetaStorage backed by a Map; shared between "PD leaders" to simulate failover. */
export class MemoryMetaStorage implements MetaStorage {
  private readonly data = new Map<string, MetaEntry>();
  private failure: Error | undefined;
  private failAfter = 0;
  private held: (() => void)[] | undefined;
  /** Writes applied so far (puts and deletes). */
  writes = 0;

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.data.get(toHex(key))?.value.slice();
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.gate();
    this.data.set(toHex(key), { key: key.slice(), value: value.slice() });
    this.writes++;
  }

  async delete(key: Uint8Array): Promise<void> {
    await this.gate();
    this.data.delete(toHex(key));
    this.writes++;
  }

  async scan(start: Uint8Array, end: Uint8Array, limit: number): Promise<MetaEntry[]> {
    return [...this.data.values()]
      .filter(
        (e) =>
          compareBytes(e.key, start) >= 0 && (end.length === 0 || compareBytes(e.key, end) < 0),
      )
      .sort((a, b) => compareBytes(a.key, b.key))
      .slice(0, limit)
      .map((e) => ({ key: e.key.slice(), value: e.value.slice() }));
  }

  /** Every write from now on rejects with `error` (until healWrites()), after `afterWrites` more succeed. */
  failWrites(afterWrites = 0, error = new Error('injected storage failure')): void {
    this.failure = error;
    this.failAfter = afterWrites;
  }

  /** Writes succeed again. */
  healWrites(): void {
    this.failure = undefined;
  }

  /** Writes from now on wait until release() (reads are unaffected). */
  holdWrites(): void {
    this.held ??= [];
  }

  /** Lets every held write proceed and stops holding. */
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  /** Number of writes waiting in holdWrites mode. */
  get heldWrites(): number {
    return this.held?.length ?? 0;
  }

  /** Number of stored pairs. */
  get size(): number {
    return this.data.size;
  }

  private async gate(): Promise<void> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (!this.failure) return;
    if (this.failAfter > 0) this.failAfter--;
    else throw this.failure;
  }
}
