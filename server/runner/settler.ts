import { announceEnqueued, type EnqueueResult } from '../actions/store.ts';
import type { Database } from '../db/port.ts';
import { isConnectionError } from '../db/sqlstate.ts';
import type { SidecarEvents } from '../events.ts';
import type { HandlerLogger } from './handlers.ts';
import { isTerminal, settleRowOf, type Outcome, type SettleRow } from './outcomes.ts';
import { isRecurring, type ClaimedActionRow } from './rows.ts';
import type { RunnerStatements } from './sql.ts';
import { insertSuccessors, type FinishedInstance } from './successors.ts';
import './events.ts';

/**
 * The batched writer of outcomes. Finished runs wait here a few milliseconds and are written together
 * by one settle statement (DESIGN.md §4.6); a batch holding the terminal outcome of a recurring instance
 * runs in a transaction with the successors' inserts. One flush runs at a time; what arrives meanwhile
 * waits for the next. A failed flush keeps its batch and tries again: until it succeeds the actions stay
 * in progress under their leases, so nothing is lost if the process dies meanwhile.
 */
export interface Settlement {
  row: ClaimedActionRow;
  outcome: Exclude<Outcome, { kind: 'lost' }>;
  durationMs: number;
  /** Called once written: `true` when this worker still held the action, `false` when fenced out. */
  done(written: boolean): void;
}

export interface Settler {
  add(settlement: Settlement): void;
  /** Write everything queued so far (shutdown, tests). */
  drain(): Promise<void>;
}

export interface SettlerParams {
  db: Database;
  sql: RunnerStatements;
  events: SidecarEvents;
  log: HandlerLogger;
  /** How long the first outcome of a batch waits for company. */
  flushIntervalMs: number;
  maxBatch: number;
}

const RETRY_DELAYS_MS = [50, 200, 1000, 5000];

interface Columns {
  ids: number[];
  tokens: string[];
  statuses: string[];
  delays: Array<number | null>;
  refunds: number[];
  snoozed: boolean[];
  messages: string[];
  errors: Array<string | null>;
}

function toColumns(rows: ReadonlyArray<{ settlement: Settlement; write: SettleRow }>): Columns {
  const columns: Columns = { ids: [], tokens: [], statuses: [], delays: [], refunds: [], snoozed: [], messages: [], errors: [] };
  for (const { settlement, write } of rows) {
    columns.ids.push(settlement.row.id);
    columns.tokens.push(settlement.row.claim_token);
    columns.statuses.push(write.status);
    columns.delays.push(write.delaySeconds);
    columns.refunds.push(write.refund);
    columns.snoozed.push(write.snoozed);
    columns.messages.push(write.message);
    columns.errors.push(write.error);
  }
  return columns;
}

