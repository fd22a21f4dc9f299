/**
 * Crash safety with real processes and SIGKILL (see crash-child.mjs for what the child
 * writes). For each seed: run the child, kill it after a seeded number of acknowledged
 * batches, reopen the environment and check that
 *   - every acknowledged batch is fully present (log, hard state, applied data);
 *   - no batch is partially applied: every region ends at the same index, hard state and
 *     apply state agree with the log, and the data covers exactly the applied entries;
 * then restart the child on the recovered environment and do it again.
 *
 * The reopen uses LMDB's safeRestore: it opens on the last FLUSHED state, as after a power
 * failure, instead of the last committed one (which a SIGKILL alone never loses, because the
 * OS page cache survives the process). So "acknowledged ⇒ present" here means "acknowledged ⇒
 * fsynced", which a SIGKILL test could not show otherwise.
 *
 * The child runs on packages/storage/dist: run `pnpm build` first (`npm test` does).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '@atoll/raft';
import { afterAll, describe, expect, it } from 'vitest';
import { openLmdbEngine } from '../src/index.js';

const CHILD = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** Seeds run in CI; CRASH_SEEDS=a,b,c replays chosen ones. */
const SEEDS = (process.env.CRASH_SEEDS ?? '1,2,3,4,5,6').split(',').map(Number);
const REGIONS = 8;
/** Batches in flight in the child: pipelining makes the kill land mid-commit more often. */
const INFLIGHT = 4;
/** Kill after this many acknowledgements, at least (the rest is seeded). */
const KILL_AFTER_ACKS_MIN = 5;
const KILL_AFTER_ACKS_SPREAD = 400;
const ROUNDS_PER_SEED = 2;

const dirs: string[] = [];
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const dec = new TextDecoder();
const enc = new TextEncoder();
function payload(r: number, n: number): string {
  return `${r}:${n}:`.padEnd(128, 'x');
}

/** Runs the child until it has acknowledged `killAfter` batches, then SIGKILLs it. */
function runAndKill(dir: string, killAfter: number): Promise<{ start: number; acked: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(REGIONS), String(INFLIGHT)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let start = -1;
    let acked = 0;
    let lastAck = 0;
    let acks = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'start') start = Number(n);
        if (word !== 'ack') continue;
        const i = Number(n);
        if (i !== lastAck + 1 && lastAck !== 0) reject(new Error(`ack ${i} after ${lastAck}`));
        lastAck = i;
        acked = Math.max(acked, i);
        if (++acks === killAfter) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve({ start, acked });
    });
  });
}

/** Checks the recovered environment; returns the last index every region reached. */
async function verify(dir: string, acked: number): Promise<number> {
  const e = openLmdbEngine({ path: dir, safeRestore: true });
  try {
    const last = e.raftStorage(1).lastIndex();
    expect(last, 'an acknowledged batch was lost').toBeGreaterThanOrEqual(acked);
    for (let r = 1; r <= REGIONS; r++) {
      const st = e.raftStorage(r);
      expect(st.lastIndex(), `region ${r} is at another batch`).toBe(last);
      expect(e.hardState(r)?.commit ?? 0).toBe(last);
      const applied = e.applyState(r)?.appliedIndex ?? 0;
      expect(applied).toBe(Math.max(0, last - 1));
      const first = st.firstIndex();
      expect(first).toBe(e.truncatedState(r).index + 1);
      if (last >= first) {
        const entries = st.entries(first, last + 1, Number.POSITIVE_INFINITY);
        entries.forEach((x, i) => {
          expect(x.index).toBe(first + i);
          expect(dec.decode(x.data)).toBe(payload(r, x.index));
        });
      }
      const counter = e.get(enc.encode(`c/${r}`));
      expect(counter === undefined ? 0 : Number(dec.decode(counter))).toBe(applied);
      for (let i = 1; i <= applied; i++) {
        const v = e.get(enc.encode(`d/${r}/${i}`));
        expect(v && dec.decode(v), `region ${r} lost applied entry ${i}`).toBe(payload(r, i));
      }
      expect(e.get(enc.encode(`d/${r}/${applied + 1}`)), 'data beyond the applied index').toBe(
        undefined,
      );
    }
    return last;
  } finally {
    await e.close();
  }
}

describe('crash safety: SIGKILL during group commits', () => {
  it('the child runs on the built package', () => {
    expect(existsSync(DIST), `${DIST} is missing: run pnpm build first`).toBe(true);
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: acknowledged batches survive, none is partial`, async () => {
      const random = new SeededRandom(seed);
      const dir = mkdtempSync(join(tmpdir(), `atoll-crash-${seed}-`));
      dirs.push(dir);
      let recovered = 0;
      try {
        for (let round = 0; round < ROUNDS_PER_SEED; round++) {
          const killAfter = KILL_AFTER_ACKS_MIN + random.nextInt(KILL_AFTER_ACKS_SPREAD);
          const { start, acked } = await runAndKill(dir, killAfter);
          expect(start).toBe(recovered + 1);
          recovered = await verify(dir, acked);
        }
      } catch (e) {
        console.error(`crash test failed: replay with CRASH_SEEDS=${seed}`);
        throw e;
      }
    });
  }
});
