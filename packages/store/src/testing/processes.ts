/**
 * Real processes for tests: start `atoll` commands, wait until they say they are ready,
 * kill them (SIGKILL or SIGTERM), and make sure none outlives the test.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFlagsFor } from '../store-config.js';

/** The repository root (this file is packages/store/{src,dist}/testing/processes.*). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** The built `atoll` command (tests and benches run after the build). */
export const cliPath = join(repoRoot, 'packages', 'cli', 'dist', 'main.js');

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Lowest port freePort picks from. */
const PICKED_PORT_MIN = 10_000;
/** Random picks tried before leaving the choice to the OS. */
const PORT_PICKS_MAX = 50;
/** Ports this process has handed out already (never twice). */
const handedOut = new Set<number>();

/**
 * A port nobody listens on right now, for a process about to be started on it. Picked at
 * random below the kernel's ephemeral range: a port the OS picks (listen on 0) comes from
 * that range, where any outgoing connection may take it before the process binds it (seen
 * once in the bench); a port below the range is only ever taken by a listener.
 */
export async function freePort(): Promise<number> {
  const ephemeralStart = ephemeralPortStart();
  for (let i = 0; i < PORT_PICKS_MAX && ephemeralStart > PICKED_PORT_MIN; i++) {
    const port = PICKED_PORT_MIN + Math.floor(Math.random() * (ephemeralStart - PICKED_PORT_MIN));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return listenOn(0);
}

/** First port of the kernel's ephemeral range (Linux), or 0 if unknown. */
function ephemeralPortStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(first) ? first : 0;
  } catch {
    return 0;
  }
}

function canListen(port: number): Promise<boolean> {
  return listenOn(port).then(
    () => true,
    () => false,
  );
}

/** Listens on `port` (0: the OS picks), closes, and returns the port listened on. */
function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      const bound = (s.address() as { port: number }).port;
      s.close(() => resolve(bound));
    });
  });
}

/** Node flags the environment adds to every process started here (ATOLL_NODE_ARGS). */
export function nodeArgsFromEnv(): string[] {
  return (process.env.ATOLL_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

export class AtollProcess {
  private child: ChildProcess | undefined;
  readonly lines: string[] = [];

  constructor(
    readonly name: string,
    private readonly args: string[],
    /** Extra flags for node itself, e.g. --cpu-prof (ATOLL_NODE_ARGS adds more). */
    private readonly nodeArgs: string[] = nodeArgsFromEnv(),
  ) {}

  /** Starts the process and resolves once a log line has msg === readyMessage. */
  start(readyMessage: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const nodeArgs = [...nodeFlagsFor(this.args), ...this.nodeArgs];
    const child = spawn(process.execPath, [...nodeArgs, cliPath, ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    child.on('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name} not ready within ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`,
            ),
          ),
        timeoutMs,
      );
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString();
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          this.lines.push(line);
          if (this.lines.length > 2000) this.lines.shift();
          try {
            const rec = JSON.parse(line) as Record<string, unknown>;
            if (rec.msg === readyMessage) {
              clearTimeout(timer);
              resolve(rec);
            }
          } catch {
            // not a log line
          }
          nl = buffered.indexOf('\n');
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) =>
        this.lines.push(`[stderr] ${c.toString().trimEnd()}`),
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `${this.name} exited (${code ?? signal}) before ready:\n${this.lines.slice(-20).join('\n')}`,
          ),
        );
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** How the process ended (exit code or signal), or undefined while it runs or before start. */
  get exit(): string | undefined {
    if (!this.child || this.running) return undefined;
    return this.child.signalCode ?? `code ${this.child.exitCode}`;
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill(signal);
    return exited;
  }
}

const live = new Set<ChildProcess>();

/** Kills every process a test started and has not stopped (call in afterAll). */
export function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

process.on('exit', killAll);
