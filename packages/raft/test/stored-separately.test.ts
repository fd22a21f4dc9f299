/**
 * storedSeparately: a host with a write-ahead log reports a Ready durable (persisted) before
 * its storage shows it (stored). Durable entries count for the commit quorum and are applied;
 * until stored they are served from memory; a report of storage alone makes nothing durable.
 * (The seeded simulator runs half its seeds in this mode, crashes included.)
 */

import { describe, expect, it } from 'vitest';
import { MemoryStorage, RawNode, type Ready, Role, SeededRandom } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A single-voter peer, elected, with every Ready so far persisted and stored. */
function leader(): { node: RawNode; storage: MemoryStorage } {
  const storage = MemoryStorage.withVoters([1]);
  const node = new RawNode({
    id: 1,
    storage,
    random: new SeededRandom(1),
    storedSeparately: true,
  });
  node.campaign();
  for (let i = 0; i < 5 && node.hasReady(); i++) {
    const rd = node.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    node.persisted(rd.number);
    node.stored(rd.number);
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last) node.applied(last.index);
  }
  expect(node.raft.role).toBe(Role.Leader);
  return { node, storage };
}

const committedData = (rd: Ready) =>
  rd.committedEntries.filter((e) => e.data.length > 0).map((e) => dec.decode(e.data));

describe('storedSeparately', () => {
  it('a durable entry commits and is applied before the storage shows it; stored() frees it', () => {
    const { node, storage } = leader();
    const storedLast = storage.lastIndex();
    node.propose(enc.encode('a'));
    const rd = node.ready();
    expect(rd.entries.map((e) => dec.decode(e.data))).toEqual(['a']);
    const index = rd.entries[0]!.index;

    // Durable in the write-ahead log; the storage has not got it.
    node.persisted(rd.number);
    expect(storage.lastIndex()).toBe(storedLast);
    expect(node.raft.log.committed).toBe(index);
    const next = node.ready();
    expect(committedData(next)).toEqual(['a']);
    // Served from memory meanwhile.
    expect(
      node.raft.log.entries(index, Number.POSITIVE_INFINITY).map((e) => dec.decode(e.data)),
    ).toEqual(['a']);
    node.persisted(next.number);

    storage.append(rd.entries);
    node.stored(rd.number);
    expect(node.raft.log.unstable.entries).toEqual([]);
    expect(
      node.raft.log.entries(index, Number.POSITIVE_INFINITY).map((e) => dec.decode(e.data)),
    ).toEqual(['a']);
  });

  it('an entry the storage shows but the log has not made durable is neither counted nor applied', () => {
    const { node, storage } = leader();
    node.propose(enc.encode('b'));
    const rd = node.ready();
    const index = rd.entries[0]!.index;
    // The storage engine committed first (it may): durability is still unknown.
    storage.append(rd.entries);
    expect(node.raft.log.committed).toBeLessThan(index);
    expect(node.hasReady() ? committedData(node.ready()) : []).toEqual([]);
    node.persisted(rd.number);
    expect(node.raft.log.committed).toBe(index);
    expect(committedData(node.ready())).toEqual(['b']);
  });

  it('stored() is refused unless the peer was configured for it', () => {
    const node = new RawNode({
      id: 1,
      storage: MemoryStorage.withVoters([1]),
      random: new SeededRandom(1),
    });
    expect(() => node.stored(1)).toThrow(/storedSeparately/);
  });
});
