import type { Database, Queryable } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import { sidecarError } from '../errors.ts';
import { buildListQuery, type ListFilter } from './list-query.ts';
import { buildMatchWhere, type MatchFilter } from './match.ts';
import { toAction, toActionLog, type ActionLogRow, type ActionRow } from './rows.ts';
import type { Action } from './schemas.ts';
import { actionStatements, matchStatements } from './sql.ts';
import { canonicalize } from './args-canonical.ts';

export type NewSchedule =
  | { type: 'async' }
  | { type: 'single'; at: number }
  | { type: 'interval'; at: number; interval: number }
  | { type: 'cron'; at: number; cron: string };

/** An action to create, already validated: `argsText` is canonical JSON. */
export interface NewAction {
  hook: string;
  group: string;
  argsText: string;
  priority: number;
  unique: boolean;
  schedule: NewSchedule;
  maxAttempts: number;
}

export interface EnqueueResult {
  /** The new id, or 0 when a unique enqueue was blocked. */
  actionId: number;
  /** The live twin that blocked a unique enqueue. */
  existingActionId?: number;
  /** When the new action falls due (epoch ms); absent when blocked. */
  dueAtMs?: number;
}

const MAX_RACE_ROUNDS = 3;

function keyOf(item: NewAction): string {
  return `${item.hook}\u0000${item.group}\u0000${item.argsText}`;
}

function scheduleColumns(schedule: NewSchedule): { at: number | null; interval: number | null; cron: string | null; type: string } {
  switch (schedule.type) {
    case 'async':
      return { type: 'async', at: null, interval: null, cron: null };
    case 'single':
      return { type: 'single', at: schedule.at, interval: null, cron: null };
    case 'interval':
      return { type: 'interval', at: schedule.at, interval: schedule.interval, cron: null };
    case 'cron':
      return { type: 'cron', at: schedule.at, interval: null, cron: schedule.cron };
  }
}

/**
 * Insert `items` in one statement and say, per item in order, what happened. Uniqueness inside the
 * batch is resolved here in item order (a unique item is blocked by any earlier live twin in the batch);
 * uniqueness against the table by the statement itself. A blocked item whose twin finished before we
 * could read its id is tried again, so a unique enqueue never answers "blocked" without a live twin.
 */
export async function insertActions(q: Queryable, schema: string, items: readonly NewAction[]): Promise<EnqueueResult[]> {
  const sql = actionStatements(schema);
  const results: EnqueueResult[] = items.map(() => ({ actionId: 0 }));
  const blockedBy = new Map<number, number>();
  const firstLive = new Map<string, number>();
  let pending: number[] = [];
  items.forEach((item, index) => {
    const key = keyOf(item);
    const earlier = firstLive.get(key);
    if (item.unique && earlier !== undefined) blockedBy.set(index, earlier);
    else {
      if (earlier === undefined) firstLive.set(key, index);
      pending.push(index);
    }
  });

  for (let round = 0; round < MAX_RACE_ROUNDS && pending.length > 0; round++) {
    const batch = pending.map((index) => items[index] as NewAction);
    const columns = batch.map((item) => scheduleColumns(item.schedule));
    const { rows } = await q.query<{ ord: number; id: number; created: boolean; due_ms: number }>(
      sql.insertActions,
      [
        batch.map((item) => item.hook),
        batch.map((item) => item.group),
        batch.map((item) => item.argsText),
        batch.map((item) => item.priority),
        batch.map((item) => item.unique),
        columns.map((c) => c.type),
        columns.map((c) => c.interval),
        columns.map((c) => c.cron),
        columns.map((c) => c.at),
        batch.map((item) => item.maxAttempts),
      ],
      { prepare: true },
    );
    const blocked: number[] = [];
    for (const row of rows) {
      const index = pending[row.ord - 1] as number;
      if (row.created) results[index] = { actionId: row.id, dueAtMs: row.due_ms };
      else blocked.push(index);
    }
    pending = blocked;
    if (blocked.length === 0) break;
    const lookup = blocked.map((index) => items[index] as NewAction);
    const twins = await q.query<{ ord: number; id: number }>(sql.findLiveTwins, [
      lookup.map((item) => item.hook),
      lookup.map((item) => item.group),
      lookup.map((item) => item.argsText),
    ]);
    const found = new Set<number>();
    for (const twin of twins.rows) {
      const index = blocked[twin.ord - 1] as number;
      results[index] = { actionId: 0, existingActionId: twin.id };
      found.add(index);
    }
    pending = blocked.filter((index) => !found.has(index));
  }
  if (pending.length > 0) throw new Error('unique enqueue kept racing with a finishing twin; try again');

  for (const [index, earlier] of blockedBy) {
    const twin = results[earlier] as EnqueueResult;
    results[index] = { actionId: 0, existingActionId: twin.actionId || (twin.existingActionId as number) };
  }
  return results;
}

