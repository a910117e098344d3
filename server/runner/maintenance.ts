import type { HandlerLogger } from './handlers.ts';

/**
 * The runner's periodic tasks (reaper, cleaner): each on its own timer, never overlapping itself, a
 * failure logged and retried at the next tick. `stop()` clears the timers and waits for the passes in
 * flight, so the database is not closed under them.
 */
export interface Maintenance {
  /** Run `task` every `ms`, the first time after `firstAfterMs`. */
  every(ms: number, name: string, task: () => Promise<unknown>, firstAfterMs?: number): void;
  stop(): Promise<void>;
}

export function createMaintenance(params: { log: HandlerLogger }): Maintenance {
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;

  return {
    every(ms, name, task, firstAfterMs = ms) {
      let busy = false;
      const tick = (): void => {
        if (busy || stopped) return;
        busy = true;
        const promise = task()
          .catch((error: unknown) => params.log.error({ err: error }, `${name} failed; it runs again later`))
          .finally(() => {
            busy = false;
            inFlight.delete(promise);
          });
        inFlight.add(promise);
      };
      const first = setTimeout(tick, firstAfterMs);
      const interval = setInterval(tick, ms);
      first.unref();
      interval.unref();
      timers.push(first, interval);
    },

    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
