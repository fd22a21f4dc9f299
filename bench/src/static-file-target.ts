/**
 * A running Atoll cluster the harness did not start, described by the static cluster file its
 * stores were started with (`atoll store --cluster FILE`). The harness measures no process
 * CPU there and stops nothing. Benching a cluster from store or PD addresses alone needs the
 * placement driver's region lookup; that comes with the PD-based cluster.
 */

import { readFileSync } from 'node:fs';
import { parseStaticCluster, type StaticCluster } from '@atoll/store';
import type {
  AtollStaticConnection,
  ClusterTarget,
  ConditionValue,
  WrittenProfile,
} from './cluster-target.js';
import { BenchError, BenchErrorCode } from './errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A running cluster read from its static cluster file; nothing started or stopped. */
export class StaticFileTarget implements ClusterTarget {
  readonly system = 'atoll';
  readonly name: string;
  private cluster: StaticCluster | undefined;

  constructor(
    private readonly path: string,
    private readonly version: string,
  ) {
    this.name = `atoll cluster of ${path}`;
  }

  async start(): Promise<void> {
    try {
      this.cluster = parseStaticCluster(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch (e) {
      throw new BenchError(BenchErrorCode.ClusterStart, `cannot read ${this.path}: ${e}`, {
        cause: e,
      });
    }
  }

  connection(): AtollStaticConnection {
    const c = this.cluster;
    if (!c) throw new Error('not started');
    return {
      system: 'atoll',
      stores: c.stores.map((s) => ({ id: s.id, address: s.address })),
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
    return [];
  }

  conditions(): Record<string, ConditionValue> {
    const c = this.cluster;
    return {
      'atoll cluster': `running cluster of ${this.path} (not started by the harness; its CPU is not measured)`,
      'atoll stores': c?.stores.map((s) => s.address).join(', ') ?? '?',
      'atoll regions': c ? `${c.regions.length}, as the file places them` : '?',
      'atoll replicas': c ? String(Math.max(...c.regions.map((r) => r.peers.length))) : '?',
      'atoll durability': 'as the stores were started (default: fsync per batch)',
      'atoll version': this.version,
    };
  }

  async stop(): Promise<void> {}

  profiles(): readonly WrittenProfile[] {
    return [];
  }
}
