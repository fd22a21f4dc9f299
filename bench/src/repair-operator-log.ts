/**
 * The replica-repair operators a PD process logged, read from its log lines: when the first
 * was created (the moment PD acted on a dead store), how many ran at once at most, and how
 * they ended. The PD logs "created operator <id> (<scheduler>) region <r>: <reason> [...]
 * running" and "ended operator <id> ... <status>" at info level; nothing else is assumed.
 * Not a general log reader.
 */

import type { AtollProcess } from '@atoll/store/testing';

const OPERATOR_LINE = /^(created|ended) operator (\d+) \(replica-repair\) region (\d+): .* (\w+)$/;

/** One repair operator as logged: epoch milliseconds of its creation and end. */
interface LoggedOperator {
  regionId: number;
  createdAtMs?: number;
  endedAtMs?: number;
  status?: string;
}

/** Summary of the repair operators logged since a moment. */
export interface RepairOperatorSummary {
  readonly created: number;
  /** Ended operators by status: success, cancelled, timeout, replaced. */
  readonly ended: Readonly<Record<string, number>>;
  /** Epoch ms of the first creation, undefined if none yet. */
  readonly firstCreatedAtMs: number | undefined;
  /** Most operators running at the same time. */
  readonly peakRunning: number;
}

/**
 * Collects repair operators from a process's retained log lines. Call poll() often: the
 * process keeps only its last 2,000 lines, and each poll reads them all again (deduplicated
 * by operator id), so nothing is missed as long as fewer lines than that arrive in between.
 */
export class RepairOperatorLog {
  private readonly ops = new Map<number, LoggedOperator>();

  constructor(
    private readonly pd: AtollProcess,
    /** Lines logged before this epoch ms (earlier operators) are ignored. */
    private readonly sinceMs: number,
  ) {}

  /** Reads the lines the process holds now. */
  poll(): void {
    for (const line of this.pd.lines) {
      if (!line.includes('(replica-repair)')) continue;
      let rec: { time?: string; msg?: string };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        continue;
      }
      const m = OPERATOR_LINE.exec(rec.msg ?? '');
      const t = Date.parse(rec.time ?? '');
      if (!m || !(t >= this.sinceMs)) continue;
      const id = Number(m[2]);
      const op = this.ops.get(id) ?? { regionId: Number(m[3]) };
      if (m[1] === 'created') op.createdAtMs = t;
      else {
        op.endedAtMs = t;
        op.status = m[4];
      }
      this.ops.set(id, op);
    }
  }

  /** What was collected so far. */
  summary(): RepairOperatorSummary {
    const ended: Record<string, number> = {};
    const events: [number, number][] = [];
    let first: number | undefined;
    for (const op of this.ops.values()) {
      if (op.createdAtMs !== undefined) {
        events.push([op.createdAtMs, 1]);
        first = first === undefined ? op.createdAtMs : Math.min(first, op.createdAtMs);
      }
      if (op.endedAtMs !== undefined && op.status) {
        ended[op.status] = (ended[op.status] ?? 0) + 1;
        if (op.createdAtMs !== undefined) events.push([op.endedAtMs, -1]);
      }
    }
    // Ends before starts at the same millisecond: an operator that ended makes room.
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let running = 0;
    let peak = 0;
    for (const [, d] of events) {
      running += d;
      peak = Math.max(peak, running);
    }
    const created = [...this.ops.values()].filter((o) => o.createdAtMs !== undefined).length;
    return { created, ended, firstCreatedAtMs: first, peakRunning: peak };
  }

  /** Regions with a repair operator created but not ended, for a stall report. */
  runningRegions(): number[] {
    return [...this.ops.values()]
      .filter((o) => o.createdAtMs !== undefined && o.endedAtMs === undefined)
      .map((o) => o.regionId);
  }
}
