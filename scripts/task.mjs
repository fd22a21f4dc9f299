#!/usr/bin/env node
// The README's two commands (`npm start`, `npm test`) land here. On a fresh machine with only
// Node >= 20 and npm, this finds or fetches pnpm, installs the workspace from the lockfile,
// builds it, and then runs the task. Nothing else needs to be installed by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '10.34.8';
const tasks = {
  start: ['run', 'dev'],
  test: ['run', 'check'],
  build: null,
};

const task = process.argv[2];
if (!(task in tasks)) {
  console.error(`usage: node scripts/task.mjs <${Object.keys(tasks).join('|')}> [args...]`);
  process.exit(2);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
    ...opts,
  });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm', []];
  return ['npx', ['--yes', `pnpm@${PNPM_VERSION}`]];
}

const [pnpm, pnpmPrefix] = pnpmCommand();
const pnpmRun = (args) => run(pnpm, [...pnpmPrefix, ...args]);

// Install when node_modules is missing or older than the lockfile.
const marker = join(root, 'node_modules', '.modules.yaml');
const lock = join(root, 'pnpm-lock.yaml');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  const frozen = process.env.CI ? ['--frozen-lockfile'] : ['--frozen-lockfile', '--prefer-offline'];
  if (pnpmRun(['install', ...frozen]) !== 0) process.exit(1);
}
if (pnpmRun(['run', 'build']) !== 0) process.exit(1);

const args = tasks[task];
if (args) process.exit(pnpmRun([...args, ...process.argv.slice(3)]));
