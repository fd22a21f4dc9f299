#!/usr/bin/env node
/**
 * `pnpm bench`: the benchmark harness as a script (the same command as `atoll bench`).
 *
 *   pnpm bench [--workload put,batch-put] [--concurrency 1,16,64,256,1024] [--regions 1]
 *              [--vs etcd] [--profile] [--duration 10] [--warmup 2] ...   (--help lists all)
 */

import { Command } from 'commander';
import { defineBenchCommand } from './bench-command.js';

const cmd = defineBenchCommand(new Command('bench')).showHelpAfterError();
try {
  await cmd.parseAsync(process.argv);
} catch (e) {
  const code = (e as { code?: string }).code;
  console.error(`bench: ${code ? `${code}: ` : ''}${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
