#!/usr/bin/env node
// Style rules a linter does not know (STYLE.md): the Raft core stays pure; store and PD code
// reach clocks, timers and randomness only through their environment adapters; file names
// are kebab-case; files stay readable.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const problems = [];
const MAX_LINES = 700;

function walk(dir, out = []) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const nondeterminism =
  /\b(Date\.now|new Date\(|Math\.random|performance\.now|setTimeout|setInterval|setImmediate|queueMicrotask)\b/;
const pureOnly = /\b(async |await |process\.|require\(|from 'node:|from "node:)/;

for (const pkg of readdirSync(join(root, 'packages'))) {
  for (const file of walk(join(root, 'packages', pkg, 'src'))) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const base = file.split('/').pop();
    if (!/^[a-z0-9]+(-[a-z0-9]+)*(\.d)?\.ts$/.test(base))
      problems.push(`${rel}: file names are kebab-case`);
    if (lines.length > MAX_LINES)
      problems.push(`${rel}: ${lines.length} lines (max ${MAX_LINES}); split it by job`);
    const deterministic = pkg === 'raft' || pkg === 'store' || pkg === 'pd';
    // Environment adapters (real clocks, timers, sockets) live in src/env/ or *-env.ts files.
    // Test support (src/testing/) is not a production path.
    const isEnvAdapter =
      /(^|-)env[^/]*\.ts$/.test(base) || rel.includes('/src/env/') || rel.includes('/src/testing/');
    lines.forEach((line, i) => {
      const code = /^\s*(\*|\/\*)/.test(line) ? '' : line.replace(/\/\/.*$/, '');
      if (deterministic && !isEnvAdapter && nondeterminism.test(code)) {
        problems.push(
          `${rel}:${i + 1}: clocks, timers and randomness come from the injected environment`,
        );
      }
      if (pkg === 'raft' && pureOnly.test(code)) {
        problems.push(`${rel}:${i + 1}: the Raft core is synchronous and free of Node APIs`);
      }
    });
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} style problem(s)`);
  process.exit(1);
}
console.log('style: ok');
