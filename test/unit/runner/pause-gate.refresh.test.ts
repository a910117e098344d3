import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database, QueryResult } from '../../../server/db/port.ts';
import { pauseStatements } from '../../../server/pauses/sql.ts';
import { createClaimLoop } from '../../../server/runner/claim-loop.ts';
import { createCapacity } from '../../../server/runner/capacity.ts';
import { SILENT_LOGGER } from '../../../server/runner/handler-context.ts';
import { createPauseGate } from '../../../server/runner/pause-gate.ts';
import { runnerStatements } from '../../../server/runner/sql.ts';
import { createWakeSignal } from '../../../server/runner/wakeups.ts';

/**
 * The pause gate and the claim loop with a scripted database: what a reading of the runner pause
 * makes of the gate, and that the loop sends no claim while the gate says paused. The polling floor
 * is a minute, so a wait that ends within seconds ended on a wake-up.
 */
const SCHEMA = '"t"';
const read = pauseStatements(SCHEMA).selectRunnerPause;
const runner = runnerStatements(SCHEMA);
const FLOOR_MS = 60_000;

type PauseRow = { until_ms: number | null; remaining_ms: number | null; reason: string };

function scripted(answer: () => PauseRow[] | Error) {
  const sent: string[] = [];
  const db = {
    kind: 'postgres',
    schema: SCHEMA,
    async query(text: string): Promise<QueryResult<unknown>> {
      await new Promise((resolve) => setImmediate(resolve));
      sent.push(text === read ? 'read' : text === runner.claimDueActions ? 'claim' : text === runner.selectDueState ? 'look' : 'other');
      if (text === runner.selectDueState) return { rows: [{ due_now: false, next_due_ms: null, now_ms: Date.now() }], rowCount: 1 };
      if (text === runner.claimDueActions) return { rows: [], rowCount: 0 };
      const rows = answer();
      if (rows instanceof Error) throw rows;
      return { rows, rowCount: rows.length };
    },
  } as unknown as Database;
  return { db, sent };
}

/** Resolves true when the signal is woken before `ms`. */
async function wokenWithin(signal: ReturnType<typeof createWakeSignal>, ms: number): Promise<boolean> {
  const started = Date.now();
  await signal.wait(FLOOR_MS);
  return Date.now() - started < ms;
}

describe('createPauseGate', () => {
  it('says paused after reading an indefinite pause, and wakes the loop when a reading finds it resumed', async () => {
    let rows: PauseRow[] = [{ until_ms: null, remaining_ms: null, reason: 'operator' }];
    const { db } = scripted(() => rows);
    const signal = createWakeSignal();
    const gate = createPauseGate({ db, signal, pollMs: FLOOR_MS, log: SILENT_LOGGER });
    assert.equal(gate.paused(), false, 'nothing read yet');
    await gate.refresh();
    assert.deepEqual([gate.paused(), gate.pausedUntil()], [true, null]);
    rows = [];
    await gate.refresh();
    assert.deepEqual([gate.paused(), gate.pausedUntil()], [false, undefined]);
    assert.equal(await wokenWithin(signal, 10_000), true, 'the resume woke the loop');
  });

  it('ends a timed pause on its own, from the database’s remaining time, and wakes the loop then', async () => {
    const { db } = scripted(() => [{ until_ms: Date.now() + 10 * 3_600_000, remaining_ms: 200, reason: 'operator' }]);
    const signal = createWakeSignal();
    const gate = createPauseGate({ db, signal, pollMs: FLOOR_MS, log: SILENT_LOGGER });
    await gate.refresh();
    assert.equal(gate.paused(), true);
    assert.equal(await wokenWithin(signal, 20_000), true, 'woken at the end, long before the floor');
    assert.equal(gate.paused(), false, 'the local clock ran the 200 ms the database gave, whatever until_ms says');
  });

  it('keeps the last reading when a reading fails', async () => {
    let answer: PauseRow[] | Error = [{ until_ms: null, remaining_ms: null, reason: 'operator' }];
    const { db } = scripted(() => answer);
    const gate = createPauseGate({ db, signal: createWakeSignal(), pollMs: FLOOR_MS, log: SILENT_LOGGER });
    await gate.refresh();
    answer = new Error('connection lost');
    await gate.refresh();
    assert.equal(gate.paused(), true);
  });
});

describe('createClaimLoop while paused', () => {
  it('sends no claim while the gate says paused, and claims once it reads the resume', async () => {
    let rows: PauseRow[] = [{ until_ms: null, remaining_ms: null, reason: 'operator' }];
    const { db, sent } = scripted(() => rows);
    const signal = createWakeSignal();
    const gate = createPauseGate({ db, signal, pollMs: FLOOR_MS, log: SILENT_LOGGER });
    await gate.refresh();
    const capacity = createCapacity({ concurrency: 4, caps: () => new Map(), isHandled: () => true, handledHooks: () => ['h'], dispatchCap: null });
    const loop = createClaimLoop({
      db, sql: runner, workerId: 'w', leaseSeconds: 30, batchSize: 4, concurrency: 4, capacity, signal,
      timings: { pollFloorMs: FLOOR_MS, claimGatherMs: 3 }, execute: () => undefined, log: SILENT_LOGGER, paused: gate.paused,
    });
    const done = loop.run();
    // Wake-ups (enqueues, freed slots) while paused: the loop looks at the gate and sleeps again.
    for (let i = 0; i < 5; i++) {
      signal.wake();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(sent.filter((s) => s === 'claim').length, 0, `sent: ${sent.join(', ')}`);
    rows = [];
    await gate.refresh();
    const deadline = Date.now() + 10_000;
    while (!sent.includes('claim') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(sent.includes('claim'), 'claimed after the resume');
    loop.stop();
    await done;
  });
});
