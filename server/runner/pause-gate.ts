import type { Database } from '../db/port.ts';
import { readRunnerPause } from '../pauses/store.ts';
import type { HandlerLogger } from './handlers.ts';
import type { WakeSignal } from './wakeups.ts';

/**
 * What the claim loop asks before each claim: is the runner paused (POST /v1/runner/pause,
 * RUNNER_PAUSED)? The pause lives in the database; the gate keeps the last reading, so asking costs
 * nothing on the hot path. It reads again every `pollMs`, when this process changes a pause, and when
 * another process says so by NOTIFY; a pause thus reaches every process within its polling interval.
 * A timed pause ends on the gate's own timer (set from the database's remaining time, not the local
 * clock's idea of the end), and the loop is woken then, as it is on a resume.
 */
export interface PauseGate {
  /** True while the last reading says the runner is paused. */
  paused(): boolean;
  /** Epoch ms of the pause's end as last read (null: indefinite); undefined when not paused. */
  pausedUntil(): number | null | undefined;
  /** Read the pause now (resolves once read; a failed read keeps the last state and logs). */
  refresh(): Promise<void>;
  start(): void;
  stop(): void;
}

export function createPauseGate(params: { db: Database; signal: WakeSignal; pollMs: number; log: HandlerLogger; now?: () => number }): PauseGate {
  const { db, signal, log } = params;
  const now = params.now ?? Date.now;
  /** Local epoch ms at which the pause ends; Infinity while indefinite; null when not paused. */
  let endsAt: number | null = null;
  let untilMs: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  /** Readings run one after another (read() never rejects). */
  let readings: Promise<void> = Promise.resolve();

  const paused = (): boolean => endsAt !== null && now() < endsAt;

  const read = async (): Promise<void> => {
    const wasPaused = paused();
    try {
      const pause = await readRunnerPause(db, db.schema);
      endsAt = pause === null ? null : pause.remainingMs === null ? Number.POSITIVE_INFINITY : now() + pause.remainingMs;
      untilMs = pause?.untilMs ?? null;
    } catch (error) {
      log.warn({ err: error }, 'could not read the runner pause; keeping the last reading');
      return;
    }
    const isPaused = paused();
    if (isPaused && !wasPaused) log.info({ paused_until: untilMs === null ? null : new Date(untilMs).toISOString() }, 'runner paused: no action is claimed until it is resumed');
    if (!isPaused && wasPaused) log.info({}, 'runner resumed: claiming again');
    // A pause that ends by itself: wake the loop then; a resume: wake it now.
    if (isPaused && endsAt !== null && Number.isFinite(endsAt)) signal.wake(endsAt);
    if (!isPaused && wasPaused) signal.wake();
  };

  return {
    paused,
    pausedUntil: () => (paused() ? untilMs : undefined),
    refresh() {
      // One reading at a time; a request during a reading gets a fresh one after it.
      readings = readings.then(read);
      return readings;
    },
    start() {
      if (timer !== null) return;
      timer = setInterval(() => void this.refresh(), params.pollMs);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
