import { announceEnqueued } from '../actions/store.ts';
import type { Database } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import type { HandlerLogger } from './handlers.ts';
import { isRecurring, type ReapedActionRow } from './rows.ts';
import type { RunnerStatements } from './sql.ts';
import { insertSuccessors } from './successors.ts';
import './events.ts';

/**
 * Leases, not blind timeouts (DESIGN.md §4.1). A claim holds for LEASE_SECONDS on the database clock;
 * the heartbeat renews every lease this process holds in one statement, three times per lease; the
 * reaper (any process) returns expired ones to pending without spending an attempt.
 */

/** An action goes back to pending this many times after a lease expiry; the next expiry fails it. */
export const LEASE_EXPIRY_LIMIT = 3;
const REAP_BATCH = 500;

export interface HeldClaim {
  id: number;
  token: string;
}

export interface HeartbeatParams {
  db: Database;
  sql: RunnerStatements;
  workerId: string;
  leaseSeconds: number;
  held(): HeldClaim[];
  /** Claims (by token) the database no longer shows as ours: their handlers should stop. */
  onLost(tokens: string[]): void;
  log: HandlerLogger;
}

/** Renew this process's leases every LEASE_SECONDS / 3; returns a stop function. */
export function startHeartbeat(params: HeartbeatParams): { stop(): void; beat(): Promise<void> } {
  const { db, sql, workerId, leaseSeconds, log } = params;
  let running: Promise<void> | null = null;

  const beat = async (): Promise<void> => {
    const held = params.held();
    if (held.length === 0) return;
    try {
      const { rows } = await db.query<{ claim_token: string }>(sql.extendLeases, [held.map((c) => c.id), held.map((c) => c.token), workerId, leaseSeconds], { prepare: true });
      if (rows.length === held.length) return;
      const renewed = new Set(rows.map((r) => r.claim_token));
      // Claims settled while the statement ran are gone too; the caller checks what is still running.
      // By token, not by id: the action of a lost claim may already be running here again, reaped and
      // claimed anew, and its renewal must not hide that the old run lost its claim.
      params.onLost(held.filter((c) => !renewed.has(c.token)).map((c) => c.token));
    } catch (error) {
      log.warn({ err: error }, 'could not renew leases; retrying at the next heartbeat');
    }
  };

  const timer = setInterval(() => {
    if (running !== null) return;
    running = beat().finally(() => {
      running = null;
    });
  }, (leaseSeconds * 1000) / 3);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    beat,
  };
}

/**
 * One reaper pass: expired leases back to pending (or failed after LEASE_EXPIRY_LIMIT), in batches.
 * A recurring instance failed here still gets its successor: a lease expiry does not end a series.
 */
export async function reapExpiredLeases(params: { db: Database; sql: RunnerStatements; events: SidecarEvents }): Promise<{ requeued: number; failed: number }> {
  const { db, sql, events } = params;
  let requeued = 0;
  let failed = 0;
  for (;;) {
    const { rows, enqueued } = await db.transaction(async (tx) => {
      const { rows: reaped } = await tx.query<ReapedActionRow>(sql.reapExpiredLeases, [REAP_BATCH, LEASE_EXPIRY_LIMIT]);
      const ended = reaped.filter((row) => row.status === 'failed' && isRecurring(row));
      const dbNow = reaped[0]?.db_now ?? Date.now() / 1000;
      const results = ended.length > 0 ? await insertSuccessors(tx, db.schema, sql, ended.map((instance) => ({ instance, failed: true, byLeaseExpiry: true })), dbNow) : [];
      return { rows: reaped, enqueued: results };
    });
    announceEnqueued(events, enqueued);
    const failedNow = rows.filter((row) => row.status === 'failed').length;
    requeued += rows.length - failedNow;
    failed += failedNow;
    if (rows.length > 0) {
      events.emit('lease:expired', { requeued: rows.length - failedNow, failed: failedNow });
      // Requeued actions are due now: wake the claim loops.
      if (rows.length > failedNow) events.emit('actions:enqueued', { count: rows.length - failedNow, earliestDueAt: Date.now() });
    }
    if (rows.length < REAP_BATCH) return { requeued, failed };
  }
}
