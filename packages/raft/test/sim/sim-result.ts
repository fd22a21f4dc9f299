/**
 * What a simulator run takes and gives back: options, counters of what the run exercised,
 * the result with the failure and the events that led to it, and the command that replays it.
 */

import { FAULT_PHASE_STEPS } from './sim-config.js';

/** One run: a seed and a group size, and limits tests may shrink. */
export interface SimOptions {
  readonly seed: number;
  /** Initial group size (3 and 5 in CI). */
  readonly peers: number;
  readonly faultSteps?: number;
  readonly healTicksMax?: number;
  /** Receives every event as it happens (the CLI's --verbose). */
  readonly onEvent?: (line: string) => void;
  /**
   * Keep the newest events for the result. Off by default: building the event lines costs
   * a fifth of a run, so runSimulation replays a failed seed with it on instead.
   */
  readonly record?: boolean;
}

/** What a run exercised, summed over runs by the CLI and the CI coverage floors. */
export interface SimStats {
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  maxTerm: number;
  /** Terms in which some peer became leader. */
  leadersElected: number;
  crashes: number;
  partitions: number;
  writesProposed: number;
  writesAcknowledged: number;
  readsServed: number;
  confChangesApplied: number;
  snapshotsInstalled: number;
  finalPeers: number;
  /** Entries in the global committed log at the end. */
  committedEntries: number;
}

/** How a run ended. A failed run names its phase and step; `events` end at the failure. */
export interface SimResult {
  readonly seed: number;
  readonly peers: number;
  readonly faultSteps: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly phase: 'fault' | 'heal';
  readonly step: number;
  /** Ticks the heal phase needed (on success). */
  readonly healTicks?: number;
  /** The newest events before the end of the run. */
  readonly events: string[];
  readonly stats: SimStats;
}

/** Counters at zero. */
export function emptyStats(): SimStats {
  return {
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    maxTerm: 0,
    leadersElected: 0,
    crashes: 0,
    partitions: 0,
    writesProposed: 0,
    writesAcknowledged: 0,
    readsServed: 0,
    confChangesApplied: 0,
    snapshotsInstalled: 0,
    finalPeers: 0,
    committedEntries: 0,
  };
}

/** The command that replays one run with its whole event log. */
export function replayCommand(r: Pick<SimResult, 'seed' | 'peers' | 'faultSteps'>): string {
  const steps = r.faultSteps === FAULT_PHASE_STEPS ? '' : ` --steps ${r.faultSteps}`;
  return `pnpm sim --seed ${r.seed} --peers ${r.peers}${steps} --verbose`;
}
