/**
 * Assertions for programmer errors. They stay on in production: a broken PD invariant (two
 * regions overlapping in the index, a timestamp going backwards) must stop the leader and
 * fail the simulation seed, never limp on and hand out wrong routes or timestamps.
 */

/** Thrown when an invariant is broken. Never caught by the core. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws an AssertionError when `condition` is falsy. */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === 'string' ? message : message());
  }
}
