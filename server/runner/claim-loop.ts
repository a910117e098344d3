import type { Database } from '../db/port.ts';
import type { Capacity } from './capacity.ts';
import type { HandlerLogger } from './handlers.ts';
import type { ClaimedActionRow } from './rows.ts';
import type { RunnerStatements } from './sql.ts';
import type { RunnerTimings } from './timings.ts';
import type { WakeSignal } from './wakeups.ts';

/**
 * The claim loop: while the runner runs, claim as many due actions as there are free slots (at most a
 * batch), hand them to `execute`, and sleep on the wake signal until there may be more: a slot freed
 * while due work was left behind, an enqueue, a NOTIFY, the next due time, or the polling floor.
 */
export interface ClaimLoop {
  /** Loop until `stop()`; resolves once the loop has left (a claim in flight finishes first). */
  run(): Promise<void>;
  /** A handler finished: claim again if the last claim left due work behind. */
  slotFreed(): void;
  stop(): void;
}

export interface ClaimLoopParams {
  db: Database;
  sql: RunnerStatements;
  workerId: string;
  leaseSeconds: number;
  batchSize: number;
  concurrency: number;
  capacity: Capacity;
  signal: WakeSignal;
  timings: Pick<RunnerTimings, 'pollFloorMs' | 'claimGatherMs'>;
  execute(row: ClaimedActionRow): void;
  log: HandlerLogger;
  /** The runner pause (pause-gate.ts): while it holds, nothing is claimed. */
  paused?: () => boolean;
}

interface DueState {
  due_now: boolean;
  next_due_ms: number | null;
  now_ms: number;
}

const MAX_BACKOFF_MS = 5_000;

export function createClaimLoop(params: ClaimLoopParams): ClaimLoop {
  const { db, sql, capacity, signal, timings, log } = params;
  let stopping = false;
  /** Set when the last claim suggests more due work than it took: a freed slot should claim again. */
  let dueWorkLeft = false;
  /** Database time (epoch ms) of the last look at what is due. */
  let lastLookMs: number | null = null;

  /** Claim up to `limit` with the capacity's filters; returns how many were claimed. */
  const claimDue = async (limit: number): Promise<number> => {
    const f = capacity.filters();
    const { rows } = await db.query<ClaimedActionRow>(
      sql.claimDueActions,
      [limit, params.workerId, f.fullHooks, f.capHooks, f.capRooms, f.handledHooks, f.dispatchRoom, params.leaseSeconds],
      { prepare: true },
    );
    for (const row of rows) params.execute(row);
    return rows.length;
  };

  /**
   * Before the first claim and after each claim that took less than it asked: note whether due work
   * was left behind (capped, paused, or locked by another claimer) and arm the timer for the next due
   * time, even while due work is left: a backlog must not keep a retry that falls due later from
   * waking the loop. "Next" counts from the previous look, so an action that fell due while the claim
   * ran wakes the loop at once.
   */
  const armNextDue = async (): Promise<void> => {
    const { rows } = await db.query<DueState>(sql.selectDueState, [lastLookMs], { prepare: true });
    const state = rows[0];
    if (state === undefined) return;
    lastLookMs = state.now_ms;
    dueWorkLeft = state.due_now;
    if (state.next_due_ms !== null) signal.wake(Date.now() + Math.max(0, state.next_due_ms - state.now_ms));
  };

  const run = async (): Promise<void> => {
    let errors = 0;
    // Under a backlog the pool is nearly full when a claim returns; claiming the one or two slots that
    // freed meanwhile would spend a round trip (and a commit) per action. So a busy loop waits up to
    // claimGatherMs for half a batch of free slots. An idle pool claims at once: no latency is added.
    const enough = Math.max(1, Math.min(params.batchSize, Math.ceil(params.concurrency / 2)));
    let gatherSince = 0;
    await armNextDue().catch((error: unknown) => log.warn({ err: error }, 'could not read the next due time; claiming anyway'));
    while (!stopping) {
      // Paused: claim nothing; the gate wakes the loop at a resume or at the pause's end.
      if (params.paused?.() === true) {
        await signal.wait(timings.pollFloorMs);
        continue;
      }
      const free = capacity.free();
      if (free === 0) {
        await signal.wait(timings.pollFloorMs);
        continue;
      }
      if (free < enough && dueWorkLeft) {
        gatherSince ||= Date.now();
        const left = timings.claimGatherMs - (Date.now() - gatherSince);
        if (left > 0) {
          await signal.wait(left);
          continue;
        }
      }
      gatherSince = 0;
      const limit = Math.min(params.batchSize, free);
      try {
        const claimed = await claimDue(limit);
        errors = 0;
        if (claimed === limit) {
          dueWorkLeft = true;
          continue;
        }
        await armNextDue();
      } catch (error) {
        errors++;
        log.error({ err: error }, 'claiming actions failed; retrying');
        // Backing off on the signal, not a bare timer: stop() must not wait for it.
        await signal.wait(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(errors, 6)));
        continue;
      }
      await signal.wait(timings.pollFloorMs);
    }
  };

  return {
    run,
    slotFreed() {
      if (dueWorkLeft) signal.wake();
    },
    stop() {
      stopping = true;
      signal.close();
    },
  };
}
