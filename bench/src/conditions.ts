/** The conditions every benchmark prints with its figures: a number without them is noise. */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';

/** The machine's conditions. */
export interface Conditions {
  readonly machine: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly [key: string]: string | number | boolean;
}

/** CPU model, cores, memory and Node version of this machine. */
export function machineConditions(): Conditions {
  const cpu = cpus()[0];
  return {
    machine: cpu ? cpu.model.trim() : 'unknown cpu',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Prints conditions as a markdown list under a heading. */
export function printConditions(title: string, c: Record<string, unknown>): void {
  console.log(`\n## ${title}`);
  for (const [k, v] of Object.entries(c)) console.log(`- ${k}: ${v}`);
}

/** Prints rows as a markdown table. */
export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 1 }) : String(v);
  console.log(`| ${keys.join(' | ')} |`);
  console.log(`|${keys.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${keys.map((k) => cell(r[k])).join(' | ')} |`);
}

/** The 1, 5 and 15 minute load averages, e.g. "3.52 / 2.90 / 2.61": a busy machine shows. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/** The operating system and kernel, e.g. "Linux 6.1.0". */
export function osRelease(): string {
  return `${type()} ${release()}`;
}

/** Magic numbers of statfs(2) for the file systems a data folder is likely to be on. */
const FS_TYPES: Record<number, string> = {
  61267: 'ext4',
  16914836: 'tmpfs (fsync costs nothing)',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  2035054128: 'overlayfs',
  801189825: 'zfs',
};

/** The file system a folder is on: fsync costs differ by orders of magnitude between them. */
export function fileSystemOf(path: string): string {
  try {
    const t = statfsSync(path).type;
    return FS_TYPES[t] ?? `type 0x${t.toString(16)}`;
  } catch {
    return 'unknown';
  }
}

/** The version of an npm package as resolved from `from` (a file URL), or "unknown". */
export function packageVersion(name: string, from: string): string {
  try {
    let dir = dirname(createRequire(from).resolve(name));
    for (let i = 0; i < 6; i++) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      }
      dir = dirname(dir);
    }
  } catch {
    // not resolvable from here
  }
  return 'unknown';
}

/** The first line a command prints for `--version`, or undefined when it cannot run. */
export function commandVersion(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || !r.stdout) return undefined;
  return r.stdout.split('\n')[0]!.trim();
}
