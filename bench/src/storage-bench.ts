/**
 * Storage benchmark: what one store's storage engine sustains on this machine, next to raw
 * lmdb-js measured in the same run. Every condition is printed with its figures.
 *
 * Conditions, each for 1, 16 and 256 regions per batch (16-byte keys, 128-byte values):
 * - log append:    per region one 128-byte entry + hard state; durable (fsync before ack)
 * - group commit:  the store loop's batch: per region one entry + hard state, plus the
 *                  previous entry applied (one data write) + apply state; durable
 * - data, fsync:   per region one data write + apply state, forced durable
 * - data, no fsync: the same, acknowledged once visible (rides on the log's fsync)
 * - data, env noSync: the same on an environment opened with noSync: no fsync at all, the
 *                  ceiling that shows what the fsyncs cost (never used for real data)
 * - raw LMDB:      lmdb-js alone: one transaction of N random puts, awaited to `flushed`
 * Pipeline depth is how many batches are in flight at once (a store may overlap them). "LMDB
 * txns/s" counts LMDB transactions (trackMetrics); each durable one costs one fdatasync
 * (checked with strace: 102 fdatasync calls for 102 transactions), so it is the fsync rate.
 *
 * Run: pnpm build && pnpm bench:storage [--seconds N] [--rounds N]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EntryType, SeededRandom } from '@atoll/raft';
import { openLmdbEngine, type StorageEngine, type WriteBatch } from '@atoll/storage';
import { open } from 'lmdb';
import { machineConditions, printConditions, printTable } from './conditions.js';

const KEY_BYTES = 16;
const VALUE_BYTES = 128;
const REGION_COUNTS = [1, 16, 256];
const DEPTHS = [1, 4];

type Row = Record<string, string | number>;

function randomKey(rnd: SeededRandom): Uint8Array {
  const k = new Uint8Array(KEY_BYTES);
  for (let i = 0; i < KEY_BYTES; i += 4) new DataView(k.buffer).setUint32(i, rnd.nextUint32());
  return k;
}

const VALUE = new Uint8Array(VALUE_BYTES).fill(0x5a);

/** Commits batches back to back for `seconds`, `depth` in flight; returns how many and how long. */
async function drive(
  seconds: number,
  depth: number,
  commit: (n: number) => Promise<unknown>,
): Promise<{ batches: number; elapsed: number }> {
  const inflight = new Set<Promise<unknown>>();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) {
    const p: Promise<unknown> = commit(++n).then(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= depth) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return { batches: n, elapsed: (performance.now() - start) / 1000 };
}

type Kind = 'log append' | 'group commit' | 'data, fsync' | 'data, no fsync' | 'data, env noSync';

function build(
  e: StorageEngine,
  kind: Kind,
  regions: number,
  n: number,
  rnd: SeededRandom,
): WriteBatch {
  const batch = e.batch();
  for (let r = 1; r <= regions; r++) {
    if (kind === 'log append' || kind === 'group commit') {
      batch.appendEntries(r, [{ index: n, term: 1, type: EntryType.Normal, data: VALUE }]);
      batch.setHardState(r, { term: 1, vote: 0, commit: n - 1 });
    }
    if (kind !== 'log append' && n >= 2) {
      batch.put(randomKey(rnd), VALUE);
      batch.setApplyState(r, { appliedIndex: n - 1 });
    }
  }
  if (kind === 'data, fsync') batch.requireSync();
  return batch;
}

