/** The conditions every benchmark prints with its figures: a number without them is noise. */

import { cpus, totalmem } from 'node:os';

export interface Conditions {
  readonly machine: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly [key: string]: string | number | boolean;
}

export function machineConditions(): Conditions {
  const cpu = cpus()[0];
  return {
    machine: cpu ? cpu.model.trim() : 'unknown cpu',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

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
