import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { pauseStatements } from '../../../server/pauses/sql.ts';
import { createHandlerRegistry, type HandlerRegistry } from '../../../server/runner/handlers.ts';
import type { Runner } from '../../../server/runner/runner.ts';
import { runnerStatements } from '../../../server/runner/sql.ts';
import { buildTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionState, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

/**
 * Pauses and claims: a paused hook's due actions wait while others run; the runner pause stops every
 * claim, in this process and in another sharing the database (by NOTIFY on PostgreSQL, by the poll on
 * PGlite); RUNNER_PAUSED=true starts paused; the actions a pause held say so in their log when claimed.
 * "Nothing was claimed" is asserted by counting the claim statements the runner sent, after waiting
 * for the gate to have read the pause again several times: no fixed sleep decides.
 */

/** The database as a runner sees it, counting its claims and its readings of the runner pause. */
function watched(db: Database): { db: Database; claims: () => number; inFlight: () => number; gateReads: () => number } {
  const claim = runnerStatements(db.schema).claimDueActions;
  const read = pauseStatements(db.schema).selectRunnerPause;
  let claims = 0;
  let inFlight = 0;
  let gateReads = 0;
  const proxy = new Proxy(db, {
    get(target, key, receiver) {
      if (key !== 'query') return Reflect.get(target, key, receiver);
      return async (text: string, ...rest: unknown[]) => {
        if (text === read) gateReads++;
        if (text !== claim) return (target.query as (...a: unknown[]) => Promise<unknown>)(text, ...rest);
        claims++;
        inFlight++;
        try {
          return await (target.query as (...a: unknown[]) => Promise<unknown>)(text, ...rest);
        } finally {
          inFlight--;
        }
      };
    },
  });
  return { db: proxy, claims: () => claims, inFlight: () => inFlight, gateReads: () => gateReads };
}

function registry(hooks: string[]): HandlerRegistry {
  const handlers = createHandlerRegistry();
  for (const hook of hooks) handlers.register({ hook, run: async () => undefined });
  return handlers;
}

const TIMINGS = { pollFloorMs: 100 };
const HELD_BY_HOOK_PAUSE = /^action claimed after hook pause \(paused by an operator; ended \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/;
const HELD_BY_RUNNER_PAUSE = /^action claimed after runner pause \(ended \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/;

describeEachDatabase('pauses and claims', import.meta.url, (ctx) => {
  const apps: TestApp[] = [];
  const open = async (db: Database, overrides: Parameters<typeof buildTestApp>[1] = {}, hooks = ['work', 'held', 'free']): Promise<TestApp & { runner: Runner }> => {
    const t = await buildTestApp(db, overrides, { handlers: registry(hooks), runnerTimings: TIMINGS });
    apps.push(t);
    const runner = t.app.sidecar.runner;
    if (runner === null) throw new Error('no runner');
    await runner.start();
    return { ...t, runner };
  };
  after(async () => {
    for (const t of apps.splice(0)) await t.close();
  });
  const enqueue = async (t: TestApp, hook: string): Promise<number> => {
    const response = await t.call('POST', '/v1/actions/async', { hook });
    assert.equal(response.statusCode, 201, response.body);
    return response.json().action_id as number;
  };
  const completed = (id: number, what: string) => waitFor(async () => (await actionState(ctx.db, id)).status === 'complete', { what });

  it('leaves a paused hook’s due actions pending while others run, and claims them after the resume with a log line', async () => {
    const t = await open(ctx.db);
    assert.equal((await t.call('POST', '/v1/hooks/held/pause', {})).statusCode, 200);
    const held = await enqueue(t, 'held');
    const free = await enqueue(t, 'free');
    await completed(free, 'the unpaused hook’s action');
    // Both were due at one claim; the claim statement skipped the paused hook.
    assert.equal((await actionState(ctx.db, held)).status, 'pending');
    assert.deepEqual(await logMessages(ctx.db, held), ['action created']);

    assert.deepEqual((await t.call('POST', '/v1/hooks/held/resume', {})).json(), { hook: 'held', paused: false, was_paused: true });
    await completed(held, 'the resumed hook’s action');
    const logs = await logMessages(ctx.db, held);
    assert.equal(logs.length, 4, logs.join(' | '));
    assert.match(logs[1] ?? '', HELD_BY_HOOK_PAUSE);
    assert.deepEqual([logs[0], logs[2], logs[3]], ['action created', 'action started via Sidecar', 'action complete via Sidecar']);
    // An action enqueued after the resume was never held: no such line.
    const later = await enqueue(t, 'held');
    await completed(later, 'an action enqueued after the resume');
    assert.deepEqual(await logMessages(ctx.db, later), ['action created', 'action started via Sidecar', 'action complete via Sidecar']);
    assert.deepEqual(await logMessages(ctx.db, free), ['action created', 'action started via Sidecar', 'action complete via Sidecar']);
  });

  it('claims nothing while the runner is paused, and everything after the resume, each held action with a log line', async () => {
    const w = watched(ctx.db);
    const t = await open(w.db);
    assert.equal((await t.call('POST', '/v1/runner/pause', {})).statusCode, 200);
    await waitFor(() => t.runner.paused && w.inFlight() === 0, { what: 'the runner to see the pause' });
    const claimsBefore = w.claims();
    const ids = [await enqueue(t, 'work'), await enqueue(t, 'free'), await enqueue(t, 'held')];
    const reads = w.gateReads();
    await waitFor(() => w.gateReads() >= reads + 3, { what: 'three more readings of the pause' });
    assert.equal(w.claims(), claimsBefore, 'no claim statement while paused');
    for (const id of ids) assert.equal((await actionState(ctx.db, id)).status, 'pending');

    assert.deepEqual((await t.call('POST', '/v1/runner/resume', {})).json(), { paused: false, was_paused: true });
    for (const id of ids) await completed(id, `action ${id} after the resume`);
    for (const id of ids) assert.match((await logMessages(ctx.db, id))[1] ?? '', HELD_BY_RUNNER_PAUSE);
  });

  it('ends a timed runner pause by itself and claims again', async () => {
    const t = await open(ctx.db);
    const until = new Date(Date.now() + 1_500).toISOString();
    assert.equal((await t.call('POST', '/v1/runner/pause', { until })).statusCode, 200);
    await waitFor(() => t.runner.paused, { what: 'the runner to see the pause' });
    const id = await enqueue(t, 'work');
    await completed(id, 'the claim after the pause ended');
    const started = await ctx.db.query<{ after: boolean }>(`SELECT last_attempt_at >= $2::timestamptz AS after FROM ${ctx.db.schema}.actions WHERE id = $1`, [id, until]);
    assert.equal(started.rows[0]?.after, true, 'not claimed before the pause ended');
  });

  it('starts paused with RUNNER_PAUSED=true, shows it in GET /v1/hooks, and claims after the resume', async () => {
    const w = watched(ctx.db);
    const t = await open(w.db, { runnerPaused: true });
    assert.equal(t.runner.paused, true, 'paused from the first claim on');
    const id = await enqueue(t, 'work');
    const reads = w.gateReads();
    await waitFor(() => w.gateReads() >= reads + 3, { what: 'three more readings of the pause' });
    assert.equal(w.claims(), 0, 'no claim statement since the start');
    const hooks = (await t.call('GET', '/v1/hooks')).json();
    assert.deepEqual(hooks.runner, { paused: true, paused_until: null, reason: 'RUNNER_PAUSED=true at start' });
    assert.equal((await t.call('POST', '/v1/runner/resume', {})).json().was_paused, true);
    await completed(id, 'the claim after the resume');
  });

  it('holds back a second runner sharing the database, which hears of the pause and of the resume without its poll on PostgreSQL', async () => {
    const mine = watched(ctx.db);
    const a = await open(mine.db);
    // On PostgreSQL the second runner's poll is a minute: only the NOTIFY can reach it in time. PGlite
    // has no NOTIFY between handles: its runner reads the pause on its poll.
    const other = watched(await ctx.openAnother());
    const b = await startTestRunner(other.db, { timings: { pollFloorMs: ctx.kind === 'postgres' ? 60_000 : 100 }, handlers: { work: async () => undefined } });
    try {
      assert.equal((await a.call('POST', '/v1/runner/pause', {})).statusCode, 200);
      await waitFor(() => a.runner.paused && b.runner.paused && other.inFlight() === 0, { what: 'both runners to see the pause' });
      const claimsBefore = other.claims();
      // Enqueued in the second runner's process: its own event wakes its loop at once.
      const ids = await b.enqueue([{ hook: 'work' }, { hook: 'work' }, { hook: 'work' }]);
      const reads = mine.gateReads();
      await waitFor(() => mine.gateReads() >= reads + 3, { what: 'three polls of the first runner' });
      assert.equal(other.claims(), claimsBefore, 'the second runner sent no claim while paused');
      for (const id of ids) assert.equal((await actionState(ctx.db, id)).status, 'pending');

      await a.call('POST', '/v1/runner/resume', {});
      await waitFor(() => !b.runner.paused, { what: 'the second runner to hear of the resume' });
      for (const id of ids) await completed(id, `action ${id} after the resume`);
      for (const id of ids) assert.match((await logMessages(ctx.db, id))[1] ?? '', HELD_BY_RUNNER_PAUSE);
    } finally {
      await b.stop();
    }
  });
});
