/**
 * A clock moved by hand, for tests and the simulation. It can go backwards on purpose, to
 * check that nothing the PD hands out does.
 */

import type { Clock } from '../clock.js';

/** A Clock whose time only changes when told to. */
export class ManualClock implements Clock {
  constructor(private ms = 1_700_000_000_000) {}

  now(): number {
    return this.ms;
  }

  /** Moves time forward (or backward, with a negative delta). */
  advance(deltaMs: number): void {
    this.ms += deltaMs;
  }

  /** Sets the time. */
  set(ms: number): void {
    this.ms = ms;
  }
}
