/**
 * An operator: a sequence of steps the PD drives one region through (move a replica, repair
 * one, split, transfer leadership), with its origin, priority, deadline and outcome. The
 * controller advances it as heartbeats show each step done.
 */

import type { Epoch } from '../meta/types.js';
import type { SchedulerName } from '../schedule/scheduler-names.js';
import { describeStep, isPeerStep, type OperatorStep } from './step.js';

/** How an operator ended, or `running`. */
export type OperatorStatus = 'running' | 'success' | 'cancelled' | 'timeout' | 'replaced';

/** What creating an operator needs. */
export interface OperatorSpec {
  readonly regionId: number;
  /** The region's epoch when the operator was made; a split invalidates the operator. */
  readonly epoch: Epoch;
  readonly scheduler: SchedulerName;
  readonly priority: number;
  readonly steps: readonly OperatorStep[];
  /** Why, for logs ("replace dead peer 7 on store 3"). */
  readonly reason: string;
}

/** A running or finished operator. */
export class Operator {
  /** Index of the step in progress. Invariant: only increases; == steps.length when done. */
  stepIndex = 0;
  status: OperatorStatus = 'running';
  endReason = '';
  endedAtMs: number | undefined;

  constructor(
    readonly id: number,
    readonly spec: OperatorSpec,
    readonly createdAtMs: number,
    readonly timeoutMs: number,
    /** Stores whose per-store limit this operator counts against (add/remove on a live store). */
    readonly limitedStores: readonly number[],
  ) {}

  get regionId(): number {
    return this.spec.regionId;
  }

  get scheduler(): SchedulerName {
    return this.spec.scheduler;
  }

  get priority(): number {
    return this.spec.priority;
  }

  get steps(): readonly OperatorStep[] {
    return this.spec.steps;
  }

  /** The step in progress, or undefined once all are done. */
  get currentStep(): OperatorStep | undefined {
    return this.spec.steps[this.stepIndex];
  }

  /** Whether any step moves data (such operators get the long timeout). */
  get movesData(): boolean {
    return this.spec.steps.some(isPeerStep);
  }

  /** Whether the operator includes a split (bound to the region's exact epoch). */
  get splits(): boolean {
    return this.spec.steps.some((s) => s.kind === 'split-region');
  }

  /** One line for logs. */
  describe(): string {
    const steps = this.spec.steps
      .map((s, i) => `${i === this.stepIndex ? '>' : ''}${describeStep(s)}`)
      .join('; ');
    return `operator ${this.id} (${this.spec.scheduler}) region ${this.spec.regionId}: ${this.spec.reason} [${steps}] ${this.status}`;
  }
}
