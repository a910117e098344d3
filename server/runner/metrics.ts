import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SidecarEvents } from '../events.ts';
import './events.ts';
import { DEPTH_CACHE_MS, LIVE_SCAN_CAP, type QueueDepth } from './queue-depth.ts';

/**
 * The runner's metrics. Counters and histograms are fed by the runner's events (no query); the queue
 * depth gauges read the shared, cached depth snapshot (queue-depth.ts).
 */
const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const LATENCY_BUCKETS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600];

export interface RunnerMetricsParams {
  registry: Registry;
  events: SidecarEvents;
  depth: QueueDepth;
  /** Set when WP_CALLBACK_URL is not: the hooks with a handler; the due actions of the others wait. */
  waitingForCallback?: { handledHooks(): string[] } | null;
}

export function registerRunnerMetrics(params: RunnerMetricsParams): () => void {
  const { registry, events } = params;
  const depth = () => params.depth.snapshot();
  const registers = [registry];

  const started = new Counter({ name: 'sidecar_action_runs_total', help: 'Runs started (claims), by hook.', labelNames: ['hook'], registers });
  const completed = new Counter({ name: 'sidecar_actions_completed_total', help: 'Actions completed, by hook.', labelNames: ['hook'], registers });
  const failed = new Counter({ name: 'sidecar_actions_failed_total', help: 'Actions failed for good, by hook.', labelNames: ['hook'], registers });
  const retried = new Counter({ name: 'sidecar_action_retries_total', help: 'Failed attempts scheduled for a retry, by hook.', labelNames: ['hook'], registers });
  const snoozed = new Counter({ name: 'sidecar_action_snoozes_total', help: 'Runs snoozed without spending an attempt, by hook.', labelNames: ['hook'], registers });
  const leaseLost = new Counter({ name: 'sidecar_action_leases_lost_total', help: 'Outcomes refused because another worker held the action.', labelNames: ['hook'], registers });
  const expired = new Counter({ name: 'sidecar_lease_expiries_total', help: 'Expired leases found by the reaper: requeued or failed.', labelNames: ['outcome'], registers });
  const deleted = new Counter({ name: 'sidecar_actions_deleted_total', help: 'Finished actions deleted by the cleaner.', registers });
  const duration = new Histogram({ name: 'sidecar_action_run_seconds', help: 'Handler run time, by hook and outcome.', labelNames: ['hook', 'outcome'], buckets: RUN_BUCKETS, registers });
  const latency = new Histogram({ name: 'sidecar_action_claim_latency_seconds', help: 'Start minus scheduled time: how late the queue ran an action.', buckets: LATENCY_BUCKETS, registers });

  new Gauge({
    name: 'sidecar_actions',
    help: `Live actions by hook and status (pending, in-progress), refreshed at most every ${DEPTH_CACHE_MS / 1000} s.`,
    labelNames: ['hook', 'status'],
    registers,
    async collect() {
      const { byHook } = await depth();
      this.reset();
      for (const row of byHook) {
        this.set({ hook: row.hook, status: 'pending' }, row.pending);
        this.set({ hook: row.hook, status: 'in-progress' }, row.in_progress);
      }
    },
  });
  new Gauge({
    name: 'sidecar_actions_past_due',
    help: 'Pending actions whose time has come, by hook.',
    labelNames: ['hook'],
    registers,
    async collect() {
      const { byHook } = await depth();
      this.reset();
      for (const row of byHook) this.set({ hook: row.hook }, row.past_due);
    },
  });
  const waiting = params.waitingForCallback ?? null;
  new Gauge({
    name: 'sidecar_actions_waiting_for_callback',
    help: 'Due actions of hooks without a built-in handler, not run because WP_CALLBACK_URL is not set (0 when it is).',
    registers,
    async collect() {
      if (waiting === null) return this.set(0);
      const handled = new Set(waiting.handledHooks());
      const { byHook } = await depth();
      this.set(byHook.reduce((sum, row) => (handled.has(row.hook) ? sum : sum + row.past_due), 0));
    },
  });
  new Gauge({
    name: 'sidecar_oldest_due_age_seconds',
    help: 'How long the oldest due pending action has waited.',
    registers,
    async collect() {
      this.set((await depth()).oldestDueAge);
    },
  });
  new Gauge({
    name: 'sidecar_actions_depth_capped',
    help: `1 when more than ${LIVE_SCAN_CAP} live actions exist and the depth gauges are lower bounds.`,
    registers,
    async collect() {
      this.set((await depth()).capped ? 1 : 0);
    },
  });

  const unsubscribers = [
    events.on('action:claimed', ({ hook, latencyMs }) => {
      started.inc({ hook });
      latency.observe(latencyMs / 1000);
    }),
    events.on('action:completed', ({ hook, durationMs }) => {
      completed.inc({ hook });
      duration.observe({ hook, outcome: 'complete' }, durationMs / 1000);
    }),
    events.on('action:failed', ({ hook, durationMs }) => {
      failed.inc({ hook });
      duration.observe({ hook, outcome: 'failed' }, durationMs / 1000);
    }),
    events.on('action:retried', ({ hook, durationMs }) => {
      retried.inc({ hook });
      duration.observe({ hook, outcome: 'retry' }, durationMs / 1000);
    }),
    events.on('action:snoozed', ({ hook, durationMs }) => {
      snoozed.inc({ hook });
      duration.observe({ hook, outcome: 'snooze' }, durationMs / 1000);
    }),
    events.on('action:lease-lost', ({ hook }) => leaseLost.inc({ hook })),
    events.on('lease:expired', ({ requeued, failed: failedCount }) => {
      if (requeued > 0) expired.inc({ outcome: 'requeued' }, requeued);
      if (failedCount > 0) expired.inc({ outcome: 'failed' }, failedCount);
    }),
    events.on('actions:deleted', ({ count }) => deleted.inc(count)),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
