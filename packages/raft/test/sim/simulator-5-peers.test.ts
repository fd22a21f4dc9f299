/**
 * The simulator in CI, 5-peer groups: the other half of the fixed seed set (see
 * ci-seeds.ts). It is its own file so that vitest runs it beside the 3-peer half.
 */

import { describe, expect, it } from 'vitest';
import { CI_SEEDS_PER_GROUP, defineSeedCases } from './ci-seeds.js';

describe('simulator, 5 peers', () => {
  const totals = defineSeedCases(5);

  it('exercised crashes, elections and membership changes', () => {
    const floor = CI_SEEDS_PER_GROUP / 10;
    expect(totals.leadersElected).toBeGreaterThan(10 * floor);
    expect(totals.crashes).toBeGreaterThan(10 * floor);
    expect(totals.confChangesApplied).toBeGreaterThan(10 * floor);
  });
});
