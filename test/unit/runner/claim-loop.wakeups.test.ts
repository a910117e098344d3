import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database, QueryResult } from '../../../server/db/port.ts';
import { createCapacity } from '../../../server/runner/capacity.ts';
import { createClaimLoop } from '../../../server/runner/claim-loop.ts';
import { SILENT_LOGGER } from '../../../server/runner/handler-context.ts';
import type { ClaimedActionRow } from '../../../server/runner/rows.ts';
import { runnerStatements } from '../../../server/runner/sql.ts';
import { createWakeSignal } from '../../../server/runner/wakeups.ts';

/**
 * The claim loop with a scripted database: which statements it sends, with what, and when it claims
 * again. The polling floor is a minute, so a claim that comes within seconds came from a wake-up.
 */

interface DueState {
  due_now: boolean;
  next_due_ms: number | null;
  now_ms: number;
}

const sql = runnerStatements('"t"');
const FLOOR_MS = 60_000;

function fakeRow(id: number, hook: string): ClaimedActionRow {
  return { id, hook, claim_token: `token-${id}` } as ClaimedActionRow;
}

function scriptedLoop(script: { claims: ClaimedActionRow[][]; looks: (sent: Array<number | null>) => DueState }) {
  const looks: Array<number | null> = [];
  const claims: number[] = [];
  let nextClaim: (() => void) | null = null;
  const db = {
    kind: 'postgres',
    schema: '"t"',
    async query(text: string, values: unknown[] = []): Promise<QueryResult<unknown>> {
      // A round trip yields to the event loop, as a real one does.
      await new Promise((resolve) => setImmediate(resolve));
      if (text === sql.selectDueState) {
        looks.push(values[0] as number | null);
        return { rows: [script.looks(looks)], rowCount: 1 };
      }
      if (text === sql.claimDueActions) {
        claims.push(values[0] as number);
        const rows = script.claims.shift() ?? [];
        // Checked once the loop has had the rows (it executes them as soon as the query resolves).
        setImmediate(() => nextClaim?.());
        return { rows, rowCount: rows.length };
      }
      throw new Error(`unexpected statement ${text.slice(0, 40)}`);
    },
  } as unknown as Database;
  const capacity = createCapacity({ concurrency: 4, caps: () => new Map(), isHandled: () => true, handledHooks: () => ['h'], dispatchCap: null });
  const signal = createWakeSignal();
  const executed: ClaimedActionRow[] = [];
  const loop = createClaimLoop({
    db, sql, workerId: 'w', leaseSeconds: 30, batchSize: 4, concurrency: 4, capacity, signal,
    timings: { pollFloorMs: FLOOR_MS, claimGatherMs: 3 },
    execute: (row) => {
      executed.push(row);
      capacity.start(row.hook);
    },
    log: SILENT_LOGGER,
  });
  const claimNumber = (n: number, timeoutMs = 5_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`claim ${n} did not come within ${timeoutMs} ms (claims so far: ${claims.length})`)), timeoutMs);
      const check = (): void => {
        if (claims.length >= n) {
          clearTimeout(timer);
          nextClaim = null;
          resolve();
        }
      };
      nextClaim = check;
      check();
    });
  return { loop, looks, claims, executed, capacity, claimNumber, done: loop.run() };
}

describe('createClaimLoop', () => {
  it('claims again at once when an action fell due between its claim and its look at what is due', async () => {
    const t0 = 1_000_000;
    const t = scriptedLoop({
      claims: [[], []],
      // The first look (before any claim) finds nothing; the second sees an action due since then,
      // which the next claim takes.
      looks: (sent) =>
        sent.length === 2 ? { due_now: true, next_due_ms: t0 + 5, now_ms: t0 + 20 } : { due_now: false, next_due_ms: null, now_ms: t0 + 100 * sent.length },
    });
    try {
      await t.claimNumber(2);
      // The second look counts from the database time of the first.
      assert.deepEqual(t.looks.slice(0, 2), [null, t0 + 100]);
    } finally {
      t.loop.stop();
      await t.done;
    }
  });

  it('wakes at the next due time while other due work is left, and not before', async () => {
    const t0 = 2_000_000;
    const t = scriptedLoop({
      claims: [[], []],
      looks: (sent) =>
        sent.length === 2 ? { due_now: true, next_due_ms: t0 + 300, now_ms: t0 } : { due_now: true, next_due_ms: null, now_ms: t0 + 1000 * sent.length },
    });
    try {
      await t.claimNumber(1);
      const firstAt = Date.now();
      await t.claimNumber(2);
      assert.ok(Date.now() - firstAt >= 250, `claimed again after ${Date.now() - firstAt} ms, before the action was due`);
    } finally {
      t.loop.stop();
      await t.done;
    }
  });

  it('claims again when a slot frees while the last claim left due work behind', async () => {
    const t = scriptedLoop({
      claims: [[fakeRow(1, 'h')], [fakeRow(2, 'h')]],
      looks: () => ({ due_now: true, next_due_ms: null, now_ms: 3_000_000 }),
    });
    try {
      await t.claimNumber(1);
      assert.equal(t.executed.length, 1);
      t.capacity.finish('h');
      t.loop.slotFreed();
      await t.claimNumber(2);
      assert.deepEqual(t.executed.map((row) => row.id), [1, 2]);
      // Each claim asked for the free slots: 4, then 4 again once the first run was done.
      assert.deepEqual(t.claims.slice(0, 2), [4, 4]);
    } finally {
      t.loop.stop();
      await t.done;
    }
  });
});
