/**
 * A 3-member etcd cluster on loopback, started from the `etcd` binary (Debian's etcd-server
 * package, for instance) in a temp folder, so the same rows can be measured against etcd in
 * the same run. Durability is etcd's default (WAL fsync on every Raft batch). When no binary is
 * found, findEtcd() says so and the harness skips the etcd rows.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '@atoll/store/testing';
import { Etcd3 } from 'etcd3';
import type {
  ClusterTarget,
  ConditionValue,
  EtcdConnection,
  WrittenProfile,
} from './cluster-target.js';
import { commandVersion, fileSystemOf } from './conditions.js';
import { BenchError, BenchErrorCode } from './errors.js';

/** Members: etcd's recommended smallest fault-tolerant cluster, like Atoll's 3 replicas. */
export const ETCD_MEMBERS = 3;
/** How long a fresh cluster may take to elect a leader and accept a write. */
const READY_TIMEOUT_MS = 60_000;
/** How long a member may take to exit on SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** Raised from the default 2 GiB so long runs never hit etcd's NOSPACE alarm mid-row. */
const QUOTA_BACKEND_BYTES = 8 * 2 ** 30;
/** etcd's own default limit of operations in one transaction. */
const MAX_TXN_OPS_DEFAULT = 128;
/** stderr lines kept per member, for the message when it fails. */
const LOG_LINES_KEPT = 50;

/** The etcd binary: the given path, else `etcd` on PATH; undefined when there is none. */
export function findEtcd(given?: string): string | undefined {
  const candidates = given
    ? [given]
    : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'etcd'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  child?: ChildProcess;
  readonly log: string[];
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** A 3-member etcd cluster the harness starts from a binary and stops. */
export class EtcdTarget implements ClusterTarget {
  readonly system = 'etcd';
  readonly name = `etcd ${ETCD_MEMBERS} members`;
  private dir: string | undefined;
  private members: Member[] = [];
  private readonly version: string;
  private readonly maxTxnOps: number;

  constructor(
    private readonly bin: string,
    batchSize: number,
  ) {
    this.version = commandVersion(bin) ?? 'unknown';
    this.maxTxnOps = Math.max(MAX_TXN_OPS_DEFAULT, batchSize);
  }

  async start(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-etcd-'));
    this.dir = dir;
    for (let i = 1; i <= ETCD_MEMBERS; i++)
      this.members.push({
        name: `etcd-${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        log: [],
      });
    const initialCluster = this.members
      .map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`)
      .join(',');
    for (const m of this.members) this.spawnMember(m, dir, initialCluster);
    try {
      await this.waitReady();
    } catch (e) {
      const logs = this.members.map((m) => `${m.name}:\n${m.log.slice(-10).join('\n')}`);
      await this.stop();
      throw new BenchError(
        BenchErrorCode.ClusterStart,
        `etcd did not become ready: ${e}\n${logs.join('\n')}`,
        { cause: e },
      );
    }
  }

  private spawnMember(m: Member, dir: string, initialCluster: string): void {
    const url = (port: number) => `http://127.0.0.1:${port}`;
    const child = spawn(
      this.bin,
      [
        ['--name', m.name],
        ['--data-dir', join(dir, m.name)],
        ['--listen-client-urls', url(m.clientPort)],
        ['--advertise-client-urls', url(m.clientPort)],
        ['--listen-peer-urls', url(m.peerPort)],
        ['--initial-advertise-peer-urls', url(m.peerPort)],
        ['--initial-cluster', initialCluster],
        ['--initial-cluster-token', 'atoll-bench'],
        ['--initial-cluster-state', 'new'],
        ['--max-txn-ops', String(this.maxTxnOps)],
        ['--quota-backend-bytes', String(QUOTA_BACKEND_BYTES)],
        ['--logger', 'zap'],
        ['--log-outputs', 'stderr'],
        ['--log-level', 'warn'],
      ].flat(),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    m.child = child;
    live.add(child);
    child.on('exit', () => live.delete(child));
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) m.log.push(line);
      if (m.log.length > LOG_LINES_KEPT) m.log.splice(0, m.log.length - LOG_LINES_KEPT);
    });
  }

  /** Ready = a write through the client commits (a leader exists and a quorum is up). */
  private async waitReady(): Promise<void> {
    const client = new Etcd3({ hosts: [...this.connection().endpoints] });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    try {
      for (;;) {
        const exited = this.members.find((m) => m.child?.exitCode !== null);
        if (exited) throw new Error(`${exited.name} exited with ${exited.child?.exitCode}`);
        try {
          await client
            .put('atoll-bench-ready')
            .value('1')
            .options({ deadline: Date.now() + 2_000 });
          return;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      client.close();
    }
  }

  connection(): EtcdConnection {
    return {
      system: 'etcd',
      endpoints: this.members.map((m) => `http://127.0.0.1:${m.clientPort}`),
    };
  }

  processes() {
    return this.members
      .filter((m) => m.child?.pid !== undefined)
      .map((m) => ({ name: m.name, pid: m.child!.pid! }));
  }

  conditions(): Record<string, ConditionValue> {
    return {
      'etcd cluster': `${ETCD_MEMBERS} members on this machine, loopback, started by the harness`,
      'etcd replicas': `${ETCD_MEMBERS} (every member holds everything)`,
      'etcd durability':
        'defaults: WAL fsync before a Raft batch is acknowledged (--unsafe-no-fsync off), ' +
        'bbolt backend commit every 100 ms',
      'etcd flags': `--max-txn-ops ${this.maxTxnOps} --quota-backend-bytes ${QUOTA_BACKEND_BYTES} (otherwise defaults)`,
      'etcd data folder': this.dir ? fileSystemOf(this.dir) : 'unknown',
      'etcd version': this.version,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => stopChild(m.child)));
    this.members = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  profiles(): readonly WrittenProfile[] {
    return [];
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
