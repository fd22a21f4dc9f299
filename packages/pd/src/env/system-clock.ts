/**
 * The production clock: the process's wall clock. The only place in packages/pd/src that
 * reads real time (scripts/check-style.mjs enforces it).
 */

import type { Clock } from '../clock.js';

/** Date.now(), behind the Clock interface. */
export const systemClock: Clock = {
  now: () => Date.now(),
};
