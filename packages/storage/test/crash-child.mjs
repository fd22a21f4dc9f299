#!/usr/bin/env node
// The writer half of the crash test (crash.test.ts): it runs on the BUILT package
// (packages/storage/dist), so it needs no TypeScript loader, and writes group-commit batches as
// fast as it can, printing "ack <n>" for every batch whose commit promise resolved. The parent
// kills it with SIGKILL at a moment of its choosing and checks the environment.
//
// Batch n, for every region r in 1..R (all in ONE batch, so one transaction):
//   - appends log entry n (term 1, payload(r, n)) and sets the hard state commit to n;
//   - applies entry n - 1: puts raw key d/r/<n-1> = payload(r, n - 1), c/r = "<n-1>", and the
//     apply state appliedIndex = n - 1;
//   - every COMPACT_EVERY batches, compacts the log to n - 1 - COMPACT_KEEP.
// It resumes after whatever the environment holds, so the parent can kill it repeatedly.
//
// Usage: node crash-child.mjs <dir> <regions> <inflight>
// CRASH_ACK=queued makes it acknowledge a batch as soon as it is handed to commit(): the
// negative control that shows the test catches acknowledgements that precede durability
// (packages/storage/README.md, "Evidence"). CRASH_ACK=visible acknowledges once the batch is
// visible without asking for the flush.
import { openLmdbEngine } from '../dist/index.js';

const [dir, regionsArg, inflightArg] = process.argv.slice(2);
const REGIONS = Number(regionsArg);
const INFLIGHT = Number(inflightArg);
const COMPACT_EVERY = 50;
const COMPACT_KEEP = 10;
const enc = new TextEncoder();
const ACK_ON_VISIBLE = process.env.CRASH_ACK === 'visible';
const ACK_ON_QUEUE = process.env.CRASH_ACK === 'queued';

export function payload(r, n) {
  return enc.encode(`${r}:${n}:`.padEnd(128, 'x'));
}

const engine = openLmdbEngine({ path: dir });
let next = engine.raftStorage(1).lastIndex() + 1;
const pending = new Set();

function buildBatch(n) {
  const batch = engine.batch();
  for (let r = 1; r <= REGIONS; r++) {
    batch.appendEntries(r, [{ index: n, term: 1, type: 0, data: payload(r, n) }]);
    batch.setHardState(r, { term: 1, vote: 0, commit: n });
    if (n >= 2) {
      batch.put(enc.encode(`d/${r}/${n - 1}`), payload(r, n - 1));
      batch.put(enc.encode(`c/${r}`), enc.encode(String(n - 1)));
      batch.setApplyState(r, { appliedIndex: n - 1 });
    }
    if (n % COMPACT_EVERY === 0 && n - 1 - COMPACT_KEEP >= 1)
      batch.compactLog(r, n - 1 - COMPACT_KEEP);
  }
  if (ACK_ON_VISIBLE) Object.defineProperty(batch, 'mustSync', { get: () => false });
  return batch;
}

process.stdout.write(`start ${next}\n`);
for (;;) {
  const n = next++;
  const commit = buildBatch(n).commit();
  if (ACK_ON_QUEUE) process.stdout.write(`ack ${n}\n`);
  const p = commit.then(() => {
    if (!ACK_ON_QUEUE) process.stdout.write(`ack ${n}\n`);
    pending.delete(p);
  });
  pending.add(p);
  if (pending.size >= INFLIGHT) await Promise.race(pending);
}
