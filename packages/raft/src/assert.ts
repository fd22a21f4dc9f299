/**
 * Assertions for programmer errors. They stay on in production: a broken Raft invariant
 * must stop the peer (and fail the simulator's seed), never limp on and corrupt a log.
 */

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === 'string' ? message : message());
  }
}
