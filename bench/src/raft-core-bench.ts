/**
 * Micro-benchmark of the Raft core alone: a 3-peer group in one process on in-memory
 * storage, no I/O, no serialization. It measures what the state machine itself costs per
 * committed entry, i.e. the ceiling the core puts on a store's write rate.
 *
 * Run: pnpm bench:raft [--seconds N]
 */

import { performance } from 'node:perf_hooks';
import { Role } from '@atoll/raft';
import { TestCluster } from '@atoll/raft/testing';
import { machineConditions, printConditions, printTable } from './conditions.js';

const PAYLOAD_BYTES = 128;
/** Compact every so often so the in-memory logs stay small, as a real host would. */
const COMPACT_EVERY_ENTRIES = 20_000;

function runOne(batch: number, seconds: number): Record<string, string | number> {
  const c = new TestCluster({ voters: [1, 2, 3], trace: false, keepApplied: false });
  c.elect(1);
  if (c.node(1).raft.role !== Role.Leader) throw new Error('no leader');
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  const proposals = Array.from({ length: batch }, () => payload);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const startCommit = c.committed(1);
  let sinceCompact = 0;
  let rounds = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 16; i++) {
      c.node(1).proposeMany(proposals);
      c.stabilize();
      rounds++;
    }
    sinceCompact += 16 * batch;
    if (sinceCompact >= COMPACT_EVERY_ENTRIES) {
      for (const id of [1, 2, 3]) c.compact(id);
      sinceCompact = 0;
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const committed = c.committed(1) - startCommit;
  return {
    'entries per proposal round': batch,
    'committed entries/s': Math.round(committed / elapsed),
    'rounds/s': Math.round(rounds / elapsed),
    'CPU s per s': ((cpu.user + cpu.system) / 1e6 / elapsed).toFixed(2),
  };
}

function main(): void {
  const at = process.argv.indexOf('--seconds');
  const seconds = at > 0 ? Number(process.argv[at + 1]) : 3;
  printConditions('Raft core micro-benchmark', {
    ...machineConditions(),
    group: '3 peers, one process, in-memory storage (no I/O, no encoding)',
    payload: `${PAYLOAD_BYTES} bytes per entry`,
    durationPerRow: `${seconds} s`,
    round: 'proposeMany(batch) at the leader, then run every peer until quiet',
  });
  printTable([1, 16, 256, 1024].map((b) => runOne(b, seconds)));
}

main();
