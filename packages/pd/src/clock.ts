/**
 * The clock the PD core reads: injected, so that tests and the simulator move time by hand
 * and one seed reproduces a run. The production clock lives in env/system-clock.ts.
 */

/** Wall-clock milliseconds. May jump backwards (NTP); the core never relies on it not to. */
export interface Clock {
  now(): number;
}
