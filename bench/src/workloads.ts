/**
 * The workloads: what one operation of a virtual client does. Every workload is the same on
 * every system (Atoll, etcd): the same keys, values, mix and batch size; only the driver that
 * turns an operation into a request differs.
 */

import type { KeyDistribution } from './key-space.js';

/** Every workload name, in the order help lists them. */
export const WORKLOAD_NAMES = ['put', 'batch-put', 'ycsb-a', 'ycsb-b', 'ycsb-c', 'txn'] as const;
/** A workload's name. */
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** What one operation of a workload does. */
export interface Workload {
  readonly name: WorkloadName;
  /** One line for the report. */
  readonly description: string;
  /** Fraction of operations that read one key (the rest write). */
  readonly readFraction: number;
  /** Whether a write is a batch of `batchSize` keys (else one key). */
  readonly batched: boolean;
  /** The distribution used unless one is given. */
  readonly defaultDistribution: KeyDistribution;
  /** Whether the key space must hold data before the run (reads would only miss). */
  readonly needsLoad: boolean;
}

/** The workloads by name. */
export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  put: {
    name: 'put',
    description: 'single-key puts, one put call per write',
    readFraction: 0,
    batched: false,
    defaultDistribution: 'uniform',
    needsLoad: false,
  },
  'batch-put': {
    name: 'batch-put',
    description: 'batched puts: one call writes batch-size keys',
    readFraction: 0,
    batched: true,
    defaultDistribution: 'uniform',
    needsLoad: false,
  },
  'ycsb-a': {
    name: 'ycsb-a',
    description: 'YCSB A style: 50% reads, 50% single-key updates',
    readFraction: 0.5,
    batched: false,
    defaultDistribution: 'zipfian',
    needsLoad: true,
  },
  'ycsb-b': {
    name: 'ycsb-b',
    description: 'YCSB B style: 95% reads, 5% single-key updates',
    readFraction: 0.95,
    batched: false,
    defaultDistribution: 'zipfian',
    needsLoad: true,
  },
  'ycsb-c': {
    name: 'ycsb-c',
    description: 'YCSB C style: 100% reads',
    readFraction: 1,
    batched: false,
    defaultDistribution: 'zipfian',
    needsLoad: true,
  },
  txn: {
    name: 'txn',
    description: 'cross-region transactions (needs packages/txn)',
    readFraction: 0,
    batched: true,
    defaultDistribution: 'uniform',
    needsLoad: false,
  },
};

/** Workloads this build can run (transactions come with packages/txn). */
export function isSupported(name: WorkloadName): boolean {
  return name !== 'txn';
}
