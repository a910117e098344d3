import type { Database } from '../db/port.ts';
import { LeaseLostError, type ClaimFence, type HandlerContext, type HandlerLogger, type RunningAction } from './handlers.ts';
import type { RunnerStatements } from './sql.ts';

/** A silent logger, for tests and tools that pass none. */
export const SILENT_LOGGER: HandlerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Log lines of a handler carry its action id and hook (never its args: they may hold personal data). */
function loggerFor(log: HandlerLogger, action: RunningAction): HandlerLogger {
  const bind = (details: object): object => ({ action_id: action.id, hook: action.hook, attempt: action.attempt, ...details });
  return {
    info: (details, message) => log.info(bind(details), message),
    warn: (details, message) => log.warn(bind(details), message),
    error: (details, message) => log.error(bind(details), message),
  };
}

export function createHandlerContext(params: { db: Database; sql: RunnerStatements; action: RunningAction; signal: AbortSignal; log: HandlerLogger }): HandlerContext {
  const { db, sql, action } = params;
  return {
    action,
    signal: params.signal,
    // The row lock taken here also keeps the reaper (SKIP LOCKED) off the action until the handler's
    // transaction ends, so an intent recorded here is recorded under a claim that was still ours.
    fenced: (fn) =>
      db.transaction(async (tx) => {
        const { rows } = await tx.query(sql.lockHeldAction, [action.id, action.claimToken], { prepare: true });
        if (rows.length === 0) throw new LeaseLostError(action.id);
        const claims: ClaimFence = {
          async isLive(token) {
            const live = await tx.query<{ live: boolean }>(sql.selectClaimIsLive, [token], { prepare: true });
            return live.rows[0]?.live === true;
          },
        };
        return fn(tx, claims);
      }),
    log: loggerFor(params.log, action),
  };
}
