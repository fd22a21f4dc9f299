/**
 * A PD member's Prometheus metrics, in a registry of its own (tests run several members in
 * one process). Gauges are read from the core when scraped; counters count requests.
 */

import { Counter, Gauge, Registry } from 'prom-client';

/** What the gauges read when scraped. */
export interface PdGaugeSource {
  isServing(): boolean;
  storeCount(): number;
  regionCount(): number;
  runningOperators(): number;
}

/** The metrics of one PD member. */
export class PdMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method'>;
  readonly tsoRequests: Counter;
  readonly tsoTimestamps: Counter;
  readonly regionHeartbeats: Counter;
  readonly commandsPushed: Counter;

  constructor(memberId: number, source: PdGaugeSource) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ member: String(memberId) });
    this.requests = new Counter({
      name: 'atoll_pd_requests_total',
      help: 'PD requests received, by method (TSO and heartbeats count per message)',
      labelNames: ['method'],
      registers,
    });
    this.tsoRequests = new Counter({
      name: 'atoll_pd_tso_requests_total',
      help: 'TSO requests answered with timestamps (one per client batch)',
      registers,
    });
    this.tsoTimestamps = new Counter({
      name: 'atoll_pd_tso_timestamps_total',
      help: 'Timestamps handed out',
      registers,
    });
    this.regionHeartbeats = new Counter({
      name: 'atoll_pd_region_heartbeats_total',
      help: 'Region heartbeats received',
      registers,
    });
    this.commandsPushed = new Counter({
      name: 'atoll_pd_schedule_commands_total',
      help: 'Scheduling commands sent to stores (answers to heartbeats and pushes)',
      registers,
    });
    new Gauge({
      name: 'atoll_pd_is_leader',
      help: '1 while this member serves as PD leader',
      registers,
      collect() {
        this.set(source.isServing() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'atoll_pd_stores',
      help: 'Stores registered (leader only; 0 elsewhere)',
      registers,
      collect() {
        this.set(source.storeCount());
      },
    });
    new Gauge({
      name: 'atoll_pd_regions',
      help: 'Regions known (leader only; 0 elsewhere)',
      registers,
      collect() {
        this.set(source.regionCount());
      },
    });
    new Gauge({
      name: 'atoll_pd_operators_running',
      help: 'Scheduling operators running (leader only; 0 elsewhere)',
      registers,
      collect() {
        this.set(source.runningOperators());
      },
    });
  }
}
