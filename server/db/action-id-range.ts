import type { Queryable } from './port.ts';

/**
 * Where action ids come from. WordPress sees the sidecar's actions and Action Scheduler's own through
 * one store (the bridge), so the two id sets must never meet: Action Scheduler's MySQL
 * AUTO_INCREMENT counts up from 1 and never gets near 10^15, and the sidecar's sequence starts there.
 * Every id stays below 2^53, so JavaScript, PHP and JSON carry it exactly.
 *
 *   1 … 999 999 999 999 999                       Action Scheduler (MySQL AUTO_INCREMENT)
 *   1 000 000 000 000 000 … 4 999 999 999 999 999  the sidecar (migration 006; SIDECAR_ACTION_ID_FLOOR may start higher)
 *   5 000 000 000 000 000 … 9 007 199 254 740 991  reserved for provisional ids the bridge hands out while
 *                                                  the sidecar is away (issue 9); the sequence stops short of it
 */
export const ACTION_ID_FLOOR_DEFAULT = 1_000_000_000_000_000;
/** The last id the sequence may hand out (its MAXVALUE, set by migration 006). */
export const ACTION_ID_MAX = 4_999_999_999_999_999;
export const PROVISIONAL_ID_MIN = 5_000_000_000_000_000;

/**
 * Move the id sequence up to `floor` when it is below it. Migration 006 already starts it at the
 * default floor; a higher SIDECAR_ACTION_ID_FLOOR takes effect here, at start-up. Ids handed out
 * before are kept, and the sequence never moves down.
 */
export async function ensureActionIdFloor(db: Queryable & { schema: string }, floor: number): Promise<void> {
  const sequence = `${db.schema}.actions_id_seq`;
  await db.query(
    `SELECT setval($1::regclass, $2::bigint, false)
     FROM ${sequence}
     WHERE (CASE WHEN is_called THEN last_value + 1 ELSE last_value END) < $2::bigint`,
    [sequence, floor],
  );
}