async function engineRow(
  kind: Kind,
  regions: number,
  depth: number,
  seconds: number,
): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-'));
  const e = openLmdbEngine({ path: dir, trackMetrics: true, noSync: kind === 'data, env noSync' });
  const rnd = new SeededRandom(regions * 31 + depth);
  try {
    const txns0 = e.transactions() ?? 0;
    const { batches, elapsed } = await drive(seconds, depth, (n) =>
      build(e, kind, regions, n, rnd).commit(),
    );
    const txns = (e.transactions() ?? 0) - txns0;
    return {
      condition: kind,
      regions,
      depth,
      'batches/s': Math.round(batches / elapsed),
      'LMDB txns/s': Math.round(txns / elapsed),
      [kind.startsWith('data') ? 'data writes/s' : 'entries/s']: Math.round(
        (batches * regions) / elapsed,
      ),
    };
  } finally {
    await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rawRow(regions: number, depth: number, seconds: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-raw-'));
  const env = open({ path: dir, maxDbs: 4, eventTurnBatching: false, trackMetrics: true } as never);
  const db = env.openDB<Buffer, Buffer>('data', { keyEncoding: 'binary', encoding: 'binary' });
  const rnd = new SeededRandom(regions);
  try {
    const txns0 = (env.getStats() as { txns: number }).txns;
    const { batches, elapsed } = await drive(seconds, depth, async () => {
      const keys = Array.from({ length: regions }, () => Buffer.from(randomKey(rnd)));
      const committed = env.transaction(() => {
        for (const k of keys) db.putSync(k, VALUE as Buffer);
      });
      const flushed = Promise.resolve(env.flushed);
      await committed;
      await flushed;
    });
    const txns = (env.getStats() as { txns: number }).txns - txns0;
    return {
      condition: 'raw LMDB txn + flushed',
      regions,
      depth,
      'batches/s': Math.round(batches / elapsed),
      'LMDB txns/s': Math.round(txns / elapsed),
      'data writes/s': Math.round((batches * regions) / elapsed),
    };
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One measured cell of the matrix. */
interface Cell {
  readonly label: string;
  run(seconds: number): Promise<Row>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Runs every cell once per round, round-robin, and reports per cell the median of the rounds:
 * on a shared machine the load drifts, and interleaving spreads the drift over all cells
 * instead of penalising whichever ran last.
 */
async function measure(cells: Cell[], rounds: number, seconds: number): Promise<Row[]> {
  const samples = new Map<string, Row[]>();
  for (let round = 0; round < rounds; round++) {
    for (const c of cells) {
      const row = await c.run(seconds);
      samples.set(c.label, [...(samples.get(c.label) ?? []), row]);
    }
  }
  return cells.map((c) => {
    const rows = samples.get(c.label)!;
    const out: Row = { ...rows[0]! };
    for (const [k, v] of Object.entries(out)) {
      if (typeof v === 'number' && k !== 'regions' && k !== 'depth') {
        out[k] = median(rows.map((r) => r[k] as number));
      }
    }
    return out;
  });
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? Number(process.argv[at + 1]) : fallback;
  };
  const seconds = arg('--seconds', 1);
  const rounds = arg('--rounds', 3);
  printConditions('Storage engine benchmark (LMDB)', {
    ...machineConditions(),
    tmpdir: tmpdir(),
    key: `${KEY_BYTES} bytes (seeded random for data, region id + index for the log)`,
    value: `${VALUE_BYTES} bytes`,
    'regions per batch': REGION_COUNTS.join(', '),
    'pipeline depth': `${DEPTHS.join(', ')} batches in flight`,
    measurement: `${rounds} rounds of ${seconds} s per cell, round-robin, median reported; fresh environment per run`,
    lmdb: 'lmdb-js 3.5, overlappingSync, eventTurnBatching off, no compression',
    'load average at start': loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  });
  const kinds: Kind[] = [
    'log append',
    'group commit',
    'data, fsync',
    'data, no fsync',
    'data, env noSync',
  ];
  const cells: Cell[] = [];
  for (const regions of REGION_COUNTS) {
    for (const depth of DEPTHS) {
      for (const kind of kinds) {
        cells.push({
          label: `${kind}/${regions}/${depth}`,
          run: (t) => engineRow(kind, regions, depth, t),
        });
      }
      cells.push({ label: `raw/${regions}/${depth}`, run: (t) => rawRow(regions, depth, t) });
    }
  }
  const rows = await measure(cells, rounds, seconds);
  printTable(rows.map((r) => ({ 'entries/s': '', 'data writes/s': '', ...r })));
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
