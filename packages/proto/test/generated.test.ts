import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atoll } from '../generated/index.js';

describe('@atoll/proto', () => {
  it('the committed generated code matches proto/*.proto', () => {
    const script = join(import.meta.dirname, '..', 'scripts', 'generate.mjs');
    expect(() =>
      execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('decodes 64-bit integers as exact JS numbers below 2^53, not Long objects', () => {
    const bytes = atoll.meta.Peer.encode({
      id: 2 ** 53 - 1,
      storeId: 7,
      role: atoll.meta.PeerRole.LEARNER,
    }).finish();
    const peer = atoll.meta.Peer.decode(bytes);
    expect(peer.id).toBe(2 ** 53 - 1);
    expect(typeof peer.storeId).toBe('number');
    expect(peer.role).toBe(atoll.meta.PeerRole.LEARNER);
  });

  it('round-trips a batch of raft envelopes', () => {
    const batch = {
      clusterId: 1,
      fromStore: 2,
      toStore: 3,
      sequence: 9,
      envelopes: [
        {
          regionId: 5,
          fromPeer: { id: 51, storeId: 2 },
          toPeer: { id: 52, storeId: 3 },
          epoch: { confVer: 1, version: 2 },
          message: {
            type: atoll.raft.MessageType.APPEND,
            to: 52,
            from: 51,
            term: 3,
            entries: [{ term: 3, index: 10, data: new Uint8Array([1, 2, 3]) }],
          },
        },
      ],
    };
    const decoded = atoll.store.RaftBatch.decode(atoll.store.RaftBatch.encode(batch).finish());
    const entry = decoded.envelopes?.[0]?.message?.entries?.[0];
    expect(entry?.index).toBe(10);
    expect(Array.from(entry?.data ?? [])).toEqual([1, 2, 3]);
  });
});
