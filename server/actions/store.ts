import type { Database, Queryable } from '../db/port.ts';
import { isConnectionError } from '../db/sqlstate.ts';
import type { SidecarEvents } from '../events.ts';
import { sidecarError } from '../errors.ts';
import { buildListQuery, type ListFilter } from './list-query.ts';
import { buildMatchWhere, type MatchFilter } from './match.ts';
import { toAction, toActionLog, type ActionLogRow, type ActionRow } from './rows.ts';
import { ACTION_STATUSES, type Action, type ActionStatus } from './schemas.ts';
import { actionStatements, matchStatements } from './sql.ts';

export type NewSchedule =
  | { type: 'async'; at?: number }
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

/**
 * The statements of each schema, built once: `actionStatements` makes fresh strings on every call, and
 * the pg adapter keys its prepared-statement names by text, so a new 2 kB string per enqueue meant
 * hashing it again each time.
 */
const statementsBySchema = new Map<string, ReturnType<typeof actionStatements>>();

function statementsFor(schema: string): ReturnType<typeof actionStatements> {
  let statements = statementsBySchema.get(schema);
  if (statements === undefined) {
    statements = actionStatements(schema);
    statementsBySchema.set(schema, statements);
  }
  return statements;
}

/**
 * The filter statements by their WHERE text: the filters form a closed set (hook, group and args each
 * given or not), so has/next, called on WordPress page loads, reuse built texts instead of building
 * all four statements per request.
 */
const matchStatementsByWhere = new Map<string, ReturnType<typeof matchStatements>>();

function matchStatementsFor(schema: string, where: string): ReturnType<typeof matchStatements> {
  const key = `${schema}\u0000${where}`;
  let statements = matchStatementsByWhere.get(key);
  if (statements === undefined) {
    statements = matchStatements(schema, where);
    matchStatementsByWhere.set(key, statements);
  }
  return statements;
}

function keyOf(item: NewAction): string {
  return `${item.hook}\u0000${item.group}\u0000${item.argsText}`;
}

function scheduleColumns(schedule: NewSchedule): { at: number | null; interval: number | null; cron: string | null; type: string } {
  switch (schedule.type) {
    case 'async':
      return { type: 'async', at: schedule.at ?? null, interval: null, cron: null };
    case 'single':
      return { type: 'single', at: schedule.at, interval: null, cron: null };
    case 'interval':
      return { type: 'interval', at: schedule.at, interval: schedule.interval, cron: null };
    case 'cron':
      return { type: 'cron', at: schedule.at, interval: null, cron: schedule.cron };
  }
}

/** `$1`…`$10` of `insertOneAction`, in the column order of `insertActions`. */
function insertValuesOfOne(item: NewAction): unknown[] {
  const c = scheduleColumns(item.schedule);
  return [item.hook, item.group, item.argsText, item.priority, item.unique, c.type, c.interval, c.cron, c.at, item.maxAttempts];
}

/** `$1`…`$10` of `insertActions`: one array per column. */
function insertValuesOfMany(batch: readonly NewAction[]): unknown[] {
  const columns = batch.map((item) => scheduleColumns(item.schedule));
  return [
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
  ];
}

/**
 * Insert `items` in one statement and say, per item in order, what happened. Uniqueness inside the
 * batch is resolved here in item order (a unique item is blocked by any earlier live twin in the batch);
 * uniqueness against the table by the statement itself. A blocked item whose twin finished before we
 * could read its id is tried again, so a unique enqueue never answers "blocked" without a live twin.
 */
