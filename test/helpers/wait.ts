/**
 * Waits for a condition with a deadline (never a fixed sleep): polls, fails with a message
 * that ends with `detail()` when given (what was seen last, to diagnose a failure).
 */
export async function waitFor(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  detail?: () => string | Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seen = detail ? `\n${await detail()}` : '';
  throw new Error(`${what}: not reached within ${timeoutMs} ms${seen}`);
}
