/**
 * What the harness needs from a cluster, whatever started it: start it, say how workers
 * connect (plain data that crosses to worker threads), which processes to measure the CPU of,
 * the conditions it runs under, and stop it. Workloads never see more than this, so a
 * PD-based cluster (`atoll dev`) or a remote one plugs in without touching them.
 */

/** How a worker reaches an Atoll cluster placed by hand: every store and region. */
export interface AtollStaticConnection {
  readonly system: 'atoll';
  /** How clients reach the stores: framed sockets on their port (default) or gRPC streams. */
  readonly clientLink?: 'socket' | 'grpc';
  readonly stores: readonly { readonly id: number; readonly address: string }[];
  readonly regions: readonly {
    readonly id: number;
    /** Hex; empty = unbounded. */
    readonly startKey: string;
    readonly endKey: string;
    readonly epoch: { readonly confVer: number; readonly version: number };
    readonly peers: readonly { readonly id: number; readonly storeId: number }[];
  }[];
}

/** How a worker reaches etcd: its client URLs. */
export interface EtcdConnection {
  readonly system: 'etcd';
  readonly endpoints: readonly string[];
}

/** How a worker connects, per system. */
export type Connection = AtollStaticConnection | EtcdConnection;

/** A process whose CPU the report shows. */
export interface MeasuredProcess {
  readonly name: string;
  readonly pid: number;
}

/** A CPU profile a process wrote when it exited. */
export interface WrittenProfile {
  readonly path: string;
  /** Epoch ms at which the process was seen to exit: where the profile ends. */
  readonly exitedAtMs: number | undefined;
}

/** A condition's value as printed. */
export type ConditionValue = string | number | boolean;

/** A cluster the harness benches: the only thing workloads know of it. */
export interface ClusterTarget {
  /** 'atoll' or 'etcd': which rows it produces. */
  readonly system: Connection['system'];
  /** Short name for rows and logs, e.g. "atoll 3 stores, 16 regions". */
  readonly name: string;
  /** Starts the cluster (or checks that a running one answers) and waits until it serves. */
  start(): Promise<void>;
  /** What workers need to connect; valid after start(). */
  connection(): Connection;
  /** Processes to measure (empty for a cluster the harness did not start). */
  processes(): readonly MeasuredProcess[];
  /** Shape, replicas, regions, durability and version, for the report. */
  conditions(): Record<string, ConditionValue>;
  /** Stops what start() started and removes its files (nothing for a remote cluster). */
  stop(): Promise<void>;
  /**
   * Metrics of each process by process name (Atoll stores: their /metrics), read at the
   * edges of a row's measured window; absent where there are none to read.
   */
  sampleMetrics?(): Promise<ReadonlyMap<string, ReadonlyMap<string, number>>>;
  /**
   * Processes that ended on their own since start(), each as one line for the report (how it
   * ended and its last log lines); empty while all run. The rows after it measured less.
   */
  failures?(): readonly string[];
  /** CPU profiles written by the stop (with --profile). */
  profiles(): readonly WrittenProfile[];
}
