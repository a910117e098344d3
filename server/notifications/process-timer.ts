import { isSidecarError } from '../errors.ts';
import type { HandlerLogger } from '../runner/handlers.ts';
import type { Processor } from './processor.ts';
import type { ProcessReply } from './schemas.ts';

/**
 * The sidecar runs the processor itself, so notifications do not wait for WP-Cron (which fires only
 * on page views): every NOTIFY_PROCESS_INTERVAL seconds, at once again while passes come back full
 * (a backlog drains at the processor's pace, not one batch a minute), and soon after a nudge (a NOTIFY
 * from the source trigger). One pass at a time per process; the lock orders processes.
 */
export interface ProcessTimer {
  /** Ask for a pass soon (coalesced). */
  nudge(): void;
  stop(): Promise<void>;
}

export interface ProcessTimerParams {
  processor: Processor;
  /** 0: no periodic pass (nudges still run one). */
  intervalMs: number;
  batchLimit: number;
  log: HandlerLogger;
  onPass?(reply: ProcessReply): void;
  /** Housekeeping run at most every `maintenanceIntervalMs` after a pass (retention). */
  maintenance?(): Promise<void>;
  maintenanceIntervalMs?: number;
}

// A nudge waits this long for more changes of the same save (one class save can log several rows).
const NUDGE_DELAY_MS = 200;
// Between full passes: lets other work interleave without holding a backlog for long.
const BACKLOG_DELAY_MS = 50;
const DEFAULT_MAINTENANCE_INTERVAL_MS = 3_600_000;

export function startProcessTimer(params: ProcessTimerParams): ProcessTimer {
  const maintenanceInterval = params.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS;
  let timer: NodeJS.Timeout | null = null;
  let dueAt = Number.POSITIVE_INFINITY;
  let running: Promise<void> | null = null;
  let stopped = false;
  let sourceWasMissing = false;
  let lastMaintenance = 0;

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    const at = Date.now() + delayMs;
    if (timer !== null && at >= dueAt) return;
    if (timer !== null) clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(() => {
      timer = null;
      dueAt = Number.POSITIVE_INFINITY;
      if (running !== null) {
        // A pass is under way: one more after it covers whatever this tick was for.
        void running.then(() => schedule(0));
        return;
      }
      running = pass().finally(() => {
        running = null;
      });
    }, delayMs);
    timer.unref();
  };

  const pass = async (): Promise<void> => {
    let full = false;
    try {
      const reply = await params.processor.run({ batchLimit: params.batchLimit });
      params.onPass?.(reply);
      full = reply.status === 'processed' && reply.scanned >= params.batchLimit;
      if (sourceWasMissing) params.log.info({}, 'the WeCoza source table is available again');
      sourceWasMissing = false;
    } catch (error) {
      if (isSidecarError(error) && error.code === 'source_unavailable') {
        // Said once per outage, not every minute; /readyz carries the detail meanwhile.
        if (!sourceWasMissing) params.log.warn({ detail: error.message }, 'notification processing waits for the source table');
        sourceWasMissing = true;
      } else {
        params.log.error({ err: error }, 'notification processing pass failed');
      }
    }
    if (params.maintenance !== undefined && Date.now() - lastMaintenance >= maintenanceInterval) {
      lastMaintenance = Date.now();
      await params.maintenance().catch((error: unknown) => params.log.error({ err: error }, 'notification retention failed'));
    }
    if (full) schedule(BACKLOG_DELAY_MS);
    else if (params.intervalMs > 0) schedule(params.intervalMs);
  };

  // The first pass soon after start: it sets the cursor on a first start and catches up after a restart.
  if (params.intervalMs > 0) schedule(NUDGE_DELAY_MS);
  // Without periodic passes (WP-Cron drives processing through /process) retention still needs a clock.
  const maintenanceTimer =
    params.intervalMs === 0 && params.maintenance !== undefined
      ? setInterval(() => {
          lastMaintenance = Date.now();
          void params.maintenance?.().catch((error: unknown) => params.log.error({ err: error }, 'notification retention failed'));
        }, maintenanceInterval)
      : null;
  maintenanceTimer?.unref();

  return {
    nudge: () => schedule(NUDGE_DELAY_MS),
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (maintenanceTimer !== null) clearInterval(maintenanceTimer);
      timer = null;
      await running;
    },
  };
}
