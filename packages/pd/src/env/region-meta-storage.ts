/**
 * MetaStorage on the PD's own Raft region: the PD core's metadata lives in the raw key space
 * of region 1 of a Store whose peers are the PD members. A write is a Raft proposal that
 * resolves once applied here (so committed on a quorum and durable); reads are local and
 * are only made by becomeLeader(), after this member, as leader, has applied an entry of its
 * own term, so its local copy holds every committed write.
 *
 * Writes are accepted only within the leader term opened by openTerm(); closeTerm() rejects
 * every write still waiting (leadership lost), even though some may yet be applied: the
 * core takes a rejection as a storage failure and ends its term, which is what it must do.
 *
 * Not here: deciding when this member leads (pd-leadership.ts).
 */

import type { atoll } from '@atoll/proto';
import type { Store } from '@atoll/store';
import type { MetaEntry, MetaStorage } from '../storage/meta-storage.js';

/** The PD region: one region, the whole key space, a peer on every PD member. */
export const PD_REGION_ID = 1;

/** Why a write failed (the core wraps it into PD_ERR_STORAGE). */
export class MetaWriteError extends Error {
  override readonly name = 'MetaWriteError';
}

/** The PD core's MetaStorage over region PD_REGION_ID of `store`. */
export class RegionMetaStorage implements MetaStorage {
  /** The Raft term writes are allowed in; 0 when this member does not lead. */
  private term = 0;
  private readonly waiting = new Set<(e: Error) => void>();

  constructor(private readonly store: Store) {}

  /** Allows writes while this member leads the PD region in `term`. */
  openTerm(term: number): void {
    this.term = term;
  }

  /** Refuses writes from now on and rejects those still waiting. */
  closeTerm(why: string): void {
    this.term = 0;
    const fails = [...this.waiting];
    this.waiting.clear();
    for (const fail of fails) fail(new MetaWriteError(`PD leadership lost: ${why}`));
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.storage.get(key);
  }

  async scan(start: Uint8Array, end: Uint8Array, limit: number): Promise<MetaEntry[]> {
    return this.store.storage
      .scan({ start, end, limit, reverse: false, keyOnly: false })
      .map((kv) => ({ key: kv.key, value: kv.value }));
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.write({ put: { key, value } });
  }

  delete(key: Uint8Array): Promise<void> {
    return this.write({ delete: { key } });
  }

  private write(op: atoll.store.IWriteOp): Promise<void> {
    const peer = this.store.peers.get(PD_REGION_ID);
    const raft = peer?.node.raft;
    if (!peer || this.term === 0 || !peer.isLeader || raft?.term !== this.term) {
      return Promise.reject(new MetaWriteError('this PD member does not lead the PD region'));
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        this.waiting.delete(fail);
        reject(e);
      };
      this.waiting.add(fail);
      this.store
        .proposeWrites({ regionId: PD_REGION_ID, epoch: peer.region.epoch }, [op])
        .then((outcome) => {
          if (settled) return;
          if (outcome.ok) {
            settled = true;
            this.waiting.delete(fail);
            resolve();
            return;
          }
          const why =
            'regionError' in outcome ? outcome.regionError.message : outcome.error.message;
          fail(new MetaWriteError(`metadata write refused: ${why}`));
        }, fail);
    });
  }
}
