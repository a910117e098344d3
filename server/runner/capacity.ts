/**
 * How many handlers this process runs, in all and per hook, and what the claim statement may take.
 *
 * Per-hook caps count what this process runs: with N processes a hook capped at C runs at most N × C
 * at once. We chose that over an exact cross-process cap (a counter row or an advisory lock per hook
 * in the claim, as BullMQ's PostgreSQL backend does) because the caps protect a remote (OpenAI, SMTP,
 * PHP-FPM) whose real limit the operator sets per deployment anyway, and a shared counter would put
 * one contended row on the hot path of every claim.
 */
export interface ClaimFilters {
  /** Hooks with no room left: not even candidates. */
  fullHooks: string[];
  /** Capped hooks with some room, and how much. */
  capHooks: string[];
  capRooms: number[];
  /** Hooks with a handler; the others are dispatched to WordPress. */
  handledHooks: string[];
  /** Room of a dispatched hook not listed above (null: uncapped). */
  dispatchRoom: number | null;
}

export interface Capacity {
  /** Free slots in the global pool. */
  free(): number;
  readonly running: number;
  start(hook: string): void;
  finish(hook: string): void;
  /**
   * Hold a hook back in this process until `untilMs`, at once: the pause row is written with the
   * snooze's outcome a few milliseconds later, and a freed slot must not claim the hook meanwhile.
   */
  pause(hook: string, untilMs: number): void;
  filters(): ClaimFilters;
}

export interface CapacityParams {
  concurrency: number;
  /** Caps from HOOK_CONCURRENCY and handler defaults (read at every claim: a handful of hooks). */
  caps(): ReadonlyMap<string, number>;
  isHandled(hook: string): boolean;
  handledHooks(): string[];
  /** The per-hook cap of hooks dispatched to WordPress unless configured; null when not dispatching. */
  dispatchCap: number | null;
}

export function createCapacity(params: CapacityParams): Capacity {
  const perHook = new Map<string, number>();
  const pausedUntil = new Map<string, number>();
  let running = 0;

  return {
    free: () => Math.max(0, params.concurrency - running),
    get running() {
      return running;
    },
    start(hook) {
      running++;
      perHook.set(hook, (perHook.get(hook) ?? 0) + 1);
    },
    finish(hook) {
      running--;
      const left = (perHook.get(hook) ?? 1) - 1;
      if (left <= 0) perHook.delete(hook);
      else perHook.set(hook, left);
    },
    pause(hook, untilMs) {
      pausedUntil.set(hook, Math.max(untilMs, pausedUntil.get(hook) ?? 0));
    },

    filters() {
      const caps = params.caps();
      const filters: ClaimFilters = { fullHooks: [], capHooks: [], capRooms: [], handledHooks: params.handledHooks(), dispatchRoom: params.dispatchCap };
      const consider = (hook: string, cap: number): void => {
        const room = cap - (perHook.get(hook) ?? 0);
        if (room <= 0) filters.fullHooks.push(hook);
        else {
          filters.capHooks.push(hook);
          filters.capRooms.push(room);
        }
      };
      const now = Date.now();
      for (const [hook, until] of pausedUntil) {
        if (until > now) filters.fullHooks.push(hook);
        else pausedUntil.delete(hook);
      }
      for (const [hook, cap] of caps) consider(hook, cap);
      // Dispatched hooks are not known in advance: those running now get their room computed here.
      if (params.dispatchCap !== null) {
        for (const hook of perHook.keys()) {
          if (!caps.has(hook) && !params.isHandled(hook)) consider(hook, params.dispatchCap);
        }
      }
      return filters;
    },
  };
}
