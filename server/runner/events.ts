/**
 * The runner's events. Metrics and logs subscribe; the runner never calls them directly.
 * Durations are milliseconds; `attempt` counts from 1.
 */
export interface ActionRunEvent {
  id: number;
  hook: string;
  attempt: number;
  /** How long the handler ran (claim to outcome). */
  durationMs: number;
}

declare module '../events.ts' {
  interface SidecarEventMap {
    /** A run started; `latencyMs` is start minus scheduled time (how late the queue was). */
    'action:claimed': { id: number; hook: string; attempt: number; latencyMs: number };
    'action:completed': ActionRunEvent;
    /** Failed for good: no attempt left, a permanent error, or no handler. */
    'action:failed': ActionRunEvent & { reason: string };
    /** An attempt failed with attempts left: pending again after `delaySeconds`. */
    'action:retried': ActionRunEvent & { delaySeconds: number };
    /** Asked to run again later without spending an attempt. */
    'action:snoozed': ActionRunEvent & { delaySeconds: number; pausedHook: boolean };
    /** Given back at shutdown, unfinished, without spending an attempt. */
    'action:returned': ActionRunEvent;
    /** This worker's write was refused: another worker holds the action now (its lease expired). */
    'action:lease-lost': { id: number; hook: string };
    /** The reaper found expired leases: requeued without spending an attempt, or failed after too many. */
    'lease:expired': { requeued: number; failed: number };
    /** The cleaner deleted finished actions past their retention. */
    'actions:deleted': { count: number; ms: number };
  }
}

export {};
