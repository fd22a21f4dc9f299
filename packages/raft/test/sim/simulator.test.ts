/**
 * The simulator in CI, 3-peer groups: the fixed seed set (see ci-seeds.ts), then checks that
 * the runs exercised what they are meant to, and that one seed replays exactly.
 * simulator-5-peers.test.ts runs the 5-peer half.
 */

import { describe, expect, it } from 'vitest';
import { CI_SEEDS_PER_GROUP, defineSeedCases } from './ci-seeds.js';
import { runSimulation } from './simulator.js';

describe('simulator, 3 peers', () => {
  const totals = defineSeedCases(3);

  it('exercised every fault and feature it models', () => {
    // A simulator that silently stops crashing peers or changing membership still passes;
    // these floors (about a tenth of what the seed set produces) catch that.
    const floor = CI_SEEDS_PER_GROUP / 10;
    expect(totals.leadersElected).toBeGreaterThan(10 * floor);
    expect(totals.crashes).toBeGreaterThan(10 * floor);
    expect(totals.partitions).toBeGreaterThan(5 * floor);
    expect(totals.messagesDropped).toBeGreaterThan(100 * floor);
    expect(totals.writesAcknowledged).toBeGreaterThan(100 * floor);
    expect(totals.readsServed).toBeGreaterThan(10 * floor);
    expect(totals.confChangesApplied).toBeGreaterThan(10 * floor);
    expect(totals.snapshotsInstalled).toBeGreaterThan(floor);
  });
});

describe('simulator replay', () => {
  it('one seed reproduces the whole run exactly', () => {
    const run = () => {
      const events: string[] = [];
      const r = runSimulation({ seed: 42, peers: 5, onEvent: (line) => events.push(line) });
      return { events, stats: r.stats, ok: r.ok };
    };
    const a = run();
    const b = run();
    expect(a.ok).toBe(true);
    expect(b.stats).toEqual(a.stats);
    expect(b.events.length).toBe(a.events.length);
    expect(b.events).toEqual(a.events);
  });

  it('a failing run reports its seed and the command that replays it', () => {
    // Heal bound 0: no group agrees within zero ticks, so the run fails in the heal phase.
    const r = runSimulation({ seed: 7, peers: 3, faultSteps: 20, healTicksMax: 0 });
    expect(r.ok).toBe(false);
    expect(r.seed).toBe(7);
    expect(r.failure).toContain('no agreement');
    expect(r.events.length).toBeGreaterThan(0);
  });
});
