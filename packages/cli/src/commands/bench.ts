/**
 * `atoll bench`: the benchmark harness (bench/), with the same options as `pnpm bench`. Only
 * the option definitions load with the CLI; the harness (worker pool, etcd client) is
 * imported when the command runs, so `atoll store` starts as fast as before.
 */

import { addBenchOptions, BENCH_DESCRIPTION, type BenchFlags } from '@atoll/bench/options';
import type { Command } from 'commander';

export function registerBench(program: Command): void {
  addBenchOptions(program.command('bench').description(BENCH_DESCRIPTION)).action(
    async (flags: BenchFlags) => {
      const { runBenchCommand } = await import('@atoll/bench');
      await runBenchCommand(flags);
    },
  );
}
