import type { Database, Queryable } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import './events.ts';
import { OPERATOR_REASON, pauseStatements } from './sql.ts';

/**
 * The one owner of pauses (migration 009): an operator's pause of one hook or of the whole runner, and
 * their resume. The claim statement skips paused hooks; the claim loop does not claim while the runner
 * is paused (runner/pause-gate.ts). Every change is announced, so this process's runner and, by NOTIFY,
 * the others' learn of it before their next poll.
 */
export interface PauseState {
  /** Epoch ms; null while paused indefinitely. */
  untilMs: number | null;
  /** 'operator', or the runner's own reason (a remote asked it to slow down). */
  reason: string;
}

export interface HookPause extends PauseState {
  hook: string;
}

export type PauseResult<T> = { paused: T } | { notFuture: true };

export interface PauseStore {
  /** Pause `hook` until `until` (null: indefinitely); refused when `until` is not in the future (database clock). */
  pauseHook(hook: string, until: Date | null): Promise<PauseResult<HookPause>>;
  /** End the hook's pause now; false when it was not paused. */
  resumeHook(hook: string): Promise<boolean>;
  pauseRunner(until: Date | null, reason?: string): Promise<PauseResult<PauseState>>;
  resumeRunner(): Promise<boolean>;
  /** The runner pause in force now, if any. */
  runnerPause(): Promise<PauseState | null>;
  /** Hooks paused now, by name. */
  hookPauses(): Promise<HookPause[]>;
}

interface PauseRow {
  until_ms: number | null;
  reason: string;
}

const toState = (row: PauseRow): PauseState => ({ untilMs: row.until_ms, reason: row.reason });

/** The runner pause now, read with any queryable (the claim loop's gate reads it too). */
export async function readRunnerPause(db: Queryable, schema: string): Promise<(PauseState & { remainingMs: number | null }) | null> {
  const { rows } = await db.query<PauseRow & { remaining_ms: number | null }>(pauseStatements(schema).selectRunnerPause, [], { prepare: true });
  const row = rows[0];
  return row === undefined ? null : { ...toState(row), remainingMs: row.remaining_ms };
}

export function createPauseStore(params: { db: Database; events: SidecarEvents }): PauseStore {
  const { db, events } = params;
  const sql = pauseStatements(db.schema);
  return {
    async pauseHook(hook, until) {
      const { rows } = await db.query<PauseRow & { hook: string }>(sql.pauseHook, [hook, until]);
      const row = rows[0];
      if (row === undefined) return { notFuture: true };
      events.emit('pause:changed', { scope: 'hook', hook, paused: true });
      return { paused: { hook: row.hook, ...toState(row) } };
    },

    async resumeHook(hook) {
      const { rows } = await db.query(sql.resumeHook, [hook]);
      if (rows.length === 0) return false;
      events.emit('pause:changed', { scope: 'hook', hook, paused: false });
      return true;
    },

    async pauseRunner(until, reason = OPERATOR_REASON) {
      const { rows } = await db.query<PauseRow>(sql.pauseRunner, [until, reason]);
      const row = rows[0];
      if (row === undefined) return { notFuture: true };
      events.emit('pause:changed', { scope: 'runner', paused: true });
      return { paused: toState(row) };
    },

    async resumeRunner() {
      const { rows } = await db.query(sql.resumeRunner);
      if (rows.length === 0) return false;
      events.emit('pause:changed', { scope: 'runner', paused: false });
      return true;
    },

    runnerPause: () => readRunnerPause(db, db.schema),

    async hookPauses() {
      const { rows } = await db.query<PauseRow & { hook: string }>(sql.selectHookPauses);
      return rows.map((row) => ({ hook: row.hook, ...toState(row) }));
    },
  };
}