export function createSettler(params: SettlerParams): Settler {
  const { db, sql, events, log } = params;
  let queue: Settlement[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;
  let failures = 0;

  const emitFor = (settlement: Settlement, written: boolean): void => {
    const { row, outcome, durationMs } = settlement;
    const base = { id: row.id, hook: row.hook, attempt: row.attempts, durationMs };
    if (!written) return events.emit('action:lease-lost', { id: row.id, hook: row.hook });
    switch (outcome.kind) {
      case 'complete':
        return events.emit('action:completed', base);
      case 'fail':
        return events.emit('action:failed', { ...base, reason: outcome.reason });
      case 'retry':
        return events.emit('action:retried', { ...base, delaySeconds: outcome.delaySeconds });
      case 'snooze':
        return events.emit('action:snoozed', { ...base, delaySeconds: outcome.delaySeconds, pausedHook: outcome.pauseHook });
      case 'give-back':
        return events.emit('action:returned', base);
    }
  };

  /** Write one batch; successors and hook pauses share its transaction when there are any. */
  const write = async (batch: Settlement[]): Promise<void> => {
    const rows = batch.map((settlement) => ({ settlement, write: settleRowOf(settlement.outcome, settlement.row) }));
    const columns = toColumns(rows);
    const onlyCompletes = batch.every((s) => s.outcome.kind === 'complete');
    const statement = onlyCompletes ? sql.completeClaimedActions : sql.settleClaimedActions;
    const values = onlyCompletes
      ? [columns.ids, columns.tokens, columns.messages[0]]
      : [columns.ids, columns.tokens, columns.statuses, columns.delays, columns.refunds, columns.snoozed, columns.messages, columns.errors];
    const pauses = batch.filter((s) => s.outcome.kind === 'snooze' && s.outcome.pauseHook);
    const series = batch.filter((s) => isRecurring(s.row) && isTerminal(s.outcome));

    let settledIds: Set<number>;
    let enqueued: EnqueueResult[] = [];
    if (pauses.length === 0 && series.length === 0) {
      const { rows: settled } = await db.query<{ id: number }>(statement, values, { prepare: true });
      settledIds = new Set(settled.map((r) => r.id));
    } else {
      ({ settledIds, enqueued } = await db.transaction(async (tx) => {
        const { rows: settled } = await tx.query<{ id: number; db_now: number }>(statement, values, { prepare: true });
        const ids = new Set(settled.map((r) => r.id));
        for (const { row, outcome } of pauses) {
          if (ids.has(row.id) && outcome.kind === 'snooze') await tx.query(sql.pauseHookUntil, [row.hook, outcome.delaySeconds, outcome.reason]);
        }
        const finished: FinishedInstance[] = series
          .filter((s) => ids.has(s.row.id))
          .map((s) => ({ instance: s.row, failed: s.outcome.kind === 'fail', byLeaseExpiry: false }));
        const dbNow = settled[0]?.db_now ?? Date.now() / 1000;
        const results = finished.length > 0 ? await insertSuccessors(tx, db.schema, sql, finished, dbNow) : [];
        return { settledIds: ids, enqueued: results };
      }));
    }
    announceEnqueued(events, enqueued);
    let requeued = 0;
    let earliest = Number.POSITIVE_INFINITY;
    rows.forEach(({ settlement, write: row }) => {
      const written = settledIds.has(settlement.row.id);
      if (written && row.status === 'pending') {
        requeued++;
        earliest = Math.min(earliest, Date.now() + (row.delaySeconds ?? 0) * 1000);
      }
      emitFor(settlement, written);
      settlement.done(written);
    });
    // Retries, snoozes and give-backs are pending again: wake the claim loops (here and elsewhere) for them.
    if (requeued > 0) events.emit('actions:enqueued', { count: requeued, earliestDueAt: earliest });
  };

  /**
   * A batch the database refuses for its content (not for a lost connection) is written one outcome at a
   * time, so one bad row cannot hold back the others. The bad one is dropped and logged: its lease expires
   * and the reaper gives the action another run (or fails it after LEASE_EXPIRY_LIMIT), never silently lost.
   */
  const writeOneByOne = async (batch: Settlement[]): Promise<void> => {
    for (const settlement of batch) {
      try {
        await write([settlement]);
      } catch (error) {
        if (isConnectionError(error)) return; // the rest stays queued for the flush loop's retries
        log.error({ err: error, action_id: settlement.row.id, hook: settlement.row.hook }, 'the database refused this outcome; the lease will expire and the reaper takes over');
        settlement.done(false);
      }
      queue = queue.filter((queued) => queued !== settlement);
    }
  };

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, params.maxBatch);
      try {
        await write(batch);
        queue = queue.slice(batch.length);
        failures = 0;
      } catch (error) {
        if (!isConnectionError(error)) {
          log.warn({ err: error, batch: batch.length }, 'the database refused a batch of outcomes; writing them one by one');
          await writeOneByOne(batch);
          continue;
        }
        const delay = RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length - 1)] as number;
        failures++;
        log.error({ err: error, batch: batch.length, retryInMs: delay }, 'could not write action outcomes; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };

  const startFlush = (): void => {
    timer = null;
    if (flushing !== null) return;
    flushing = flush().finally(() => {
      flushing = null;
    });
  };

  const schedule = (): void => {
    if (timer !== null || flushing !== null) return;
    timer = setTimeout(startFlush, params.flushIntervalMs);
  };

  return {
    add(settlement) {
      queue.push(settlement);
      // A full batch goes at once; otherwise the first arrival waits flushIntervalMs for company.
      if (queue.length >= params.maxBatch && flushing === null) {
        if (timer !== null) clearTimeout(timer);
        startFlush();
      } else schedule();
    },

    async drain() {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      while (queue.length > 0 || flushing !== null) {
        if (flushing === null) startFlush();
        await flushing;
      }
    },
  };
}
