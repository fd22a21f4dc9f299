/**
 * Raft link benchmark: what one message between two stores costs in CPU and latency, over the
 * store's gRPC transport (GrpcRaftTransport and the StoreTransport service, as stores use
 * them) and over a plain TCP socket carrying the same protobuf RaftBatch, length-prefixed.
 * At low load a write costs some ten such messages per store, none shared with another write,
 * so this is the floor of a store's CPU per write at concurrency 1.
 *
 * Ping-pong: this process sends one batch of one append (one 200-byte entry) to a peer in a
 * child process, whose handler answers with one batch back; the next goes when the answer
 * arrives. Reports the round trip's latency and each process's CPU per round trip.
 *
 * Run: pnpm build && pnpm bench:raft-link [--rounds N]
 */

import { type ChildProcess, fork } from 'node:child_process';
import net from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { atoll } from '@atoll/proto';
import { storeTransportService } from '@atoll/proto/grpc';
import {
  createStoreTransportService,
  GrpcRaftTransport,
  startLoopbackGrpcServer,
} from '@atoll/store/env';
import { machineConditions, printConditions, printTable } from './conditions.js';

type Mode = 'grpc' | 'tcp';
const ROUNDS_DEFAULT = 5_000;
/** Round trips before measuring: JIT, connection, HTTP/2 windows. */
const WARMUP_ROUNDS = 3_000;
const ENTRY_BYTES = 200;

type PeerMessage = { port: number } | { cpuMicros: number };

function envelope(toStore: number): atoll.store.IRaftEnvelope {
  return {
    regionId: 1,
    fromPeer: { id: 3 - toStore, storeId: 3 - toStore },
    toPeer: { id: toStore, storeId: toStore },
    epoch: { confVer: 1, version: 1 },
    message: {
      type: 3,
      to: toStore,
      from: 3 - toStore,
      term: 5,
      logTerm: 5,
      index: 10,
      commit: 9,
      entries: [{ term: 5, index: 11, type: 0, data: new Uint8Array(ENTRY_BYTES).fill(1) }],
    },
  };
}

/** A length-prefixed RaftBatch frame. */
function frame(toStore: number): Buffer {
  const body = atoll.store.RaftBatch.encode({
    clusterId: 1,
    fromStore: 3 - toStore,
    toStore,
    envelopes: [envelope(toStore)],
    sequence: 1,
  }).finish();
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** Calls `onBatch` for each whole frame in the byte stream. */
function frames(onBatch: (b: atoll.store.RaftBatch) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length > 0 ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const n = buf.readUInt32BE(0);
      if (buf.length < 4 + n) break;
      onBatch(atoll.store.RaftBatch.decode(buf.subarray(4, 4 + n)));
      buf = buf.subarray(4 + n);
    }
  };
}

