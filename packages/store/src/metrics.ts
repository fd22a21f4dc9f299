/**
 * The store's Prometheus metrics, in a registry of its own (several stores may share a
 * process in tests). Timings come from the injected clock.
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds: 100 µs to 10 s. */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];
/** Count buckets for batch sizes. */
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];

export class StoreMetrics {
  readonly registry = new Registry();
  readonly proposals: Counter;
  readonly writeLatency: Histogram;
  readonly readLatency: Histogram;
  readonly fsyncSeconds: Histogram;
  readonly batchRegions: Histogram;
  readonly batchEntries: Histogram;
  readonly batchApplied: Histogram;
  readonly messagesPerIteration: Histogram;
  readonly regions: Gauge;
  readonly leaders: Gauge;
  readonly quiescentRegions: Gauge;

  constructor(labels: { store: string }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    this.proposals = new Counter({
      name: 'atoll_store_proposals_total',
      help: 'Client writes proposed to Raft',
      registers,
    });
    this.writeLatency = new Histogram({
      name: 'atoll_store_write_seconds',
      help: 'Write latency from proposal to applied and durable',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.readLatency = new Histogram({
      name: 'atoll_store_read_seconds',
      help: 'Linearizable read latency (ReadIndex wait included)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.fsyncSeconds = new Histogram({
      name: 'atoll_store_batch_commit_seconds',
      help: 'Time to commit one loop batch (one transaction, one fsync)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchRegions = new Histogram({
      name: 'atoll_store_batch_regions',
      help: 'Regions whose Ready went into one batch',
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.batchEntries = new Histogram({
      name: 'atoll_store_batch_log_entries',
      help: 'Log entries appended in one batch',
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.batchApplied = new Histogram({
      name: 'atoll_store_batch_applied_entries',
      help: 'Committed entries applied in one batch',
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.messagesPerIteration = new Histogram({
      name: 'atoll_store_messages_per_iteration',
      help: 'Raft messages sent by one loop iteration (all stores)',
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.regions = new Gauge({
      name: 'atoll_store_regions',
      help: 'Region peers on this store',
      registers,
    });
    this.leaders = new Gauge({
      name: 'atoll_store_leaders',
      help: 'Regions this store leads',
      registers,
    });
    this.quiescentRegions = new Gauge({
      name: 'atoll_store_quiescent_regions',
      help: 'Region peers hibernating (not ticking)',
      registers,
    });
  }
}
