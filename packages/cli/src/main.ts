#!/usr/bin/env node
/** Entry point of the `atoll` binary: parse, run, and turn failures into one clear line. */

import * as grpc from '@grpc/grpc-js';
import { buildProgram } from './program.js';

// grpc-js prints its own errors to stderr; ours say the same in one line (see below).
if (!process.argv.includes('--verbose')) grpc.setLogVerbosity(grpc.logVerbosity.NONE);

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  const verbose = process.argv.includes('--verbose');
  console.error(`atoll: ${e instanceof Error ? e.message : String(e)}`);
  if (verbose && e instanceof Error && e.stack) console.error(e.stack);
  process.exitCode = 1;
}
