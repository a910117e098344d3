/**
 * The stand-in's ActionScheduler_DBStore and ActionScheduler_DBLogger keep 3.8's semantics: the
 * cases of its store and logger tests (reference action-scheduler.md §5.3, §5.4, §5.7) and every
 * query_actions() key, called through the store API as Action Scheduler's own callers call it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, now, uniqueHook, useStandInSite, type ProbeDate } from './support/stand-in.ts';

const { skip, live } = await useStandInSite('standin.db-store');

const HOUR = 3600;

async function single(when: number, hook: string, args: unknown = [], group = '', priority = 10): Promise<number> {
  const created = await live().site.call<number>('as_schedule_single_action', [when, hook, args, group, false, priority]);
  assert.ok(created > 0, `as_schedule_single_action returned ${created}`);
  return created;
}

async function query(queryArgs: Record<string, unknown>, type = 'select'): Promise<unknown> {
  return live().value('store:query_actions', [queryArgs, type]);
}

describe('ActionScheduler_DBStore::query_actions', { skip }, () => {
  it('answers ids as strings in creation order, a numeric string for count, and refuses another query type', async () => {
    const hook = uniqueHook('order');
    const first = await single(now() + HOUR, hook);
    const second = await single(now() + HOUR, hook);
    assert.deepEqual(await query({ hook, orderby: 'action_id' }), [String(first), String(second)]);
    assert.equal(await query({ hook }, 'count'), '2');
    const reply = await live().probe('store:query_actions', [{ hook }, 'delete']);
    assert.match(reply.error ?? '', /^InvalidArgumentException: /);
  });

  it('counts one status and a list of statuses', async () => {
    const hook = uniqueHook('statuses');
    const ids = [await single(now() + HOUR, hook), await single(now() + HOUR, hook), await single(now() + HOUR, hook), await single(now() + HOUR, hook)];
    await live().batch([['store:mark_complete', [ids[0]]], ['store:mark_failure', [ids[1]]]]);
    assert.equal(await query({ hook, status: 'pending' }, 'count'), '2');
    assert.equal(await query({ hook, status: 'complete' }, 'count'), '1');
    assert.equal(await query({ hook, status: ['pending', 'failed'] }, 'count'), '3');
    assert.equal(await query({ hook, status: ['pending', 'complete'] }, 'count'), '3');
  });

  it('sorts by date, hook, group, modified and id in either order, and leaves none unsorted', async () => {
    const tag = uniqueHook('sort');
    const base = now() + 10 * HOUR;
    const c = await single(base + 30, `${tag}_c`, [], `${tag}_a`);
    const a = await single(base + 10, `${tag}_a`, [], `${tag}_c`);
    const b = await single(base + 20, `${tag}_b`, [], `${tag}_b`);
    const mine = (ids: unknown): string[] => (ids as string[]).filter((x) => [a, b, c].map(String).includes(x));
    const search = { search: tag, per_page: -1 };
    assert.deepEqual(mine(await query({ ...search, orderby: 'date' })), [a, b, c].map(String));
    assert.deepEqual(mine(await query({ ...search, orderby: 'date', order: 'DESC' })), [c, b, a].map(String));
    assert.deepEqual(mine(await query({ ...search, orderby: 'hook' })), [a, b, c].map(String));
    assert.deepEqual(mine(await query({ ...search, orderby: 'group' })), [c, b, a].map(String));
    assert.deepEqual(mine(await query({ ...search, orderby: 'action_id', order: 'desc' })), [b, a, c].map(String));
    assert.deepEqual(mine(await query({ ...search, orderby: 'schedule' })), [a, b, c].map(String), "the list table's column name sorts by date");
    assert.deepEqual([...(mine(await query({ ...search, orderby: 'none' })) as string[])].sort(), [a, b, c].map(String).sort());
    await live().value('store:mark_complete', [b]);
    assert.deepEqual(mine(await query({ ...search, orderby: 'modified', order: 'DESC' }))[0], String(b));
  });

  it('pages with per_page and offset, and answers everything for per_page -1', async () => {
    const hook = uniqueHook('paging');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(String(await single(now() + HOUR + i, hook)));
    assert.deepEqual(await query({ hook }), ids.slice(0, 5), 'five by default');
    assert.deepEqual(await query({ hook, per_page: 3, offset: 3 }), ids.slice(3, 6));
    assert.deepEqual(await query({ hook, per_page: 3, offset: 6 }), ids.slice(6));
    assert.deepEqual(await query({ hook, per_page: -1 }), ids);
    assert.equal(await query({ hook, per_page: 2 }, 'count'), '7', 'count ignores paging');
  });

  it('matches args exactly, by LIKE pairs and by JSON values, and refuses an unknown mode', async () => {
    const hook = uniqueHook('args');
    const target = await single(now() + HOUR, hook, { log_id: 7, kind: 'email' });
    await single(now() + HOUR, hook, { kind: 'email', log_id: 7 });
    await single(now() + HOUR, hook, { log_id: 8, kind: 'email' });
    assert.deepEqual(await query({ hook, args: { log_id: 7, kind: 'email' } }), [String(target)], 'exact: key order matters');
    assert.equal((await query({ hook, args: { log_id: 7 }, partial_args_matching: 'like' }) as string[]).length, 2);
    assert.equal((await query({ hook, args: { log_id: 7 }, partial_args_matching: 'json' }) as string[]).length, 2);
    assert.match((await live().probe('store:query_actions', [{ hook, args: {}, partial_args_matching: 'fuzzy' }])).error ?? '', /^RuntimeException: /);
  });

  it('stores args longer than 191 characters in extended_args and still matches and searches them', async () => {
    const hook = uniqueHook('long_args');
    const long = { text: `needle-${'y'.repeat(300)}` };
    const created = await single(now() + HOUR, hook, long);
    assert.deepEqual((await live().action(created)).action.args, long);
    assert.deepEqual(await query({ hook, args: long }), [String(created)]);
    assert.deepEqual(await query({ hook, search: 'needle-yyy' }), [String(created)]);
  });

  it('filters by scheduled date, last attempt (modified), claim and search over hook, args and claim id', async () => {
    const hook = uniqueHook('filters');
    const past = await single(now() - HOUR, hook, ['findme-arg']);
    const future = await single(now() + HOUR, hook);
    assert.deepEqual(await query({ hook, date: at(now()) }), [String(past)]);
    assert.deepEqual(await query({ hook, date: at(now()), date_compare: '>' }), [String(future)]);
    assert.deepEqual(await query({ hook, date: at(now()), date_compare: 'LIKE' }), [], 'an unknown operator becomes =');
    const claim = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [10, at(now() + 2 * HOUR), [hook]]);
    assert.deepEqual(claim.actions, [past, future]);
    assert.deepEqual(await query({ hook, claimed: true }), [String(past), String(future)]);
    assert.deepEqual(await query({ hook, claimed: false }), []);
    assert.deepEqual(await query({ hook, claimed: claim.claim_id }), [String(past), String(future)]);
    assert.deepEqual(await query({ hook, modified: at(now() - 3 * HOUR) }), [], 'claimed just now');
    assert.deepEqual(await query({ search: String(claim.claim_id), hook }), [String(past), String(future)]);
    assert.deepEqual(await query({ search: 'findme-arg' }), [String(past)]);
    assert.equal(await live().site.call('wecoza_sidecar_probe_release_claim', [claim.claim_id]), true);
    assert.deepEqual(await query({ hook, claimed: true }), []);
  });
});

describe('ActionScheduler_DBStore::save_unique_action', { skip }, () => {
  it('blocks on a pending or running action of the same hook and group, ignoring args, date and schedule', async () => {
    const hook = uniqueHook('unique');
    const first = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, hook, { foo: 'bar' }, '', true]);
    assert.ok(first > 0);
    assert.equal(await live().site.call('as_enqueue_async_action', [hook, [], '', true]), 0, '[] args blocked by {"foo":"bar"}');
    assert.ok((await live().site.call<number>('as_enqueue_async_action', [hook, [], 'group2', true])) > 0, 'another group is another slot');
    assert.equal(await live().site.call('as_enqueue_async_action', [hook, [], 'group2', true]), 0);
    await live().value('store:log_execution', [first]);
    assert.equal(await live().site.call('as_enqueue_async_action', [hook, [], '', true]), 0, 'in-progress still blocks');
    await live().value('store:mark_complete', [first]);
    const next = await live().site.call<number>('as_enqueue_async_action', [hook, [], '', true]);
    assert.ok(next > 0, 'complete does not block');
    assert.deepEqual((await live().action(next)).logs, ['action created']);
  });
});

describe('ActionScheduler_DBStore claims', { skip }, () => {
  it('claims only due actions, by priority then date then id, and a second claim gets none while the first holds them', async () => {
    const hook = uniqueHook('claim');
    const t = now();
    const future = [await single(t + 3 * HOUR, hook), await single(t + 2 * HOUR, hook), await single(t + HOUR, hook)];
    const due = [await single(t - 2 * HOUR, hook), await single(t - HOUR, hook), await single(t - HOUR, hook, [], '', 5)];
    const claim = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [10, null, [hook]]);
    assert.deepEqual(claim.actions, [due[2], due[0], due[1]], 'priority 5 first, then oldest, then id');
    assert.ok(!claim.actions.some((x) => future.includes(x)));
    assert.deepEqual(await live().value('store:find_actions_by_claim_id', [claim.claim_id]), claim.actions);
    assert.equal(await live().value('store:get_claim_id', [due[0]]), claim.claim_id);
    const second = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [10, null, [hook]]);
    assert.deepEqual(second.actions, []);
    assert.ok(second.claim_id > claim.claim_id, 'a claims row is made even when nothing is claimed');
    assert.ok((await live().value<number>('store:get_claim_count')) >= 1);
    assert.equal(await live().site.call('wecoza_sidecar_probe_release_claim', [claim.claim_id]), true);
    const third = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [2, null, [hook]]);
    assert.deepEqual(third.actions, [due[2], due[0]], 'released and claimable again, up to the batch size');
    await live().site.call('wecoza_sidecar_probe_release_claim', [third.claim_id]);
  });

  it('claims by group, and refuses a group that does not exist', async () => {
    const hook = uniqueHook('claim_group');
    const group = uniqueHook('cg');
    const inGroup = await single(now() - 60, hook, [], group);
    await single(now() - 60, hook, [], `${group}_other`);
    const claim = await live().value<{ claim_id: number; actions: number[] }>('store:stake_claim', [10, null, [hook], group]);
    assert.deepEqual(claim.actions, [inGroup]);
    await live().site.call('wecoza_sidecar_probe_release_claim', [claim.claim_id]);
    assert.match((await live().probe('store:stake_claim', [10, null, [], uniqueHook('nope')])).error ?? '', /^InvalidArgumentException: The group ".*" does not exist\.$/);
  });
});

describe('ActionScheduler_DBStore lookups and changes', { skip }, () => {
  it('finds the earliest pending action, by args and group, and the latest of another status', async () => {
    const hook = uniqueHook('find');
    const late = await single(now() + 2 * HOUR, hook, [1]);
    const early = await single(now() + HOUR, hook, [2], 'fg');
    assert.equal(await live().value('store:find_action', [hook]), String(early));
    assert.equal(await live().value('store:find_action', [hook, { args: [1] }]), String(late));
    assert.equal(await live().value('store:find_action', [hook, { args: [17] }]), null);
    assert.equal(await live().value('store:find_action', [hook, { group: 'fg' }]), String(early));
    await live().batch([['store:cancel_action', [late]], ['store:cancel_action', [early]]]);
    assert.equal(await live().value('store:find_action', [hook, { status: 'canceled' }]), String(late));
  });

  it('dates a pending action by its schedule and a finished one by its last attempt', async () => {
    const when = now() + 5 * HOUR;
    const actionId = await single(when, uniqueHook('date'));
    assert.deepEqual(await live().value('store:get_date', [actionId]), at(when));
    await live().value('store:mark_complete', [actionId]);
    const done = await live().value<ProbeDate>('store:get_date', [actionId]);
    assert.ok(Math.abs(done['@date'] - now()) <= 2, `completed at ${done['@date']}`);
  });

  it('answers the same moments whatever the site time zone, which only moves the local columns', async () => {
    const hook = uniqueHook('zone');
    const when = now() + 7 * HOUR;
    await live().site.call('update_option', ['timezone_string', 'Pacific/Fiji']);
    try {
      const actionId = await single(when, hook);
      assert.deepEqual(await live().value('store:get_date', [actionId]), at(when));
      assert.equal(await live().site.call('as_next_scheduled_action', [hook]), when);
      assert.deepEqual(await live().site.call('wecoza_sidecar_probe_local_dates', [actionId]), {
        gmt: new Date(when * 1000).toISOString().slice(0, 19).replace('T', ' '),
        local: new Date((when + 12 * HOUR) * 1000).toISOString().slice(0, 19).replace('T', ' '),
      });
    } finally {
      await live().site.call('update_option', ['timezone_string', '']);
    }
  });

  it('fetches a NullAction for an unknown id and throws for its status', async () => {
    const view = await live().action(999_999_999);
    assert.equal(view.action.class, 'ActionScheduler_NullAction');
    assert.equal(view.action.hook, '');
    assert.equal(view.action.date, null);
    assert.match((await live().probe('store:get_status', [999_999_999])).error ?? '', /^InvalidArgumentException: /);
    assert.match((await live().probe('store:get_date', [999_999_999])).error ?? '', /^InvalidArgumentException: /);
    assert.match((await live().probe('store:delete_action', [999_999_999])).error ?? '', /^InvalidArgumentException: /);
  });

  it('deletes an action with its log lines', async () => {
    const actionId = await single(now() + HOUR, uniqueHook('delete'));
    await live().value('store:delete_action', [actionId]);
    const view = await live().action(actionId);
    assert.equal(view.action.class, 'ActionScheduler_NullAction');
    assert.deepEqual(view.logs, []);
  });

  it('cancels by hook and by group in bulk, logging "action canceled" for each', async () => {
    const hook = uniqueHook('bulk');
    const group = uniqueHook('bulk_group');
    const byHook = [await single(now() + HOUR, hook, [1], 'a'), await single(now() + HOUR, hook, [2], 'b'), await single(now() + HOUR, hook, [3])];
    const byGroup = [await single(now() + HOUR, uniqueHook('x'), [], group), await single(now() + HOUR, uniqueHook('y'), [], group), await single(now() + HOUR, uniqueHook('z'), [], group)];
    await live().value('store:cancel_actions_by_hook', [hook]);
    await live().value('store:cancel_actions_by_group', [group]);
    for (const actionId of [...byHook, ...byGroup]) {
      const view = await live().action(actionId);
      assert.equal(view.status, 'canceled');
      assert.deepEqual(view.logs, ['action created', 'action canceled']);
    }
  });

  it('counts actions per status with numeric strings and adds past-due in the extra counts', async () => {
    await single(now() - 120, uniqueHook('past_due'));
    const counts = await live().value<Record<string, string>>('store:action_counts');
    assert.ok(Object.keys(counts).every((status) => ['pending', 'in-progress', 'complete', 'failed', 'canceled'].includes(status)));
    assert.ok(Object.values(counts).every((count) => /^\d+$/.test(count)), JSON.stringify(counts));
    const extra = await live().value<Record<string, number>>('store:extra_action_counts');
    assert.ok((extra['past-due'] ?? 0) >= 1, JSON.stringify(extra));
    assert.equal(await live().value('store:has_pending_actions_due'), true);
  });
});

describe('ActionScheduler_DBLogger', { skip }, () => {
  it('logs created, started and complete through process_action with its context', async () => {
    const actionId = await single(now() - 5, 'wecoza_test_hook', ['logger-ok']);
    await live().value('runner:process_action', [actionId, 'Unit Tests']);
    const view = await live().action(actionId);
    assert.equal(view.status, 'complete');
    assert.deepEqual(view.logs, ['action created', 'action started via Unit Tests', 'action complete via Unit Tests']);
  });

  it('logs the failure message of a throwing callback', async () => {
    const actionId = await single(now() - 5, 'wecoza_test_throw', ['logger-fail']);
    await live().value('runner:process_action', [actionId, 'Unit Tests']);
    const view = await live().action(actionId);
    assert.equal(view.status, 'failed');
    assert.deepEqual(view.logs, ['action created', 'action started via Unit Tests', 'action failed via Unit Tests: wecoza_test_throw failed on purpose']);
  });

  it('reads a line back by its id, and a NullLogEntry for an unknown one', async () => {
    const actionId = await single(now() + HOUR, uniqueHook('entry'));
    const entryId = await live().value<number>('logger:log', [actionId, 'a line of its own']);
    const entry = await live().value<{ message: string; date: ProbeDate }>('logger:get_entry', [entryId]);
    assert.equal(entry.message, 'a line of its own');
    assert.ok(Math.abs(entry.date['@date'] - now()) <= 2);
    assert.deepEqual(await live().value('logger:get_entry', [999_999_999]), { message: '', date: null });
    assert.equal(await live().site.call('wecoza_sidecar_probe_entry_class', [999_999_999]), 'ActionScheduler_NullLogEntry');
  });
});
