#!/usr/bin/env node
/** Entry point of the `atoll` binary: parse, run, and turn failures into one clear line. */

import { buildProgram } from './program.js';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  const verbose = process.argv.includes('--verbose');
  console.error(`atoll: ${e instanceof Error ? e.message : String(e)}`);
  if (verbose && e instanceof Error && e.stack) console.error(e.stack);
  process.exitCode = 1;
}
