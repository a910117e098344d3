/**
 * The runner's clocks and sizes that are not configuration: defaults chosen from bench/runner.ts and the
 * tests, overridable by tests (buildApp's `runnerTimings`) to keep them fast.
 */
export interface RunnerTimings {
  /** The loop claims at least this often, whatever the wake-ups say. */
  pollFloorMs: number;
  /** How long a finished run waits for others before its outcome is written. */
  flushIntervalMs: number;
  /** Outcomes per settle statement. */
  settleBatch: number;
  reaperIntervalMs: number;
  cleanerIntervalMs: number;
  /** After the grace period, how long aborted handlers get to notice before their leases are given back. */
  abortSettleMs: number;
  /** Per-hook cap of hooks dispatched to WordPress, unless HOOK_CONCURRENCY names them. */
  dispatchConcurrency: number;
  /** Under a backlog, how long the loop waits for half a batch of free slots before claiming fewer. */
  claimGatherMs: number;
  /** How long /run waits for the outcome before answering 202. */
  runNowWaitMs: number;
}

export const DEFAULT_TIMINGS: Omit<RunnerTimings, 'reaperIntervalMs'> = {
  pollFloorMs: 1_000,
  flushIntervalMs: 2,
  settleBatch: 500,
  cleanerIntervalMs: 60_000,
  abortSettleMs: 1_000,
  dispatchConcurrency: 4,
  claimGatherMs: 3,
  runNowWaitMs: 30_000,
};
