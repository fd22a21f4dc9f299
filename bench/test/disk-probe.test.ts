/** The disk probe printed with the conditions: numbers in range, nothing left behind. */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDiskProbe, probeDisk } from '../src/disk-probe.js';

const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('disk probe', () => {
  it('measures a sync and two write rates, and removes its file', () => {
    const p = probeDisk(dir, 150);
    expect(p.syncMs).toBeGreaterThan(0);
    expect(p.randomMBps).toBeGreaterThan(0);
    expect(p.sequentialMBps).toBeGreaterThan(0);
    for (const v of Object.values(p)) expect(Number.isFinite(v)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(describeDiskProbe(p)).toMatch(
      /^one 4 KiB page \+ fdatasync [0-9.]+ ms \(median\); 16 random 4 KiB pages per fdatasync [0-9.]+ MB\/s; 16 consecutive [0-9.]+ MB\/s/,
    );
  });
});
