import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createActionStore } from '../../../server/actions/store.ts';
import { createEvents } from '../../../server/events.ts';
import { startWakeNotifier, wakeChannelFor } from '../../../server/runner/wakeups.ts';
import { describeEachDatabase, TEST_DATABASE_URL } from '../../support/databases.ts';
import { actionState, delay, newAction, startTestRunner, waitFor } from '../../support/runner.ts';
import pg from 'pg';

/** A polling floor long enough that only a wake-up can explain a prompt start. */
const NO_POLLING = { pollFloorMs: 60_000 };
const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

describeEachDatabase('runner wake-ups', import.meta.url, (ctx) => {
  const postgresOnly = ctx.kind === 'pglite' ? 'LISTEN/NOTIFY is for several processes on PostgreSQL' : false;

  it('starts an action enqueued in its own process at once, not at the polling floor', async () => {
    const t = await startTestRunner(ctx.db, { timings: NO_POLLING, handlers: { now: async () => undefined } });
    try {
      await delay(300); // the first, empty claim passes: only a wake-up can start what comes next
      const [id] = await t.enqueue([{ hook: 'now' }]);
      await waitFor(async () => (await actionState(ctx.db, id as number)).status === 'complete', { what: 'the start', timeoutMs: 5_000 });
    } finally {
      await t.stop();
    }
  });

  it('wakes at the due time of a future action, not at the polling floor', async () => {
    const t = await startTestRunner(ctx.db, { timings: NO_POLLING, handlers: { soon: async () => undefined } });
    try {
      const dueAt = Date.now() + 1_500;
      const [id] = await t.enqueue([{ hook: 'soon', schedule: { type: 'single', at: dueAt / 1000 } }]);
      await waitFor(async () => (await actionState(ctx.db, id as number)).status === 'complete', { what: 'the due time', timeoutMs: 8_000 });
      const { rows } = await ctx.db.query<{ started: Date }>(`SELECT last_attempt_at AS started FROM ${ctx.db.schema}.actions WHERE id = $1`, [id]);
      assert.ok((rows[0]?.started as Date).getTime() >= dueAt - 50, 'not before its time');
    } finally {
      await t.stop();
    }
  });

  it('wakes on the NOTIFY another process sends after it enqueued', { skip: postgresOnly }, async () => {
    const t = await startTestRunner(ctx.db, { timings: NO_POLLING, handlers: { remote: async () => undefined } });
    const otherDb = await ctx.openAnother();
    const otherEvents = createEvents();
    const stopNotifier = startWakeNotifier({ db: otherDb, events: otherEvents, channel: wakeChannelFor(otherDb.schema), senderId: 'api-process', log: SILENT });
    try {
      await delay(300);
      const [result] = await createActionStore({ db: otherDb, events: otherEvents }).enqueue([newAction({ hook: 'remote' })]);
      await waitFor(async () => (await actionState(ctx.db, result?.actionId as number)).status === 'complete', { what: 'the NOTIFY to wake the runner', timeoutMs: 5_000 });
    } finally {
      stopNotifier();
      await t.stop();
    }
  });

  it('claims once after its LISTEN connection comes back, for the notifications it missed', { skip: postgresOnly }, async () => {
    const t = await startTestRunner(ctx.db, { timings: NO_POLLING, handlers: { missed: async () => undefined } });
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    // A pg client whose server goes away emits 'error'; unheard, that event would end the process.
    admin.on('error', (error) => process.stderr.write(`admin connection error: ${error.message}\n`));
    await admin.connect();
    try {
      const channel = wakeChannelFor(ctx.db.schema);
      const listener = await waitFor(async () => {
        const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${channel}"`]);
        return rows[0]?.pid;
      }, { what: 'the LISTEN connection' });
      await delay(300); // past the first, empty claim
      // Written without any NOTIFY, while the listener is being cut off.
      const [result] = await createActionStore({ db: ctx.db, events: createEvents() }).enqueue([newAction({ hook: 'missed' })]);
      await admin.query('SELECT pg_terminate_backend($1)', [listener]);
      await waitFor(async () => (await actionState(ctx.db, result?.actionId as number)).status === 'complete', { what: 'the claim after reconnecting', timeoutMs: 10_000 });
    } finally {
      await admin.end();
      await t.stop();
    }
  });

  it('with POLL_ONLY never LISTENs and finds actions by polling', { skip: postgresOnly }, async () => {
    const t = await startTestRunner(ctx.db, { config: { pollOnly: true }, timings: { pollFloorMs: 200 }, handlers: { polled: async () => undefined } });
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    // A pg client whose server goes away emits 'error'; unheard, that event would end the process.
    admin.on('error', (error) => process.stderr.write(`admin connection error: ${error.message}\n`));
    await admin.connect();
    try {
      const [result] = await createActionStore({ db: ctx.db, events: createEvents() }).enqueue([newAction({ hook: 'polled' })]);
      await waitFor(async () => (await actionState(ctx.db, result?.actionId as number)).status === 'complete', { what: 'the poll', timeoutMs: 5_000 });
      const { rows } = await admin.query(`SELECT pid FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${wakeChannelFor(ctx.db.schema)}"`]);
      assert.equal(rows.length, 0);
    } finally {
      await admin.end();
      await t.stop();
    }
  });
});
