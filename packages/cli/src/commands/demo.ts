/** `atoll demo`: the in-process Raft demo (see demo/raft-demo.ts). */

import { type Command, InvalidArgumentError } from 'commander';
import { runRaftDemo } from '../demo/raft-demo.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run a 5-peer Raft group in one process: elect, replicate, lose the leader, re-elect',
    )
    .option(
      '--seed <n>',
      'seed for election timeouts; the same seed replays the same run',
      positiveInt,
      42,
    )
    .option('--peers <n>', 'group size', positiveInt, 5)
    .action((opts: { seed: number; peers: number }) => {
      runRaftDemo({ seed: opts.seed, peers: opts.peers, print: (line) => console.log(line) });
    });
}
