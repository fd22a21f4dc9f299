/**
 * The `bench` command, shared by `atoll bench` (the CLI) and `pnpm bench` (main.ts): the
 * options come from options.ts, the action runs the benchmark and prints the report.
 */

import type { Command } from 'commander';
import { runBench } from './bench-run.js';
import { addBenchOptions, BENCH_DESCRIPTION, type BenchFlags, toBenchOptions } from './options.js';

/** The action: runs with the parsed flags, prints the markdown report on stdout. */
export async function runBenchCommand(flags: BenchFlags): Promise<void> {
  const { markdown, dir } = await runBench(toBenchOptions(flags));
  process.stdout.write(`\n${markdown}\n`);
  process.stderr.write(`results: ${dir}\n`);
}

/** Adds options and the action to `cmd` (a fresh `bench` command). */
export function defineBenchCommand(cmd: Command): Command {
  return addBenchOptions(cmd.description(BENCH_DESCRIPTION)).action(runBenchCommand);
}
