/**
 * The stand-in's queue runner and cleaner behave as Action Scheduler 3.8's on a plain site: WP-Cron's
 * action_scheduler_run_queue event claims due actions and runs them through their callbacks
 * (reference action-scheduler.md §2.3–§2.6, §3.1, §5.5, §5.6); every run first cleans with 3.8's
 * default periods (31 days retention, 300 s reset and failure).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { at, now, uniqueHook, useStandInSite, type ProbeDate } from './support/stand-in.ts';

const { skip, live } = await useStandInSite('standin.queue-runner');

const HOUR = 3600;
const DAY = 86_400;

interface RecordedCall {
  hook: string;
  args: unknown[];
}

async function single(when: number, hook: string, args: unknown = [], group = '', priority = 10): Promise<number> {
  const created = await live().site.call<number>('as_schedule_single_action', [when, hook, args, group, false, priority]);
  assert.ok(created > 0, `as_schedule_single_action returned ${created}`);
  return created;
}

const ran = async (): Promise<unknown[][]> => (await live().site.call<RecordedCall[]>('wecoza_sidecar_test_calls', ['wecoza_test_hook'])).map((call) => call.args);

describe('the WP-Cron queue runner', { skip }, () => {
  beforeEach(async () => {
    if (skip === undefined) await live().site.call('wecoza_sidecar_test_reset');
  });

  it('schedules action_scheduler_run_queue every minute with the context WP Cron', async () => {
    const cron = await live().site.call<Record<string, Record<string, Record<string, { schedule: string; interval: number; args: unknown[] }>>>>('_get_cron_array');
    const events = Object.values(cron).flatMap((hooks) => Object.values(hooks.action_scheduler_run_queue ?? {}));
    assert.deepEqual(events.map((event) => [event.schedule, event.interval, event.args]), [['every_minute', 60, ['WP Cron']]]);
  });

  it('runs every due action through its callback, with positional args, and leaves future ones', async () => {
    const tag = uniqueHook('due');
    const due = [];
    for (let i = 0; i < 5; i++) due.push(await single(now() - 60 * (i + 1), 'wecoza_test_hook', { tag, i }));
    const future = await single(now() + HOUR, 'wecoza_test_hook', { tag, i: 'future' });

    await live().runWpCron();

    // The args were {tag, i}: the callback receives them positionally, keys dropped.
    const mine = (await ran()).filter((args) => args[0] === tag);
    assert.deepEqual(mine.map((args) => args[1]).sort(), [0, 1, 2, 3, 4]);
    for (const actionId of due) {
      const view = await live().action(actionId);
      assert.equal(view.status, 'complete');
      assert.equal(view.claim_id, 0, 'the claim was released');
      assert.deepEqual(view.logs, ['action created', 'action started via WP Cron', 'action complete via WP Cron']);
    }
    assert.equal((await live().action(future)).status, 'pending');
  });

  it('runs the claimed batch by priority, then scheduled date', async () => {
    const tag = uniqueHook('order');
    await single(now() - 2 * HOUR, 'wecoza_test_hook', [tag, 'p10-2h']);
    await single(now() - HOUR, 'wecoza_test_hook', [tag, 'p5-1h'], '', 5);
    await single(now() - 3 * HOUR, 'wecoza_test_hook', [tag, 'p10-3h']);
    await live().runWpCron();
    assert.deepEqual((await ran()).filter((args) => args[0] === tag).map((args) => args[1]), ['p5-1h', 'p10-3h', 'p10-2h']);
  });

  it('fails an action whose callback throws or that has no callback, and goes on with the next', async () => {
    const throws = await single(now() - 30, 'wecoza_test_throw', ['boom']);
    const orphan = await single(now() - 20, uniqueHook('no_callback'));
    const fine = await single(now() - 10, 'wecoza_test_hook', ['after-failures']);
    await live().runWpCron();
    assert.deepEqual((await live().action(throws)).logs, ['action created', 'action started via WP Cron', 'action failed via WP Cron: wecoza_test_throw failed on purpose']);
    const orphaned = await live().action(orphan);
    assert.equal(orphaned.status, 'failed');
    assert.match(orphaned.logs.at(-1) ?? '', /^action failed via WP Cron: Scheduled action for .* will not be executed as no callbacks are registered\.$/);
    assert.equal((await live().action(fine)).status, 'complete');
  });

  it('saves the next instance of an interval action after it ran, with its priority, group and first date', async () => {
    const group = uniqueHook('rec_group');
    const first = now() - 10;
    const actionId = await live().site.call<number>('as_schedule_recurring_action', [first, DAY, 'wecoza_test_hook', ['recurring'], group, false, 3]);
    const before = now();
    await live().runWpCron();
    assert.equal((await live().action(actionId)).status, 'complete');
    const pending = await live().site.call<string[]>('as_get_scheduled_actions', [{ group, status: 'pending', per_page: -1 }, 'ids']);
    assert.equal(pending.length, 1);
    const next = await live().action(Number(pending[0]));
    assert.equal(next.action.schedule, 'ActionScheduler_IntervalSchedule');
    assert.equal(next.action.priority, 3);
    assert.deepEqual(next.action.args, ['recurring']);
    assert.deepEqual(next.action.first_date, at(first));
    const when = (next.action.date as ProbeDate)['@date'];
    assert.ok(when >= before + DAY && when <= now() + DAY, `next at ${when}, ran between ${before} and ${now()}`);
  });

  it('saves the next instance of a cron action at the next match', async () => {
    const group = uniqueHook('cron_group');
    const actionId = await live().site.call<number>('as_schedule_cron_action', [now() - 2 * DAY, '0 0 * * *', 'wecoza_test_hook', ['cron'], group]);
    await live().runWpCron();
    assert.equal((await live().action(actionId)).status, 'complete');
    const pending = await live().site.call<string[]>('as_get_scheduled_actions', [{ group, status: 'pending', per_page: -1 }, 'ids']);
    const next = await live().action(Number(pending[0]));
    assert.equal(next.action.schedule, 'ActionScheduler_CronSchedule');
    assert.deepEqual(next.action.date, at(Math.floor(now() / DAY) * DAY + DAY), 'next midnight UTC');
  });

  it('claims nothing while another claim holds the only concurrent batch, and runs once it is released', async () => {
    const holder = await single(now() + HOUR, uniqueHook('holder'));
    const claim = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [1, at(now() + 2 * HOUR), [(await live().action(holder)).action.hook]]);
    assert.deepEqual(claim.actions, [holder]);
    const waiting = await single(now() - 5, 'wecoza_test_hook', ['waiting']);
    try {
      await live().runWpCron();
      assert.equal((await live().action(waiting)).status, 'pending');
    } finally {
      assert.equal(await live().site.call('wecoza_sidecar_probe_release_claim', [claim.claim_id]), true);
    }
    await live().runWpCron();
    assert.equal((await live().action(waiting)).status, 'complete');
  });
});

describe('the queue cleaner', { skip }, () => {
  it('deletes complete and canceled actions older than 31 days with their logs, and keeps failed and recent ones', async () => {
    const hook = uniqueHook('old');
    const [old, recent, oldFailed, canceledNeverRun] = [await single(now() + HOUR, hook), await single(now() + HOUR, hook), await single(now() + HOUR, hook), await single(now() + HOUR, hook)];
    await live().batch([['store:mark_complete', [old]], ['store:mark_complete', [recent]], ['store:mark_failure', [oldFailed]], ['store:cancel_action', [canceledNeverRun]]]);
    await live().site.call('wecoza_sidecar_probe_age_action', [old, 32 * DAY]);
    await live().site.call('wecoza_sidecar_probe_age_action', [recent, 30 * DAY]);
    await live().site.call('wecoza_sidecar_probe_age_action', [oldFailed, 40 * DAY]);

    await live().runWpCron();

    const deleted = await live().action(old);
    assert.equal(deleted.action.class, 'ActionScheduler_NullAction');
    assert.deepEqual(deleted.logs, [], 'its log lines went with it');
    assert.equal((await live().action(recent)).status, 'complete');
    assert.equal((await live().action(oldFailed)).status, 'failed', '3.8.2 keeps failed actions');
    // 3.8's quirk: cancel leaves last_attempt at the zero date, so a never-run canceled action goes at once.
    assert.equal((await live().action(canceledNeverRun)).action.class, 'ActionScheduler_NullAction');
  });

  it('releases pending actions claimed more than 300 seconds ago and fails actions running for more than 300 seconds', async () => {
    const hook = uniqueHook('stale');
    const [staleClaim, freshClaim, staleRun, freshRun] = [await single(now() + HOUR, hook), await single(now() + HOUR, hook), await single(now() + HOUR, hook), await single(now() + HOUR, hook)];
    const claim = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [2, at(now() + 2 * HOUR), [hook]]);
    assert.deepEqual(claim.actions, [staleClaim, freshClaim]);
    await live().batch([['store:log_execution', [staleRun]], ['store:log_execution', [freshRun]]]);
    await live().site.call('wecoza_sidecar_probe_age_action', [staleClaim, 301]);
    await live().site.call('wecoza_sidecar_probe_age_action', [freshClaim, 200]);
    await live().site.call('wecoza_sidecar_probe_age_action', [staleRun, 301]);
    await live().site.call('wecoza_sidecar_probe_age_action', [freshRun, 200]);
    try {
      await live().runWpCron();
      const reset = await live().action(staleClaim);
      assert.deepEqual([reset.status, reset.claim_id, reset.logs.at(-1)], ['pending', 0, 'action reset']);
      assert.equal((await live().action(freshClaim)).claim_id, claim.claim_id);
      const timedOut = await live().action(staleRun);
      assert.equal(timedOut.status, 'failed');
      assert.match(timedOut.logs.at(-1) ?? '', /^action marked as failed after 300 seconds\./);
      assert.equal((await live().action(freshRun)).status, 'in-progress');
    } finally {
      await live().site.call('wecoza_sidecar_probe_release_claim', [claim.claim_id]);
    }
  });

  it('honours the retention and timeout filters', async () => {
    const hook = uniqueHook('filtered');
    const done = await single(now() + HOUR, hook);
    await live().value('store:mark_complete', [done]);
    const claimed = await single(now() + HOUR, hook);
    const claim = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [1, at(now() + 2 * HOUR), [hook]]);
    assert.deepEqual(claim.actions, [claimed]);
    await live().setFilters({ action_scheduler_retention_period: 0, action_scheduler_timeout_period: 0 });
    try {
      await live().runWpCron();
    } finally {
      await live().setFilters({});
    }
    assert.equal((await live().action(done)).action.class, 'ActionScheduler_NullAction', 'retention 0 deletes a just-completed action');
    assert.equal((await live().action(claimed)).claim_id, 0, 'timeout 0 releases a just-made claim');
  });
});
