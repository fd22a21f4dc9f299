/**
 * An Atoll cluster the harness starts itself: store processes (`atoll store`) on loopback
 * with regions placed by hand (static-cluster-launcher.ts), pre-split so that every region
 * holds an equal share of the benchmark's key space. Not a PD-based cluster: that one will be
 * another ClusterTarget.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFlagsFor } from '@atoll/store';
import { nodeArgsFromEnv } from '@atoll/store/testing';
import type {
  AtollStaticConnection,
  ClusterTarget,
  ConditionValue,
  WrittenProfile,
} from './cluster-target.js';
import { fileSystemOf } from './conditions.js';
import { BenchError, BenchErrorCode } from './errors.js';
import type { KeyFormat } from './key-space.js';
import { type LaunchedCluster, launchStaticCluster, until } from './static-cluster-launcher.js';
import { parsePrometheus } from './store-metrics.js';

/** How long every region may take to elect a leader after the stores say they are ready. */
const LEADERS_TIMEOUT_MS = 120_000;
/** Log lines of a store that ended on its own quoted in the report: enough for its last error. */
const FAILURE_LOG_LINES = 5;

/** What the harness starts: stores, regions, the key layout they are split by, profiling. */
export interface AtollStaticTargetOptions {
  readonly stores: number;
  readonly regions: number;
  readonly keys: KeyFormat;
  /** Folder for CPU profiles (node --cpu-prof in each store), or undefined for none. */
  readonly profileDir?: string;
  readonly version: string;
  /** Stores log batches ahead of LMDB (atoll store's default); false: --no-wal. */
  readonly wal?: boolean;
  /** A folder under which each store's log goes (--wal-dir); default: the data folders. */
  readonly walRoot?: string;
  /** The stores' --raft-link; undefined: their default. */
  readonly raftLink?: 'socket' | 'grpc';
  /** How the load generator's clients reach the stores; default socket. */
  readonly clientLink?: 'socket' | 'grpc';
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A static Atoll cluster the harness starts and stops (one per region count, or per row with profiles). */
export class AtollStaticTarget implements ClusterTarget {
  readonly system = 'atoll';
  readonly name: string;
  private cluster: LaunchedCluster | undefined;
  private dataFs = 'unknown';
  private readonly exits = new Map<number, number>();

  constructor(private readonly opts: AtollStaticTargetOptions) {
    this.name = `atoll ${opts.stores} stores, ${opts.regions} region${opts.regions === 1 ? '' : 's'}`;
  }

  async start(): Promise<void> {
    const { stores, regions, keys, profileDir } = this.opts;
    const regionStarts = Array.from({ length: regions }, (_, i) => keys.regionStart(i, regions));
    try {
      this.cluster = await launchStaticCluster({
        stores,
        regions,
        regionStarts,
        storeArgs: [
          ...(this.opts.wal === false ? ['--no-wal'] : []),
          ...(this.opts.raftLink ? ['--raft-link', this.opts.raftLink] : []),
        ],
        ...(this.opts.walRoot ? { walRoot: this.opts.walRoot } : {}),
        ...(profileDir
          ? {
              nodeArgs: [
                '--cpu-prof',
                '--cpu-prof-dir',
                profileDir,
                '--cpu-prof-name',
                'store-{id}.cpuprofile',
              ],
            }
          : {}),
      });
    } catch (e) {
      throw new BenchError(BenchErrorCode.ClusterStart, `atoll stores did not start: ${e}`, {
        cause: e,
      });
    }
    const cluster = this.cluster;
    this.dataFs = fileSystemOf(cluster.dir);
    try {
      await until(
        async () => {
          let leaders = 0;
          for (const s of cluster.stores) leaders += (await cluster.status(s.id)).leaderCount;
          return leaders === regions;
        },
        LEADERS_TIMEOUT_MS,
        'a leader for every region',
      );
    } catch (e) {
      await this.stop();
      throw new BenchError(BenchErrorCode.ClusterStart, String(e), { cause: e });
    }
  }