/** Tell the runner (this process) and the wake-up signal that actions were written. */
export function announceEnqueued(events: SidecarEvents, results: readonly EnqueueResult[]): void {
  let count = 0;
  let earliest = Number.POSITIVE_INFINITY;
  for (const result of results) {
    if (result.dueAtMs === undefined) continue;
    count++;
    earliest = Math.min(earliest, result.dueAtMs);
  }
  if (count > 0) events.emit('actions:enqueued', { count, earliestDueAt: earliest });
}

export type NextAnswer = number | boolean;

export interface ActionStore {
  /** Create actions and announce them. */
  enqueue(items: readonly NewAction[]): Promise<EnqueueResult[]>;
  /** Create actions inside the caller's transaction; the caller announces after commit. */
  enqueueIn(tx: Queryable, items: readonly NewAction[]): Promise<EnqueueResult[]>;
  announce(results: readonly EnqueueResult[]): void;
  has(filter: MatchFilter): Promise<boolean>;
  next(filter: MatchFilter): Promise<NextAnswer>;
  unschedule(filter: MatchFilter): Promise<number | null>;
  unscheduleAll(filter: MatchFilter): Promise<number>;
  list(filter: ListFilter): Promise<{ actions: Action[]; total: number }>;
  get(id: number): Promise<Action | null>;
  logs(id: number): Promise<Array<{ id: number; message: string; date_gmt: string }> | null>;
  cancel(id: number): Promise<Action>;
}

export function createActionStore(params: { db: Database; events: SidecarEvents }): ActionStore {
  const { db, events } = params;
  const schema = db.schema;
  const sql = actionStatements(schema);

  const store: ActionStore = {
    async enqueue(items) {
      const results = await insertActions(db, schema, items);
      store.announce(results);
      return results;
    },

    enqueueIn(tx, items) {
      return insertActions(tx, schema, items);
    },

    announce(results) {
      announceEnqueued(events, results);
    },

    async has(filter) {
      const { where, values } = buildMatchWhere(filter);
      const { rows } = await db.query<{ found: boolean }>(matchStatements(schema, where).hasLiveMatch, values, { prepare: true });
      return rows[0]?.found === true;
    },

    async next(filter) {
      const { where, values } = buildMatchWhere(filter);
      const { rows } = await db.query<{ status: string; schedule_type: string; timestamp: number }>(
        matchStatements(schema, where).selectNextLiveMatch,
        values,
        { prepare: true },
      );
      const row = rows[0];
      if (row === undefined) return false;
      if (row.status === 'in-progress' || row.schedule_type === 'async') return true;
      return row.timestamp;
    },

    async unschedule(filter) {
      const { where, values } = buildMatchWhere(filter);
      const { rows } = await db.query<{ id: number }>(matchStatements(schema, where).cancelEarliestPendingMatch, values);
      return rows[0]?.id ?? null;
    },

    async unscheduleAll(filter) {
      const { where, values } = buildMatchWhere(filter);
      const { rows } = await db.query<{ canceled: number }>(matchStatements(schema, where).cancelAllPendingMatches, values);
      return rows[0]?.canceled ?? 0;
    },

    async list(filter) {
      const built = buildListQuery(schema, filter, canonicalize);
      const { rows } = await db.query<ActionRow & { total: number }>(built.text, built.values);
      let total = rows[0]?.total;
      if (total === undefined) {
        total = filter.offset === 0 ? 0 : ((await db.query<{ total: number }>(built.countText, built.countValues)).rows[0]?.total ?? 0);
      }
      return { actions: rows.map(toAction), total };
    },

    async get(id) {
      const { rows } = await db.query<ActionRow>(sql.selectActionById, [id], { prepare: true });
      return rows[0] ? toAction(rows[0]) : null;
    },

    async logs(id) {
      const [action, logs] = await Promise.all([store.get(id), db.query<ActionLogRow>(sql.selectLogsByActionId, [id])]);
      return action === null ? null : logs.rows.map(toActionLog);
    },

    async cancel(id) {
      const { rows } = await db.query<{ id: number }>(sql.cancelPendingById, [id]);
      const action = await store.get(id);
      if (action === null) throw sidecarError('not_found', `No action ${id}.`);
      if (rows.length === 0) throw sidecarError('not_pending', `Action ${id} is ${action.status}; only a pending action can be canceled.`, { status: action.status });
      return action;
    },
  };
  return store;
}
