/**
 * The CLI end to end: `atoll dev` in a temp folder, `atoll kv` and `atoll ctl` against it,
 * a clean Ctrl-C that leaves no process behind, and a restart on the same folder that keeps
 * the data.
 */

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliPath, freePort } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait.js';

const run = promisify(execFile);

async function atoll(...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run(process.execPath, [cliPath, ...args], { timeout: 30_000 });
    return { stdout, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; code?: number };
    return { stdout: err.stdout ?? '', code: err.code ?? -1 };
  }
}

/** Processes whose command line mentions the folder (the dev cluster's children do). */
function processesUsing(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function startDev(dir: string, pdPort: number): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(
    process.execPath,
    [cliPath, 'dev', '--data-dir', dir, '--pd-port', String(pdPort)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { child, output: () => out };
}

async function stopDev(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return exited;
}

describe('atoll dev, kv and ctl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-dev-'));
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const c of started) c.kill('SIGKILL');
    for (const pid of processesUsing(dir)) process.kill(Number(pid), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a local cluster, serves the CLI, stops cleanly and keeps its data', async () => {
    const pdPort = await freePort();
    const pd = ['--pd', `127.0.0.1:${pdPort}`];
    const first = startDev(dir, pdPort);
    started.push(first.child);
    await waitFor(
      () => first.output().includes('press Ctrl-C'),
      90_000,
      `atoll dev to start:\n${first.output()}`,
    );
    expect(first.output()).toContain('get  hello -> world');

    expect((await atoll('kv', 'put', 'colour', 'blue', ...pd)).stdout.trim()).toBe('OK');
    expect((await atoll('kv', 'get', 'colour', ...pd)).stdout.trim()).toBe('blue');
    const missing = await atoll('kv', 'get', 'no-such-key', ...pd);
    expect(missing.code).toBe(1);
    const scan = JSON.parse((await atoll('kv', 'scan', '--json', ...pd)).stdout) as {
      key: string;
      value: string;
    }[];
    expect(scan.map((p) => p.key)).toEqual(['colour', 'hello', 'hello/2']);
    expect(
      JSON.parse(
        (await atoll('kv', 'cas', 'colour', 'red', '--expect', 'blue', '--json', ...pd)).stdout,
      ),
    ).toEqual({
      succeeded: true,
      previous: 'blue',
    });
    expect((await atoll('kv', 'put', '--key-encoding', 'hex', 'zz', 'v', ...pd)).code).not.toBe(0);

    const stores = JSON.parse((await atoll('ctl', 'stores', '--json', ...pd)).stdout) as {
      id: number;
      state: string;
    }[];
    expect(stores.length).toBe(3);
    expect(stores.every((s) => s.state === 'up')).toBe(true);
    expect((await atoll('ctl', 'split', 'k', ...pd)).code).toBe(0);
    await waitFor(
      async () => {
        const regions = JSON.parse(
          (await atoll('ctl', 'regions', '--json', ...pd)).stdout,
        ) as unknown[];
        return regions.length === 2;
      },
      20_000,
      'two regions after the split',
    );

    expect(await stopDev(first.child)).toBe(0);
    await waitFor(
      () => processesUsing(dir).length === 0,
      10_000,
      'every process of the cluster to exit',
    );

    const second = startDev(dir, pdPort);
    started.push(second.child);
    await waitFor(
      () => second.output().includes('press Ctrl-C'),
      90_000,
      `atoll dev to restart:\n${second.output()}`,
    );
    expect((await atoll('kv', 'get', 'colour', ...pd)).stdout.trim()).toBe('red');
    expect(await stopDev(second.child)).toBe(0);
    await waitFor(() => processesUsing(dir).length === 0, 10_000, 'every process to exit again');
  }, 240_000);
});
