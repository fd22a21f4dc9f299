/**
 * Live progress on stderr: on a terminal one line rewritten every second (ops/s, p99, errors);
 * elsewhere (CI logs, pipes) a plain line every few seconds, so logs stay short.
 */

/** Seconds between lines when stderr is not a terminal. */
const PLAIN_EVERY_S = 5;

/** The progress line (and messages between rows) on stderr. */
export class LiveLine {
  private updates = 0;
  private readonly tty: boolean;

  constructor(
    private readonly enabled: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = out.isTTY === true;
  }

  /** Shows the progress of the current second. */
  update(text: string): void {
    if (!this.enabled) return;
    this.updates++;
    if (this.tty) this.out.write(`\r${text}\x1b[K`);
    else if (this.updates % PLAIN_EVERY_S === 0) this.out.write(`${text}\n`);
  }

  /** Ends the current line with a final text (always printed: one line per row). */
  done(text: string): void {
    this.updates = 0;
    if (this.tty && this.enabled) this.out.write(`\r${text}\x1b[K\n`);
    else this.out.write(`${text}\n`);
  }

  /** A message between rows (starting clusters, skipping etcd, ...). */
  say(text: string): void {
    this.out.write(`${text}\n`);
  }
}
