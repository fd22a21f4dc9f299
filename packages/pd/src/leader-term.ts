/**
 * Everything a PD leader holds in memory for one term of leadership, loaded from
 * MetaStorage when the term starts and dropped when it ends: cluster metadata, the id
 * allocator, the timestamp oracle, the GC safe point, the operators and the schedulers.
 * Nothing survives from one term to the next except what storage holds.
 */

import type { Clock } from './clock.js';
import type { ClusterMeta } from './cluster/cluster-meta.js';
import { loadClusterMeta } from './cluster/cluster-meta-loader.js';
import type { PdConfig } from './config.js';
import { GcSafePoint } from './gc-safe-point.js';
import { IdAllocator } from './id/id-allocator.js';
import { IdPool } from './id/id-pool.js';
import type { PdLogger } from './logger.js';
import { OperatorController } from './operator/operator-controller.js';
import { Coordinator } from './schedule/coordinator.js';
import type { MetaStorage } from './storage/meta-storage.js';
import type { MetaWriter } from './storage/meta-writer.js';
import { TimestampOracle } from './tso/tso.js';

/** One term's state. */
export interface LeaderTerm {
  readonly startedAtMs: number;
  readonly writer: MetaWriter;
  readonly meta: ClusterMeta;
  readonly ids: IdAllocator;
  readonly idPool: IdPool;
  readonly tso: TimestampOracle;
  readonly gcSafePoint: GcSafePoint;
  readonly operators: OperatorController;
  readonly coordinator: Coordinator;
}

/** What loading a term needs. */
export interface TermEnv {
  readonly clusterId: number;
  readonly storage: MetaStorage;
  readonly clock: Clock;
  readonly config: PdConfig;
  readonly logger: PdLogger;
}

/** Loads a term's state through `writer` (which the caller owns and closes at term end). */
export async function loadLeaderTerm(env: TermEnv, writer: MetaWriter): Promise<LeaderTerm> {
  const startedAtMs = env.clock.now();
  const meta = await loadClusterMeta(env.storage, writer, env.clock, env.config, env.clusterId);
  const ids = await IdAllocator.load(env.storage, writer);
  const tso = await TimestampOracle.start(env.storage, writer, env.clock);
  const gcSafePoint = await GcSafePoint.load(env.storage, writer);
  const idPool = new IdPool(ids);
  const operators = new OperatorController(env.config, env.logger);
  const coordinator = new Coordinator(meta, operators, idPool, env.config, startedAtMs);
  return { startedAtMs, writer, meta, ids, idPool, tso, gcSafePoint, operators, coordinator };
}
