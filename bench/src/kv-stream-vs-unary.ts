/**
 * Kv transport benchmark: what the client-facing gRPC path itself costs, with a trivial
 * handler (answers every request at once, no store behind it). It compares one unary `Call`
 * per request with the multiplexed, batched `Stream` (GrpcKvClient.send), at several
 * concurrency levels, and prints requests/s and latency percentiles with every condition.
 *
 * The server runs in a child process (its own event loop and core), the client here; both on
 * loopback. Closed loop: `concurrency` workers each issue one request, await its answer, and
 * issue the next. Each row runs for a warm-up, then the measured seconds.
 *
 * Run: pnpm build && pnpm bench:kv-transport [--seconds N] [--concurrency 1,16,64,256]
 */

import { type ChildProcess, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { kvService } from '@atoll/proto/grpc';
import {
  createKvService,
  GrpcKvClient,
  KV_REQUEST_BATCH_MAX,
  KV_RESPONSE_BATCH_MAX,
  KV_STREAM_INFLIGHT_MAX,
  type KvRequest,
  startLoopbackGrpcServer,
} from '@atoll/store/env';
import { machineConditions, printConditions, printTable } from './conditions.js';

const KEY_BYTES = 16;
const VALUE_BYTES = 128;
const DEFAULT_CONCURRENCY = [1, 16, 64, 256];
const DEFAULT_SECONDS = 3;
/** Warm-up before each row: JIT, connection, HTTP/2 windows. */
const WARMUP_SECONDS = 0.5;

type Mode = 'unary Call' | 'batched Stream';
type Row = Record<string, string | number>;

interface ServerMessage {
  readonly port?: number;
  readonly cpuMicros?: number;
}

// ---- the server (child process) -----------------------------------------------------------

async function serve(): Promise<void> {
  const server = await startLoopbackGrpcServer((s) =>
    s.addService(kvService, createKvService({ handle: async (r) => ({ id: r.id, put: {} }) })),
  );
  process.on('message', (m: string) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ cpuMicros: u.user + u.system } satisfies ServerMessage);
    } else if (m === 'stop') {
      void server.stop(0).then(() => process.exit(0));
    }
  });
  process.send?.({ port: server.port } satisfies ServerMessage);
}

// ---- the client (this process) ------------------------------------------------------------

function ask(child: ChildProcess, m: string): Promise<ServerMessage> {
  return new Promise((resolve) => {
    child.once('message', (r: ServerMessage) => resolve(r));
    child.send(m);
  });
}

function request(i: number): KvRequest {
  const key = new Uint8Array(KEY_BYTES);
  new DataView(key.buffer).setUint32(KEY_BYTES - 4, i);
  return { put: { context: { regionId: 1 }, key, value: new Uint8Array(VALUE_BYTES).fill(7) } };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function runRow(
  address: string,
  child: ChildProcess,
  mode: Mode,
  concurrency: number,
  seconds: number,
): Promise<Row> {
  const client = new GrpcKvClient(address);
  const issue = (r: KvRequest) => (mode === 'unary Call' ? client.call(r) : client.send(r));
  let measuring = false;
  let stop = false;
  const latencies: number[] = [];
  let n = 0;
  const worker = async () => {
    while (!stop) {
      const r = request(n++);
      const t0 = performance.now();
      const response = await issue(r);
      if (response.error) throw new Error(response.error.message ?? 'error');
      if (measuring) latencies.push(performance.now() - t0);
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  const before = client.stats();
  const serverCpu0 = (await ask(child, 'cpu')).cpuMicros ?? 0;
  const cpu0 = process.cpuUsage();
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu = ((await ask(child, 'cpu')).cpuMicros ?? 0) - serverCpu0;
  const after = client.stats();
  stop = true;
  await Promise.all(workers);
  await client.close();
  const sorted = Float64Array.from(latencies).sort();
  const batches = after.requestBatchesSent - before.requestBatchesSent;
  const sent = after.requestsSent - before.requestsSent;
  return {
    mode,
    concurrency,
    'requests/s': Math.round(latencies.length / elapsed),
    'p50 ms': percentile(sorted, 50).toFixed(3),
    'p99 ms': percentile(sorted, 99).toFixed(3),
    'requests/message': mode === 'unary Call' ? 1 : batches > 0 ? (sent / batches).toFixed(1) : '-',
    'client CPU s/s': ((cpu.user + cpu.system) / 1e6 / elapsed).toFixed(2),
    'server CPU s/s': (serverCpu / 1e6 / elapsed).toFixed(2),
  };
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) {
    await serve();
    return;
  }
  const seconds = Number(argument('--seconds') ?? DEFAULT_SECONDS);
  const levels = (argument('--concurrency') ?? DEFAULT_CONCURRENCY.join(','))
    .split(',')
    .map(Number);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: 'inherit' });
  try {
    const ready = await new Promise<ServerMessage>((resolve) => child.once('message', resolve));
    const address = `127.0.0.1:${ready.port}`;
    printConditions('Kv transport: unary Call vs batched Stream', {
      ...machineConditions(),
      loadAverage1m: loadavg()[0]!.toFixed(2),
      server: 'child process, trivial handler (answers at once; no store, no Raft, no disk)',
      client: 'this process, one GrpcKvClient (one HTTP/2 connection), closed loop',
      transport: 'gRPC (@grpc/grpc-js) on loopback 127.0.0.1, insecure',
      request: `RawPut, ${KEY_BYTES}-byte key, ${VALUE_BYTES}-byte value`,
      concurrency: levels.join(', '),
      durationPerRow: `${WARMUP_SECONDS} s warm-up + ${seconds} s measured`,
      streamBatching: `requests issued in one event-loop turn -> one message (max ${KV_REQUEST_BATCH_MAX}); responses completing in one turn -> one message (max ${KV_RESPONSE_BATCH_MAX}); server in-flight cap ${KV_STREAM_INFLIGHT_MAX} per stream`,
    });
    const rows: Row[] = [];
    for (const concurrency of levels) {
      for (const mode of ['unary Call', 'batched Stream'] as const) {
        rows.push(await runRow(address, child, mode, concurrency, seconds));
      }
    }
    printTable(rows);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
