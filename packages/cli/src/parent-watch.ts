/**
 * Child servers started by `atoll dev` stop when their parent is gone, even if it was killed
 * with SIGKILL and could not stop them: no orphans. The parent passes its pid in
 * ATOLL_PARENT_PID; the child checks it once a second.
 */

/** How often a child checks that its parent still runs. */
const PARENT_CHECK_MS = 1_000;

export function onParentExit(stop: () => void): void {
  const parent = Number(process.env.ATOLL_PARENT_PID ?? 0);
  if (!parent) return;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      clearInterval(timer);
      stop();
    }
  }, PARENT_CHECK_MS);
  timer.unref();
}
