/**
 * `atoll dev`: a whole local cluster in one command, for development and first steps. It runs
 * one placement driver and three stores as child processes on loopback, data under one
 * folder, shows a first put/get/scan, prints the endpoints and a status table, and stops
 * everything cleanly on Ctrl-C. Run it again on the same folder and the data is still there.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { nodeFlagsFor } from '@atoll/store';
import type { Command } from 'commander';
import { dataClient, pdClient } from '../cluster-connection.js';
import { positiveInt } from '../options.js';
import { formatTable } from '../table.js';

interface DevFlags {
  dataDir: string;
  stores: number;
  pdPort: number;
  demo: boolean;
  verbose?: boolean;
}

/** Time to wait for one server to say it is ready (first start creates LMDB files). */
const READY_TIMEOUT_MS = 60_000;
/** Time to wait for the first region to reach its replicas after stores join. */
const HEALTHY_TIMEOUT_MS = 60_000;

function freePort(preferred = 0): Promise<number> {
  return new Promise((resolvePort) => {
    const s = createServer();
    s.once('error', () => {
      if (preferred !== 0) void freePort(0).then(resolvePort);
    });
    s.listen(preferred, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

class Child {
  readonly process: ChildProcess;
  private exitedPromise: Promise<number | null>;

  constructor(
    readonly name: string,
    args: string[],
    logFile: string,
    echo: boolean,
  ) {
    this.process = spawn(process.execPath, [...nodeFlagsFor(args), process.argv[1]!, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ATOLL_PARENT_PID: String(process.pid) },
    });
    const log = createWriteStream(logFile, { flags: 'a' });
    this.process.stdout!.pipe(log);
    this.process.stderr!.pipe(log);
    if (echo)
      this.process.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
    this.exitedPromise = new Promise((r) => this.process.once('exit', (code) => r(code)));
  }

  /** Resolves with the first JSON log line whose msg is `message`. */
  ready(message: string): Promise<Record<string, unknown>> {
    return new Promise((resolveReady, reject) => {
      let buffered = '';
      const timer = setTimeout(
        () => reject(new Error(`${this.name} did not start within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          try {
            const rec = JSON.parse(line) as Record<string, unknown>;
            if (rec.msg === message) {
              clearTimeout(timer);
              this.process.stdout!.off('data', onData);
              resolveReady(rec);
            }
          } catch {
            // not a log line
          }
        }
      };
      this.process.stdout!.on('data', onData);
      void this.exitedPromise.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}) while starting; see its log`));
      });
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const killer = setTimeout(() => this.process.kill('SIGKILL'), 15_000);
    await this.exitedPromise;
    clearTimeout(killer);
  }
}

async function waitUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      'run a local cluster (1 placement driver + 3 stores) with data in a local folder, until Ctrl-C',
    )
    .option('--data-dir <dir>', 'folder for all data and logs', 'atoll-data')
    .option('--stores <n>', 'number of stores', positiveInt, 3)
    .option(
      '--pd-port <port>',
      'placement driver port (another free one is used if it is taken)',
      positiveInt,
      2379,
    )
    .option('--no-demo', 'skip the first put/get/scan')
    .action(async (flags: DevFlags) => {
      const dir = resolve(flags.dataDir);
      const logs = join(dir, 'logs');
      mkdirSync(logs, { recursive: true });
      const children: Child[] = [];
      let stopping = false;
      const stopAll = async () => {
        if (stopping) return;
        stopping = true;
        console.log(
          '\nstopping: stores first (they hand their leaders over), then the placement driver...',
        );
        const stores = children.filter((c) => c.name.startsWith('store'));
        await Promise.all(stores.map((c) => c.stop()));
        await Promise.all(children.filter((c) => !stores.includes(c)).map((c) => c.stop()));
        console.log(`stopped; data kept in ${dir}`);
      };
      process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
      process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));

      try {
        const pdPort = await freePort(flags.pdPort);
        const pdStatus = await freePort();
        const pdAddr = `127.0.0.1:${pdPort}`;
        const pd = new Child(
          'pd',
          [
            'pd',
            '--id',
            '1',
            '--listen',
            pdAddr,
            '--status',
            `127.0.0.1:${pdStatus}`,
            '--data-dir',
            join(dir, 'pd-1'),
          ],
          join(logs, 'pd-1.log'),
          flags.verbose ?? false,
        );
        children.push(pd);
        await pd.ready('pd ready');
        console.log(`placement driver  ${pdAddr}   (status http://127.0.0.1:${pdStatus}/status)`);

        const storeEndpoints: string[] = [];
        for (let i = 1; i <= flags.stores; i++) {
          const port = await freePort(20160 + i - 1);
          const status = await freePort(20180 + i - 1);
          const store = new Child(
            `store-${i}`,
            [
              'store',
              '--pd',
              pdAddr,
              '--listen',
              `127.0.0.1:${port}`,
              '--status',
              `127.0.0.1:${status}`,
              '--data-dir',
              join(dir, `store-${i}`),
            ],
            join(logs, `store-${i}.log`),
            flags.verbose ?? false,
          );
          children.push(store);
          await store.ready('store ready');
          storeEndpoints.push(
            `store ${i}          127.0.0.1:${port}  (status http://127.0.0.1:${status}/status)`,
          );
        }
        for (const line of storeEndpoints) console.log(line);

        const pdc = await pdClient({ pd: [pdAddr] });
        try {
          const healthy = await waitUntil(async () => {
            const regions = await pdc.scanRegions(new Uint8Array(), new Uint8Array(), 10);
            const want = Math.min(3, flags.stores);
            return (
              regions.length > 0 &&
              regions.every(
                (r) =>
                  (r.region.peers ?? []).filter((p) => p.role !== 1).length >= want && r.leader,
              )
            );
          }, HEALTHY_TIMEOUT_MS);
          if (!healthy)
            console.log(
              '(the first region is still gaining replicas; the cluster works meanwhile)',
            );

          if (flags.demo) {
            const client = await dataClient({ pd: [pdAddr] });
            try {
              await client.put('hello', 'world');
              await client.put('hello/2', 'again');
              const got = await client.get('hello');
              const scanned = await client.scan({ start: 'hello', end: 'hellp' });
              console.log('\nfirst steps:');
              console.log(`  put  hello = world`);
              console.log(`  get  hello -> ${got?.toString()}`);
              console.log(
                `  scan [hello, hellp) -> ${scanned.map((kv) => `${kv.key}=${kv.value}`).join(', ')}`,
              );
            } finally {
              await client.close();
            }
          }

          const { stores, stats } = await pdc.getAllStores(true);
          console.log('');
          console.log(
            formatTable(
              stores.map((s) => {
                const st = stats.find((x) => Number(x.storeId) === Number(s.id));
                // Before a store's first heartbeat reaches PD its counts are unknown.
                return {
                  store: Number(s.id),
                  address: s.address ?? '',
                  regions: st ? Number(st.regionCount ?? 0) : '?',
                  leaders: st ? Number(st.leaderCount ?? 0) : '?',
                };
              }),
            ),
          );
        } finally {
          await pdc.close();
        }
        console.log(
          `\nlogs in ${logs}; try: atoll kv put k v --pd ${pdAddr}; atoll ctl status --pd ${pdAddr}`,
        );
        console.log('running; press Ctrl-C to stop');
        await new Promise<never>(() => {});
      } catch (e) {
        await stopAll();
        throw e;
      }
    });
}