const cpuMicros = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** The peer (child process): answers every batch with one batch. */
async function peer(mode: Mode): Promise<void> {
  const send = (m: PeerMessage) => process.send!(m);
  process.on('message', (m: string | { aPort: number }) => {
    if (m === 'cpu') send({ cpuMicros: cpuMicros() });
    else if (m === 'stop') process.exit(0);
    else if (typeof m === 'object') connectBack?.(m.aPort);
  });
  let connectBack: ((port: number) => void) | undefined;
  if (mode === 'tcp') {
    const server = net.createServer((sock) => {
      sock.setNoDelay(true);
      sock.on(
        'data',
        frames(() => sock.write(frame(1))),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    send({ port: (server.address() as net.AddressInfo).port });
    return;
  }
  let back: GrpcRaftTransport | undefined;
  const handlers = {
    onEnvelopes: () => {
      back?.send(1, [envelope(1)]);
      back?.flush();
    },
    onStoreHeartbeat: () => {},
    onSnapshot: async () => {},
  };
  const server = await startLoopbackGrpcServer((s) =>
    s.addService(
      storeTransportService,
      createStoreTransportService(handlers, { clusterId: 1, storeId: 2 }),
    ),
  );
  connectBack = (port) => {
    back = new GrpcRaftTransport({
      storeId: 2,
      clusterId: 1,
      resolve: async () => `127.0.0.1:${port}`,
      random: Math.random,
    });
  };
  send({ port: server.port });
}

function ask(child: ChildProcess, m: unknown): Promise<PeerMessage> {
  return new Promise((resolve) => {
    child.once('message', (r: PeerMessage) => resolve(r));
    child.send(m as string);
  });
}

/** One mode's row: rounds of ping-pong with the peer. */
async function runMode(mode: Mode, rounds: number): Promise<Record<string, string | number>> {
  const child = fork(fileURLToPath(import.meta.url), ['--peer', mode], { stdio: 'inherit' });
  try {
    const { port } = (await new Promise((r) => child.once('message', r))) as { port: number };
    let answered: () => void = () => {};
    let round: () => Promise<void>;
    let close: () => Promise<void>;
    if (mode === 'tcp') {
      const sock = net.connect(port, '127.0.0.1');
      sock.setNoDelay(true);
      await new Promise((r) => sock.once('connect', r));
      sock.on(
        'data',
        frames(() => answered()),
      );
      round = () =>
        new Promise((r) => {
          answered = r;
          sock.write(frame(2));
        });
      close = async () => void sock.destroy();
    } else {
      const server = await startLoopbackGrpcServer((s) =>
        s.addService(
          storeTransportService,
          createStoreTransportService(
            {
              onEnvelopes: () => answered(),
              onStoreHeartbeat: () => {},
              onSnapshot: async () => {},
            },
            { clusterId: 1, storeId: 1 },
          ),
        ),
      );
      child.send({ aPort: server.port });
      const t = new GrpcRaftTransport({
        storeId: 1,
        clusterId: 1,
        resolve: async () => `127.0.0.1:${port}`,
        random: Math.random,
      });
      round = () =>
        new Promise((r) => {
          answered = r;
          t.send(2, [envelope(2)]);
          t.flush();
        });
      close = async () => {
        t.close();
        await server.stop(0);
      };
    }
    for (let i = 0; i < WARMUP_ROUNDS; i++) await round();
    const peer0 = (await ask(child, 'cpu')) as { cpuMicros: number };
    const mine0 = cpuMicros();
    const latencies: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      const s = performance.now();
      await round();
      latencies.push(performance.now() - s);
    }
    const elapsed = performance.now() - t0;
    const mine = cpuMicros() - mine0;
    const peer1 = (await ask(child, 'cpu')) as { cpuMicros: number };
    await close();
    latencies.sort((a, b) => a - b);
    return {
      link: mode === 'grpc' ? 'gRPC (store transport)' : 'plain TCP, framed protobuf',
      'round trips/s': Math.round(rounds / (elapsed / 1000)),
      'p50 us': Math.round(latencies[Math.floor(rounds / 2)]! * 1000),
      'p99 us': Math.round(latencies[Math.floor(rounds * 0.99)]! * 1000),
      'sender CPU us per round trip': Math.round(mine / rounds),
      'peer CPU us per round trip': Math.round((peer1.cpuMicros - peer0.cpuMicros) / rounds),
    };
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    }
  }
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--peer');
  if (at >= 0) {
    await peer(process.argv[at + 1] as Mode);
    return;
  }
  const r = process.argv.indexOf('--rounds');
  const rounds = r >= 0 ? Number(process.argv[r + 1]) : ROUNDS_DEFAULT;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a positive integer');
  printConditions('Raft link: one message each way, gRPC store transport vs plain TCP', {
    ...machineConditions(),
    loadAverage1m: loadavg()[0]!.toFixed(2),
    processes: 'this one and a child peer, loopback 127.0.0.1, no TLS',
    message: `one RaftBatch of one append carrying one ${ENTRY_BYTES}-byte entry, each way`,
    rounds: `${WARMUP_ROUNDS} warm-up, then ${rounds} measured, one at a time`,
    cpu: 'process.cpuUsage (user + system, all threads) over the measured rounds',
  });
  const rows = [];
  for (const mode of ['grpc', 'tcp'] as const) rows.push(await runMode(mode, rounds));
  printTable(rows);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
