import type { Database, ListenHandle } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import type { HandlerLogger } from './handlers.ts';
import '../pauses/events.ts';

/**
 * How a sleeping claim loop learns there is work (DESIGN.md §4.1 "Wake-ups"):
 * - in-process: the 'actions:enqueued' event (the only signal the embedded database needs);
 * - across processes: a NOTIFY after commit, coalesced to at most one per NOTIFY_COALESCE_MS per
 *   process, on a channel every runner LISTENs to (on PostgreSQL, unless POLL_ONLY);
 * - a timer to the next due time, and a polling floor for everything else (a missed NOTIFY, a hook
 *   whose pause ended, another process's retry falling due).
 */
export const NOTIFY_COALESCE_MS = 5;

/** The payload's second word when a pause changed (instead of a due time): readers re-read the runner pause. */
const PAUSE_CHANGED = 'pause';

/** One channel per schema, so deployments (and test schemas) sharing a database do not wake each other. */
export function wakeChannelFor(quotedSchema: string): string {
  return `wake_${quotedSchema.replaceAll('"', '')}`.slice(0, 63);
}

/** A latch the claim loop sleeps on: woken now, at a due time, or after the polling floor. */
export interface WakeSignal {
  /** Wake the loop now, or at `dueAtMs` (epoch ms) if that is in the future. */
  wake(dueAtMs?: number): void;
  /** Resolve at the next wake-up, or after `maxMs`. A wake that came while not waiting is kept. */
  wait(maxMs: number): Promise<void>;
  close(): void;
}

export function createWakeSignal(now: () => number = Date.now): WakeSignal {
  let latched = false;
  let release: (() => void) | null = null;
  let dueTimer: NodeJS.Timeout | null = null;
  let dueTimerAt = Number.POSITIVE_INFINITY;
  let closed = false;

  const fire = (): void => {
    if (release !== null) {
      const resolve = release;
      release = null;
      resolve();
    } else latched = true;
  };

  return {
    wake(dueAtMs) {
      // A look at the next due time still in flight at shutdown must not arm a timer nobody clears.
      if (closed) return fire();
      const at = dueAtMs ?? now();
      const delay = at - now();
      if (delay <= 1) return fire();
      if (dueTimer !== null && dueTimerAt <= at) return;
      if (dueTimer !== null) clearTimeout(dueTimer);
      dueTimerAt = at;
      // setTimeout overflows past 2^31 ms; the polling floor comes long before anyway.
      dueTimer = setTimeout(() => {
        dueTimer = null;
        dueTimerAt = Number.POSITIVE_INFINITY;
        fire();
      }, Math.min(delay, 2 ** 31 - 1));
    },

    wait(maxMs) {
      if (latched) {
        latched = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const floor = setTimeout(() => {
          release = null;
          resolve();
        }, maxMs);
        release = () => {
          clearTimeout(floor);
          resolve();
        };
      });
    },

    close() {
      closed = true;
      if (dueTimer !== null) clearTimeout(dueTimer);
      dueTimer = null;
      fire();
    },
  };
}

/**
 * Send a NOTIFY after actions were enqueued in this process (any role: an API-only process must wake the
 * workers). The first enqueue of a quiet period notifies at once; a burst sends one more at the end of
 * the window, carrying the earliest due time seen.
 */
export function startWakeNotifier(params: { db: Database; events: SidecarEvents; channel: string; senderId: string; log: HandlerLogger }): () => void {
  const { db, channel, senderId, log } = params;
  let lastSentAt = 0;
  let timer: NodeJS.Timeout | null = null;
  let earliest = Number.POSITIVE_INFINITY;

  const send = (): void => {
    timer = null;
    lastSentAt = Date.now();
    const dueAt = earliest;
    earliest = Number.POSITIVE_INFINITY;
    db.query('SELECT pg_notify($1, $2)', [channel, `${senderId} ${Math.round(dueAt)}`], { prepare: true }).catch((error: unknown) => {
      log.warn({ err: error }, 'could not send the wake-up NOTIFY; workers will find the actions by polling');
    });
  };

  const unsubscribe = params.events.on('actions:enqueued', ({ earliestDueAt }) => {
    earliest = Math.min(earliest, earliestDueAt);
    if (timer !== null) return;
    const wait = lastSentAt + NOTIFY_COALESCE_MS - Date.now();
    if (wait <= 0) send();
    else timer = setTimeout(send, wait);
  });
  // Pauses are rare and every process must hear of each: not coalesced.
  const unsubscribePauses = params.events.on('pause:changed', () => {
    db.query('SELECT pg_notify($1, $2)', [channel, `${senderId} ${PAUSE_CHANGED}`]).catch((error: unknown) => {
      log.warn({ err: error }, 'could not send the pause NOTIFY; other processes will read the pause when they poll');
    });
  });

  return () => {
    unsubscribe();
    unsubscribePauses();
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
}

/** LISTEN for other processes' wake-ups; after a reconnect, notifications may be lost: poll once. */
export function listenForWakeups(params: { db: Database; channel: string; senderId: string; signal: WakeSignal; onPauseChanged?(): void }): Promise<ListenHandle> {
  const { db, channel, senderId, signal } = params;
  return db.listen(channel, {
    onNotify(payload) {
      const [sender, due] = payload.split(' ');
      if (sender === senderId) return; // this process was woken by the in-process event already
      if (due === PAUSE_CHANGED) {
        // The runner pause may have changed, or a hook resumed with due work: read, and look.
        params.onPauseChanged?.();
        return signal.wake();
      }
      const dueAt = Number(due);
      signal.wake(Number.isFinite(dueAt) ? dueAt : undefined);
    },
    onReconnect() {
      params.onPauseChanged?.();
      signal.wake();
    },
  });
}
