/**
 * The schedulers' names and priorities. An operator carries the name of the scheduler that
 * made it (limits are counted per name) and its priority (a higher one may replace a lower
 * one on the same region: repairing a lost replica matters more than balancing).
 */

/** Every scheduler the PD runs, in the order one pass runs them. */
export const SCHEDULER_NAMES = [
  'replica-repair',
  'split',
  'balance-region',
  'balance-leader',
] as const;

/** One of SCHEDULER_NAMES. */
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** Priority by scheduler: replica repair first, then splits, then balance. */
export const SCHEDULER_PRIORITY: Readonly<Record<SchedulerName, number>> = {
  'replica-repair': 2,
  split: 1,
  'balance-region': 0,
  'balance-leader': 0,
};