export async function insertActions(q: Queryable, schema: string, items: readonly NewAction[]): Promise<EnqueueResult[]> {
  const sql = statementsFor(schema);
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
    const { rows } = await q.query<{ ord: number; id: number; created: boolean; due_ms: number }>(
      batch.length === 1 ? sql.insertOneAction : sql.insertActions,
      batch.length === 1 ? insertValuesOfOne(batch[0] as NewAction) : insertValuesOfMany(batch),
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

/**
 * How many enqueue statements the pool path runs at once. A single enqueue that arrives while they are
 * all busy waits for the next one and rides in it with the others that waited: one statement and one
 * commit (one WAL flush) for many requests, instead of one each. Below this many concurrent requests
 * nothing waits, so a quiet sidecar answers exactly as fast as before. Two keeps the other half of a
 * 2-core pool free for the runner and the list queries.
 */
const ENQUEUE_STATEMENTS_IN_FLIGHT = 2;
/** The most single enqueues one merged statement carries (the batch route's own limit). */
const MAX_MERGED_ENQUEUES = 1000;

interface WaitingEnqueue {
  item: NewAction;
  resolve(results: EnqueueResult[]): void;
  reject(error: unknown): void;
}

/**
 * Merge concurrent single-action enqueues into one `insertActions` statement. The merged statement only
 * ever creates: an item it does not create (blocked by a live twin in the table, or by an earlier twin
 * among the merged ones) wrote nothing, so it is enqueued again on its own once the merged statement
 * has committed, through the full path (twin lookup, race rounds): the answer it would have had, had it
 * come just after the others. A merged statement the server refused wrote nothing either; each request
 * then runs on its own and meets its own outcome. The merged items go in key order, so two merged
 * statements never wait on each other's unique keys in opposite orders (a deadlock).
 */
function createEnqueueMerger(db: Queryable, schema: string): (item: NewAction) => Promise<EnqueueResult[]> {
  const waiting: WaitingEnqueue[] = [];
  let inFlight = 0;

  const alone = async (entry: WaitingEnqueue): Promise<void> => {
    try {
      entry.resolve(await insertActions(db, schema, [entry.item]));
    } catch (error) {
      entry.reject(error);
    }
  };

  const merged = async (group: WaitingEnqueue[]): Promise<void> => {
    group.sort((a, b) => compareKeys(keyOf(a.item), keyOf(b.item)));
    const seen = new Set<string>();
    const sent: WaitingEnqueue[] = [];
    const again: WaitingEnqueue[] = [];
    for (const entry of group) {
      const key = keyOf(entry.item);
      // A unique item behind a twin in this group, plain or unique, would be blocked by it: it goes alone.
      if (entry.item.unique && seen.has(key)) again.push(entry);
      else sent.push(entry);
      seen.add(key);
    }
    let rows: Array<{ ord: number; id: number; created: boolean; due_ms: number }>;
    try {
      rows = (
        await db.query<{ ord: number; id: number; created: boolean; due_ms: number }>(
          statementsFor(schema).insertActions,
          insertValuesOfMany(sent.map((entry) => entry.item)),
          { prepare: true },
        )
      ).rows;
    } catch (error) {
      // Lost connection: the statement may have committed before the answer was lost, so running the
      // items again could create them twice; every merged request fails, as its own statement would have.
      if (isConnectionError(error)) group.forEach((entry) => entry.reject(error));
      else await Promise.all(group.map(alone));
      return;
    }
    const created = new Set<WaitingEnqueue>();
    for (const row of rows) {
      const entry = sent[row.ord - 1] as WaitingEnqueue;
      if (!row.created) continue;
      entry.resolve([{ actionId: row.id, dueAtMs: row.due_ms }]);
      created.add(entry);
    }
    again.push(...sent.filter((entry) => !created.has(entry)));
    await Promise.all(again.map(alone));
  };

  const pump = (): void => {
    while (inFlight < ENQUEUE_STATEMENTS_IN_FLIGHT && waiting.length > 0) {
      const group = waiting.splice(0, MAX_MERGED_ENQUEUES);
      inFlight++;
      void (group.length === 1 ? alone(group[0] as WaitingEnqueue) : merged(group)).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return (item) =>
    new Promise<EnqueueResult[]>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      pump();
    });
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
  /** Several actions by id, in the order asked, with their log lines when `withLogs`. */
  fetch(ids: readonly number[], withLogs: boolean): Promise<{ actions: Array<Action & { logs?: ActionLogReply[] }>; missing: number[] }>;
  counts(): Promise<{ counts: Record<ActionStatus, number>; pastDue: number }>;
}

type ActionLogReply = ReturnType<typeof toActionLog>;

export function createActionStore(params: { db: Database; events: SidecarEvents }): ActionStore {
  const { db, events } = params;
  const schema = db.schema;
  const sql = statementsFor(schema);
  const enqueueOne = createEnqueueMerger(db, schema);

  const store: ActionStore = {
    async enqueue(items) {
      const results = items.length === 1 ? await enqueueOne(items[0] as NewAction) : await insertActions(db, schema, items);
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
      const { rows } = await db.query<{ found: boolean }>(matchStatementsFor(schema, where).hasLiveMatch, values, { prepare: true });
      return rows[0]?.found === true;
    },

    async next(filter) {
      const { where, values } = buildMatchWhere(filter);
      const { rows } = await db.query<{ status: string; schedule_type: string; timestamp: number }>(
        matchStatementsFor(schema, where).selectNextLiveMatch,
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
      const { rows } = await db.query<{ id: number }>(matchStatementsFor(schema, where).cancelEarliestPendingMatch, values);
      return rows[0]?.id ?? null;
    },

    async unscheduleAll(filter) {
      const { where, values } = buildMatchWhere(filter);
      const { rows } = await db.query<{ canceled: number }>(matchStatementsFor(schema, where).cancelAllPendingMatches, values);
      return rows[0]?.canceled ?? 0;
    },

    async list(filter) {
      const built = buildListQuery(schema, filter);
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

    async fetch(ids, withLogs) {
      const unique = [...new Set(ids)];
      const [found, logs] = await Promise.all([
        db.query<ActionRow>(sql.selectActionsByIds, [unique]),
        withLogs ? db.query<ActionLogRow & { action_id: number }>(sql.selectLogsByActionIds, [unique]) : null,
      ]);
      const byId = new Map(found.rows.map((row) => [row.id, toAction(row)]));
      const linesOf = new Map<number, ActionLogReply[]>();
      for (const row of logs?.rows ?? []) {
        const lines = linesOf.get(row.action_id) ?? [];
        lines.push(toActionLog(row));
        linesOf.set(row.action_id, lines);
      }
      const actions: Array<Action & { logs?: ActionLogReply[] }> = [];
      const missing: number[] = [];
      for (const id of unique) {
        const action = byId.get(id);
        if (action === undefined) missing.push(id);
        else actions.push(withLogs ? { ...action, logs: linesOf.get(id) ?? [] } : action);
      }
      return { actions, missing };
    },

    async counts() {
      const { rows } = await db.query<{ status: ActionStatus; n: number; past_due: number }>(sql.countActionsByStatus);
      const counts = Object.fromEntries(ACTION_STATUSES.map((status) => [status, 0])) as Record<ActionStatus, number>;
      let pastDue = 0;
      for (const row of rows) {
        counts[row.status] = row.n;
        pastDue += row.past_due;
      }
      return { counts, pastDue };
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
