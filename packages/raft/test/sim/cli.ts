/**
 * `pnpm sim`: runs the Raft simulator over many seeds, or replays one.
 *
 *   pnpm sim --seeds 2000              seeds 1..2000, each with 3 and with 5 peers
 *   pnpm sim --seeds 500 --start 9000 --peers 5
 *   pnpm sim --seed 1234 --peers 3 --verbose   replay one run and print its event log
 *
 * Exits 1 if any seed fails, after printing each failing seed and the command that replays
 * it. This is a developer tool, not part of the core: it may use the process and the clock.
 */

import { replayCommand, runSimulation, type SimResult } from './simulator.js';

interface CliOptions {
  seeds: number;
  start: number;
  seed: number | undefined;
  peers: number[];
  steps: number | undefined;
  verbose: boolean;
}

const USAGE =
  'usage: pnpm sim [--seeds N] [--start S] [--seed X] [--peers 3|5] [--verbose]\n' +
  '  --seeds N    run N seeds (default 100) starting at --start (default 1)\n' +
  '  --seed X     replay seed X only\n' +
  '  --peers K    initial group size (default: both 3 and 5)\n' +
  '  --steps N    fault-phase steps (default 300; seeds replay only with the same value)\n' +
  '  --verbose    print the whole event log of each run (use with --seed)';

function parse(argv: string[]): CliOptions {
  const o: CliOptions = {
    seeds: 100,
    start: 1,
    seed: undefined,
    peers: [3, 5],
    steps: undefined,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${arg} needs a whole number`);
      return v;
    };
    switch (arg) {
      case '--seeds':
        o.seeds = value();
        break;
      case '--start':
        o.start = value();
        break;
      case '--seed':
        o.seed = value();
        break;
      case '--peers':
        o.peers = [value()];
        break;
      case '--steps':
        o.steps = value();
        break;
      case '--verbose':
        o.verbose = true;
        break;
      case '--':
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return o;
}

function printFailure(r: SimResult, withEvents: boolean): void {
  console.log(`\nFAIL seed ${r.seed} (${r.peers} peers) at step ${r.step}, ${r.phase} phase:`);
  console.log(r.failure);
  if (withEvents) {
    console.log(`last ${r.events.length} events:`);
    for (const e of r.events) console.log(`  ${e}`);
  }
  console.log(`replay: ${replayCommand(r)}`);
}

function main(): void {
  const o = parse(process.argv.slice(2));
  const seeds =
    o.seed !== undefined ? [o.seed] : Array.from({ length: o.seeds }, (_, i) => o.start + i);
  const failures: SimResult[] = [];
  const started = performance.now();
  let runs = 0;
  let healTicksMax = 0;
  const totals: Record<string, number> = {};
  for (const peers of o.peers) {
    for (const seed of seeds) {
      const r = runSimulation({
        seed,
        peers,
        ...(o.steps !== undefined ? { faultSteps: o.steps } : {}),
        ...(o.verbose ? { onEvent: (line: string) => console.log(line) } : {}),
      });
      runs++;
      for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
      if (r.ok) {
        healTicksMax = Math.max(healTicksMax, r.healTicks ?? 0);
        if (o.seed !== undefined) {
          console.log(`seed ${seed} (${peers} peers) ok: ${JSON.stringify(r.stats)}`);
          console.log(`healed in ${r.healTicks} ticks`);
        }
      } else {
        failures.push(r);
        printFailure(r, !o.verbose);
      }
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${runs} runs, ${failures.length} failed, ${seconds}s; slowest heal ${healTicksMax} ticks`,
  );
  if (o.seed === undefined) console.log(`totals: ${JSON.stringify(totals)}`);
  if (failures.length > 0) {
    console.log('replay failures with:');
    for (const r of failures) console.log(`  ${replayCommand(r)}`);
    process.exit(1);
  }
}

main();
