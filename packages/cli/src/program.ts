/** The `atoll` command tree. Each subcommand lives in commands/<name>.ts. */

import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerCtl } from './commands/ctl.js';
import { registerDemo } from './commands/demo.js';
import { registerDev } from './commands/dev.js';
import { registerKv } from './commands/kv.js';
import { registerPd } from './commands/pd.js';
import { registerStore } from './commands/store.js';

import { VERSION } from './version.js';

export { VERSION };

export function buildProgram(): Command {
  const program = new Command('atoll')
    .description('Atoll: a sharded, strongly consistent, transactional key-value database')
    .version(VERSION)
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError();
  registerDemo(program);
  registerDev(program);
  registerStore(program);
  registerPd(program);

  registerKv(program);
  registerCtl(program);

  registerBench(program);
  return program;
}
