/** The `atoll` command tree. Each subcommand lives in commands/<name>.ts. */

import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerDemo } from './commands/demo.js';
import { registerStore } from './commands/store.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('atoll')
    .description('Atoll: a sharded, strongly consistent, transactional key-value database')
    .version(VERSION)
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError();
  registerDemo(program);
  registerStore(program);
  registerBench(program);
  return program;
}
