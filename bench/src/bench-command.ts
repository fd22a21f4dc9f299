/**
 * The `bench` command as one commander definition, registered both by `atoll bench` (the CLI)
 * and by `pnpm bench` (main.ts): options, the run, and the report on stdout.
 */

import type { Command } from 'commander';
import { runBench } from './bench-run.js';
import { addBenchOptions, toBenchOptions } from './options.js';

export const BENCH_DESCRIPTION =
  'benchmark: writes/s and latency of Atoll (optionally side by side with etcd), every condition printed';

/** Adds options and the action to `cmd` (a fresh `bench` command). */
export function defineBenchCommand(cmd: Command): Command {
  return addBenchOptions(cmd.description(BENCH_DESCRIPTION)).action(async (flags) => {
    const { markdown, dir } = await runBench(toBenchOptions(flags));
    process.stdout.write(`\n${markdown}\n`);
    process.stderr.write(`results: ${dir}\n`);
  });
}