  connection(): AtollStaticConnection {
    const c = this.mustBeStarted();
    return {
      system: 'atoll',
      ...(this.opts.clientLink ? { clientLink: this.opts.clientLink } : {}),
      stores: c.stores.map((s) => ({ id: s.id, address: `127.0.0.1:${s.grpcPort}` })),
      regions: c.regions.map((r) => ({
        id: r.id,
        startKey: hex(r.startKey),
        endKey: hex(r.endKey),
        epoch: r.epoch,
        peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId })),
      })),
    };
  }

  processes() {
    return this.mustBeStarted().stores.map((s) => ({ name: `store-${s.id}`, pid: s.process.pid! }));
  }

  /** Each store's /metrics, parsed; a store that does not answer is left out. */
  async sampleMetrics(): Promise<ReadonlyMap<string, ReadonlyMap<string, number>>> {
    const c = this.mustBeStarted();
    const out = new Map<string, ReadonlyMap<string, number>>();
    await Promise.all(
      c.stores.map(async (s) => {
        try {
          const r = await fetch(`http://127.0.0.1:${s.statusPort}/metrics`);
          out.set(`store-${s.id}`, parsePrometheus(await r.text()));
        } catch {
          // a store that cannot answer has no stats for this row
        }
      }),
    );
    return out;
  }

  failures(): readonly string[] {
    const out: string[] = [];
    for (const s of this.cluster?.stores ?? []) {
      const how = s.process.exit;
      if (how === undefined) continue;
      const last = s.process.lines.slice(-FAILURE_LOG_LINES).join(' | ');
      out.push(`store-${s.id} of ${this.name} ended on its own (${how}); last log lines: ${last}`);
    }
    return out;
  }

  conditions(): Record<string, ConditionValue> {
    const { stores } = this.opts;
    return {
      'atoll cluster':
        `${stores} store processes on this machine (atoll store), all over loopback; ` +
        `Raft between stores over ${this.opts.raftLink === 'grpc' ? 'gRPC streams' : 'framed TCP sockets'}; ` +
        `clients to stores over ${this.opts.clientLink === 'grpc' ? 'gRPC streams' : 'framed TCP sockets'}`,
      'atoll replicas': `${stores} per region (a peer on every store)`,
      'atoll regions':
        'as in each row: the key space pre-split into equal ranges, placed by hand (no PD), ' +
        'a leader elected for each before the first row',
      'atoll durability':
        this.opts.wal !== false
          ? 'a write is acknowledged once its Raft entry is fsynced on a majority, in each ' +
            "store's write-ahead log (one write + fdatasync per store-loop batch); LMDB commits " +
            'behind it, batches held up to 1 s and committed together (the default)'
          : 'a write is acknowledged once its Raft entry is fsynced on a majority (LMDB, ' +
            'overlappingSync, one fsync per store-loop batch: group commit; --no-wal)',
      'atoll store node flags': [...nodeFlagsFor(['store']), ...nodeArgsFromEnv()].join(' '),
      'atoll data folder': this.dataFs,
      ...(this.opts.walRoot && this.opts.wal !== false
        ? {
            'atoll write-ahead logs': `under ${this.opts.walRoot} (${fileSystemOf(this.opts.walRoot)})`,
          }
        : {}),
      'atoll version': this.opts.version,
    };
  }

  async stop(): Promise<void> {
    const c = this.cluster;
    this.cluster = undefined;
    if (!c) return;
    await c.stop();
    for (const s of c.stores) if (s.exitedAtMs) this.exits.set(s.id, s.exitedAtMs);
  }

  profiles(): readonly WrittenProfile[] {
    const dir = this.opts.profileDir;
    if (!dir || !existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({
        path: join(dir, f),
        exitedAtMs: this.exits.get(Number(/store-(\d+)/.exec(f)?.[1])),
      }));
  }

  private mustBeStarted(): LaunchedCluster {
    if (!this.cluster) throw new Error('the Atoll cluster is not started');
    return this.cluster;
  }
}
