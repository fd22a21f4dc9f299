/** Shared option parsing for atoll commands: typed values, one clear error each. */

import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function hostPort(value: string): string {
  if (!/^[^\s:]*:\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return value;
}

export function addressList(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('expected host:port[,host:port...]');
  for (const a of list) hostPort(a);
  return list;
}

/** Reads a JSON file, with a message that names the file on failure. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Options from a --config JSON file, overridden by flags given on the command line. */
export function withConfigFile<T extends object>(
  opts: T & { config?: string },
  given: (name: string) => boolean,
): T {
  if (!opts.config) return opts;
  const file = readJsonFile(opts.config) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...opts };
  for (const [k, v] of Object.entries(file)) if (!given(k)) out[k] = v;
  return out as T;
}
