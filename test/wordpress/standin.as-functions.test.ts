/**
 * The stand-in Action Scheduler answers the as_* functions as Action Scheduler 3.8.2 does on a plain
 * site (no bridge): the cases of its procedural API tests (reference action-scheduler.md §5.1, §5.2),
 * the start-up guard, the pre_as_* filters and their arguments, and the error values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, now, uniqueHook, useStandInSite, type ProbeAction } from './support/stand-in.ts';

const { skip, live } = await useStandInSite('standin.as-functions');

const DAY = 86_400;
const id = (value: unknown): number => {
  assert.ok(Number.isInteger(value) && (value as number) > 0, `expected an action id, got ${JSON.stringify(value)}`);
  return value as number;
};

describe('Action Scheduler start-up in the stand-in', { skip }, () => {
  it('refuses every as_* function with its sentinel and a _doing_it_wrong notice until WordPress init has run', async () => {
    await live().site.call('update_option', ['wecoza_sidecar_probe_record_boot', '1']);
    try {
      const log = await live().site.call<Array<[string, ...unknown[]]>>('wecoza_sidecar_probe_boot_log');
      const early = log.find(([event]) => event === 'early_answers')?.[1] as Record<string, unknown>;
      assert.deepEqual(early, {
        initialized: false,
        as_enqueue_async_action: 0,
        as_schedule_single_action: 0,
        as_schedule_recurring_action: 0,
        as_schedule_cron_action: 0,
        as_unschedule_action: 0,
        as_unschedule_all_actions: null,
        as_next_scheduled_action: false,
        as_has_scheduled_action: false,
        as_get_scheduled_actions: [],
        store_class: 'ActionScheduler_DBStore',
      });
      const warned = log.filter(([event]) => event === 'doing_it_wrong').map(([, fn]) => fn);
      assert.deepEqual(warned, [
        'as_enqueue_async_action', 'as_schedule_single_action', 'as_schedule_recurring_action', 'as_schedule_cron_action',
        'as_unschedule_action', 'as_unschedule_all_actions', 'as_next_scheduled_action', 'as_has_scheduled_action', 'as_get_scheduled_actions',
      ]);
      assert.deepEqual(
        log.filter(([event]) => ['store_class_filter', 'init 0', 'action_scheduler_init', 'init 2'].includes(event)),
        [['store_class_filter', 'ActionScheduler_DBStore', 1], ['init 0', false], ['action_scheduler_init', 1], ['init 2', true]],
        'store class chosen at plugins_loaded 1 behind the priority-100 filter; initialized during init 1',
      );
    } finally {
      await live().site.call('delete_option', ['wecoza_sidecar_probe_record_boot']);
    }
  });

  it('makes one store and one logger, the DB store and DB logger', async () => {
    assert.deepEqual(await live().site.call('wecoza_sidecar_probe_classes'), {
      store: 'ActionScheduler_DBStore',
      inner_store: null,
      logger: 'ActionScheduler_DBLogger',
      runner: 'ActionScheduler_QueueRunner',
      same_store: true,
      initialized: true,
    });
  });
});

describe('as_schedule_single_action', { skip }, () => {
  it('stores the exact timestamp and hook and answers the new id', async () => {
    const hook = uniqueHook('single');
    const when = now() + 3600;
    const actionId = id(await live().site.call('as_schedule_single_action', [when, hook]));
    const view = await live().action(actionId);
    assert.equal(view.status, 'pending');
    assert.equal(view.action.class, 'ActionScheduler_Action');
    assert.equal(view.action.schedule, 'ActionScheduler_SimpleSchedule');
    assert.equal(view.action.hook, hook);
    assert.deepEqual(view.action.date, at(when));
    assert.deepEqual(view.logs, ['action created']);
  });

  it('answers 0 for a second unique call with the same hook and group, whatever its args', async () => {
    const hook = uniqueHook('single_unique');
    const when = now() + 3600;
    id(await live().site.call('as_schedule_single_action', [when, hook, [1], 'g', true]));
    assert.equal(await live().site.call('as_schedule_single_action', [when, hook, [2], 'g', true]), 0);
    id(await live().site.call('as_schedule_single_action', [when, hook, [2], 'other-group', true]));
    id(await live().site.call('as_schedule_single_action', [when, hook, [1], 'g', false]));
  });

  it('answers 0 and logs the store error when the args are longer than 8,000 characters of JSON', async () => {
    const hook = uniqueHook('too_long');
    assert.equal(await live().site.call('as_schedule_single_action', [now(), hook, ['x'.repeat(8100)]]), 0);
    assert.match(await live().site.debugLog(), new RegExp(`Caught exception while enqueuing action "${hook}": Error saving action: `));
    assert.equal(await live().site.call('as_has_scheduled_action', [hook]), false);
  });
});

describe('as_enqueue_async_action', { skip }, () => {
  it('stores an action without a date whose row is dated now', async () => {
    const hook = uniqueHook('async');
    const before = now();
    const actionId = id(await live().site.call('as_enqueue_async_action', [hook, { a: 1 }, 'g']));
    const view = await live().action(actionId);
    assert.equal(view.action.schedule, 'ActionScheduler_NullSchedule');
    assert.equal(view.action.date, null);
    assert.deepEqual(view.action.args, { a: 1 });
    const stored = await live().value<ProbeDateLike>('store:get_date', [actionId]);
    assert.ok(stored['@date'] >= before && stored['@date'] <= now() + 1, `row dated ${stored['@date']}`);
  });

  it('answers 0 for a second unique enqueue and passes $unique to its pre filter', async () => {
    const hook = uniqueHook('async_unique');
    const first = await live().probe('as_enqueue_async_action', [hook, [], '', true, 5]);
    id(first.result);
    assert.deepEqual(first.pre, [['pre_as_enqueue_async_action', [hook, [], '', 5, true]]]);
    assert.equal(await live().site.call('as_enqueue_async_action', [hook, [], '', true]), 0);
    id(await live().site.call('as_enqueue_async_action', [hook, [], '', false]));
  });

  it('clamps the priority to 0..255', async () => {
    const high = id(await live().site.call('as_enqueue_async_action', [uniqueHook('prio'), [], '', false, 999]));
    const low = id(await live().site.call('as_enqueue_async_action', [uniqueHook('prio'), [], '', false, -4]));
    assert.equal((await live().action(high)).action.priority, 255);
    assert.equal((await live().action(low)).action.priority, 0);
  });
});

describe('pre_as_* filters', { skip }, () => {
  it('pass 3.8.2\'s arguments: no $unique for the single, recurring and cron functions', async () => {
    const hook = uniqueHook('pre');
    const single = await live().probe('as_schedule_single_action', [1_700_000_000, hook, ['a'], 'g', true, 3]);
    const recurring = await live().probe('as_schedule_recurring_action', [1_700_000_000, 60, hook, ['a'], 'g', true, 3]);
    const cron = await live().probe('as_schedule_cron_action', [1_700_000_000, '0 * * * *', hook, ['a'], 'g', true, 3]);
    assert.deepEqual(single.pre, [['pre_as_schedule_single_action', [1_700_000_000, hook, ['a'], 'g', 3]]]);
    assert.deepEqual(recurring.pre, [['pre_as_schedule_recurring_action', [1_700_000_000, 60, hook, ['a'], 'g', 3]]]);
    assert.deepEqual(cron.pre, [['pre_as_schedule_cron_action', [1_700_000_000, '0 * * * *', hook, ['a'], 'g', 3]]]);
  });

  it('short-circuit the store: an int answer is returned, any other non-null answer becomes 0', async () => {
    const hook = uniqueHook('pre_answer');
    try {
      await live().site.call('update_option', ['wecoza_sidecar_probe_pre_answer', '4242']);
      assert.equal(await live().site.call('as_enqueue_async_action', [hook]), 4242);
      assert.equal(await live().site.call('as_schedule_single_action', [now(), hook]), 4242);
      await live().site.call('update_option', ['wecoza_sidecar_probe_pre_answer', '"4242"']);
      assert.equal(await live().site.call('as_schedule_recurring_action', [now(), 60, hook]), 0);
      assert.equal(await live().site.call('as_schedule_cron_action', [now(), '* * * * *', hook]), 0);
    } finally {
      await live().site.call('delete_option', ['wecoza_sidecar_probe_pre_answer']);
    }
    assert.deepEqual(await live().site.call('as_get_scheduled_actions', [{ hook, per_page: -1 }, 'ids']), [], 'nothing reached the store');
  });
});

describe('as_schedule_recurring_action', { skip }, () => {
  it('starts at the timestamp and repeats by the interval after a later moment', async () => {
    const when = now() + 60;
    const actionId = id(await live().site.call('as_schedule_recurring_action', [when, 3600, uniqueHook('recurring')]));
    const view = await live().action(actionId);
    assert.equal(view.action.schedule, 'ActionScheduler_IntervalSchedule');
    assert.deepEqual(view.action.date, at(when));
    assert.equal(view.action.recurrence, 3600);
    assert.deepEqual(await live().site.call('wecoza_sidecar_probe_next', [actionId, when + 2]), at(when + 3600 + 2));
    assert.deepEqual(await live().site.call('wecoza_sidecar_probe_next', [actionId, when - 10]), at(when), 'run early: same date');
  });

  it('accepts whole-number intervals in any type and refuses others with 0', async () => {
    const hook = uniqueHook('intervals');
    id(await live().site.call('as_schedule_recurring_action', [now(), 1, hook]));
    id(await live().site.call('as_schedule_recurring_action', [now(), '10', hook]));
    assert.equal(await live().site.call('as_schedule_recurring_action', [now(), 'nonsense', hook]), 0);
    assert.equal(await live().site.call('as_schedule_recurring_action', [now(), 123.456, hook]), 0);
    const single = id(await live().site.call('as_schedule_recurring_action', [now(), 0, hook]));
    assert.equal((await live().action(single)).action.schedule, 'ActionScheduler_SimpleSchedule', 'interval 0 schedules a single action');
  });
});

describe('as_schedule_cron_action', { skip }, () => {
  it('snaps to the first match at or after the timestamp, in UTC, and repeats yearly for 0 0 10 10 *', async () => {
    const base = Date.UTC(2014, 0, 1) / 1000;
    const actionId = id(await live().site.call('as_schedule_cron_action', [base, '0 0 10 10 *', uniqueHook('cron')]));
    const view = await live().action(actionId);
    assert.equal(view.action.schedule, 'ActionScheduler_CronSchedule');
    assert.deepEqual(view.action.date, at(Date.UTC(2014, 9, 10) / 1000));
    assert.deepEqual(view.action.first_date, at(base));
    assert.equal(view.action.recurrence, '0 0 10 10 *');
    assert.deepEqual(await live().site.call('wecoza_sidecar_probe_next', [actionId, Date.UTC(2015, 0, 2) / 1000]), at(Date.UTC(2015, 9, 10) / 1000));
  });

  it('lets the exception of an unreadable expression out, before anything is stored', async () => {
    const hook = uniqueHook('cron_bad');
    const reply = await live().probe('as_schedule_cron_action', [now(), 'not a cron', hook]);
    assert.match(reply.error ?? '', /^InvalidArgumentException: /);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook]), false);
  });

  it('answers 0 for a second unique call', async () => {
    const hook = uniqueHook('cron_unique');
    id(await live().site.call('as_schedule_cron_action', [now(), '@daily', hook, [], '', true]));
    assert.equal(await live().site.call('as_schedule_cron_action', [now(), '@hourly', hook, [], '', true]), 0);
  });
});

describe('as_next_scheduled_action', { skip }, () => {
  it('answers the timestamp of a pending recurring action', async () => {
    const hook = uniqueHook('next');
    const tomorrow = now() + DAY;
    id(await live().site.call('as_schedule_recurring_action', [tomorrow, 3600, hook]));
    assert.equal(await live().site.call('as_next_scheduled_action', [hook]), tomorrow);
  });

  it('answers true for a pending async action and false once it is complete, failed or canceled', async () => {
    for (const finish of ['store:mark_complete', 'store:mark_failure', 'store:cancel_action']) {
      const hook = uniqueHook('next_async');
      const actionId = id(await live().site.call('as_enqueue_async_action', [hook]));
      assert.equal(await live().site.call('as_next_scheduled_action', [hook]), true);
      await live().value(finish, [actionId]);
      assert.equal(await live().site.call('as_next_scheduled_action', [hook]), false, `after ${finish}`);
    }
  });

  it('answers true while a matching action is in progress, even with a dated one pending', async () => {
    const hook = uniqueHook('next_running');
    const running = id(await live().site.call('as_schedule_single_action', [now() + 50, hook]));
    id(await live().site.call('as_schedule_single_action', [now() + 90, hook]));
    await live().value('store:log_execution', [running]);
    assert.equal(await live().site.call('as_next_scheduled_action', [hook]), true);
  });
});

describe('as_unschedule_action', { skip }, () => {
  for (const [args, group] of [[[], ''], [['r1', 'r2'], ''], [[], 'test_group'], [['r1', 'r2'], 'test_group']] as const) {
    it(`cancels the earliest pending match only, args ${JSON.stringify(args)} group "${group}"`, async () => {
      const hook = uniqueHook('unschedule');
      const t = now() + 600;
      const first = id(await live().site.call('as_schedule_single_action', [t, hook, args, group]));
      const second = id(await live().site.call('as_schedule_single_action', [t + 1, hook, args, group]));
      assert.equal(await live().site.call('as_unschedule_action', [hook, args, group]), first);
      const canceled = await live().action(first);
      assert.equal(canceled.status, 'canceled');
      assert.equal(canceled.action.class, 'ActionScheduler_CanceledAction');
      assert.deepEqual(canceled.action.date, at(t), 'the canceled action keeps its date');
      assert.deepEqual(await live().site.call('wecoza_sidecar_probe_next', [first, t + 10]), null);
      assert.equal(canceled.logs.at(-1), 'action canceled');
      assert.equal((await live().action(second)).status, 'pending');
      assert.equal(await live().site.call('as_next_scheduled_action', [hook, args, group]), t + 1);
    });
  }

  it('answers null when nothing matches, and by default matches only actions without args', async () => {
    const hook = uniqueHook('unschedule_args');
    id(await live().site.call('as_enqueue_async_action', [hook, ['x']]));
    assert.equal(await live().site.call('as_unschedule_action', [hook]), null);
    id(await live().site.call('as_unschedule_action', [hook, null]));
  });
});

describe('as_unschedule_all_actions', { skip }, () => {
  for (const [args, group] of [[[], ''], [['r1', 'r2'], ''], [[], 'test_group'], [['r1', 'r2'], 'test_group']] as const) {
    it(`cancels every identical pending action, args ${JSON.stringify(args)} group "${group}"`, async () => {
      const hook = uniqueHook('unschedule_all');
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(id(await live().site.call('as_schedule_single_action', [now() + 600, hook, args, group])));
      assert.equal(await live().site.call('as_unschedule_all_actions', [hook, args, group]), null);
      for (const actionId of ids) assert.equal((await live().action(actionId)).status, 'canceled');
      assert.equal(await live().site.call('as_next_scheduled_action', [hook]), false);
    });
  }

  it('cancels every pending action of a group, any hook and args, leaving running ones', async () => {
    const group = uniqueHook('group');
    const a = id(await live().site.call('as_enqueue_async_action', [uniqueHook('g1'), [1], group]));
    const b = id(await live().site.call('as_enqueue_async_action', [uniqueHook('g2'), [2], group]));
    const running = id(await live().site.call('as_enqueue_async_action', [uniqueHook('g3'), [], group]));
    await live().value('store:log_execution', [running]);
    await live().site.call('as_unschedule_all_actions', ['', [], group]);
    assert.deepEqual([(await live().action(a)).status, (await live().action(b)).status, (await live().action(running)).status], ['canceled', 'canceled', 'in-progress']);
    assert.equal((await live().action(a)).logs.at(-1), 'action canceled');
  });
});

describe('as_has_scheduled_action', { skip }, () => {
  it('is true for pending and in-progress actions only', async () => {
    const hook = uniqueHook('has');
    const actionId = id(await live().site.call('as_enqueue_async_action', [hook]));
    assert.equal(await live().site.call('as_has_scheduled_action', [hook]), true);
    assert.equal(await live().site.call('as_has_scheduled_action', [uniqueHook('other')]), false);
    await live().value('store:log_execution', [actionId]);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook]), true);
    await live().value('store:mark_complete', [actionId]);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook]), false);
    const failed = id(await live().site.call('as_enqueue_async_action', [hook]));
    await live().value('store:mark_failure', [failed]);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook]), false);
  });

  it('matches args exactly when given, and any args when null', async () => {
    const hook = uniqueHook('has_args');
    id(await live().site.call('as_enqueue_async_action', [hook, ['a']]));
    assert.equal(await live().site.call('as_has_scheduled_action', [hook]), true);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook, ['b']]), false);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook, ['a']]), true);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook, []]), false);
  });

  it('matches the group, with any args or with the empty args the action has', async () => {
    const hook = uniqueHook('has_group');
    id(await live().site.call('as_enqueue_async_action', [hook, [], 'group_1']));
    assert.equal(await live().site.call('as_has_scheduled_action', [hook, null, 'group_1']), true);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook, [], 'group_1']), true);
    assert.equal(await live().site.call('as_has_scheduled_action', [hook, null, 'group_2']), false);
  });
});

type ProbeDateLike = { '@date': number };

describe('as_get_scheduled_actions', { skip }, () => {
  // 3.8's fixture: 10 hooks × 10 args, dates -3 … +6 days from now, groups rotated.
  const hooks = Array.from({ length: 10 }, () => uniqueHook('q'));
  const argsOf = Array.from({ length: 10 }, (_, j) => `arg_${j}_${Math.random().toString(36).slice(2)}`);
  const groups = Array.from({ length: 10 }, () => uniqueHook('qg'));
  let midnight = 0;
  const ids = async (query: Record<string, unknown>): Promise<string[]> => live().site.call<string[]>('as_get_scheduled_actions', [{ per_page: -1, ...query }, 'ids']);
  const ours = (found: string[], all: Set<string>): string[] => found.filter((x) => all.has(x));
  const created = new Set<string>();

  it('creates the 100 actions of 3.8\'s query fixture', async () => {
    const start = now();
    midnight = Math.floor(start / DAY) * DAY;
    const calls: Array<[string, unknown[]]> = [];
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) calls.push(['as_schedule_single_action', [start + (j - 3) * DAY, hooks[i], [argsOf[j]], groups[(i + j) % 10]]]);
    }
    for (const reply of await live().batch(calls)) created.add(String(id(reply.result)));
    assert.equal(created.size, 100);
  });

  it('filters by date with <= by default and with date_compare >=', async () => {
    assert.equal(ours(await ids({ date: midnight }), created).length, 30);
    assert.equal(ours(await ids({ date: midnight, date_compare: '>=' }), created).length, 70);
  });

  it('filters by hook, and by hook and date', async () => {
    assert.equal((await ids({ hook: hooks[2] })).length, 10);
    assert.equal((await ids({ hook: hooks[2], date: midnight })).length, 3);
  });

  it('filters by exact args, alone and with hook and date', async () => {
    assert.equal((await ids({ args: [argsOf[5]] })).length, 10);
    assert.equal((await ids({ args: [argsOf[5]], hook: hooks[3] })).length, 1);
    assert.equal((await ids({ args: [argsOf[5]], hook: hooks[3], date: midnight })).length, 0);
  });

  it('filters by group, and by group and hook', async () => {
    assert.equal((await ids({ group: groups[1] })).length, 10);
    assert.equal((await ids({ group: groups[1], hook: hooks[2] })).length, 1);
    assert.deepEqual(await ids({ group: uniqueHook('no_such_group') }), []);
  });

  it('answers ids as strings, five by default, and action objects keyed by id for OBJECT', async () => {
    const five = await live().site.call<string[]>('as_get_scheduled_actions', [{ hook: hooks[4] }, 'ids']);
    assert.equal(five.length, 5);
    assert.ok(five.every((x) => typeof x === 'string' && created.has(x)));
    const objects = await live().value<Record<string, ProbeAction>>('as_get_scheduled_actions', [{ hook: hooks[4], per_page: 2 }]);
    assert.deepEqual(Object.keys(objects), five.slice(0, 2));
    assert.ok(Object.values(objects).every((action) => action.class === 'ActionScheduler_Action' && action.hook === hooks[4]));
  });

  it('answers an empty array per action for ARRAY_A, as 3.8 does', async () => {
    const rows = await live().site.call<Record<string, unknown>>('as_get_scheduled_actions', [{ hook: hooks[5], per_page: 2 }, 'ARRAY_A']);
    assert.equal(Object.keys(rows).length, 2);
    assert.deepEqual(Object.values(rows), [[], []]);
  });

  it('answers the action class of each status', async () => {
    const hook = uniqueHook('classes');
    const [pending, running, complete, failed, canceled] = await Promise.all([0, 1, 2, 3, 4].map(async () => id(await live().site.call('as_schedule_single_action', [now() + 999, hook]))));
    await live().batch([['store:log_execution', [running]], ['store:mark_complete', [complete]], ['store:mark_failure', [failed]], ['store:cancel_action', [canceled]]]);
    const objects = await live().value<Record<string, ProbeAction>>('as_get_scheduled_actions', [{ hook, per_page: -1 }]);
    assert.deepEqual(
      [pending, running, complete, failed, canceled].map((x) => [objects[String(x)]?.class, objects[String(x)]?.schedule]),
      [
        ['ActionScheduler_Action', 'ActionScheduler_SimpleSchedule'],
        ['ActionScheduler_FinishedAction', 'ActionScheduler_SimpleSchedule'],
        ['ActionScheduler_FinishedAction', 'ActionScheduler_SimpleSchedule'],
        ['ActionScheduler_FinishedAction', 'ActionScheduler_SimpleSchedule'],
        ['ActionScheduler_CanceledAction', 'ActionScheduler_CanceledSchedule'],
      ],
    );
  });
});
