/**
 * A plugin that filters action_scheduler_store_class above priority 100 and wraps the class it is
 * given (as the bridge's store does) becomes ActionScheduler::store(), and the stand-in then calls
 * it exactly as the store reference's table lists (action-scheduler-store.md §1, §3): every as_*
 * function, the WP-Cron runner with its cleaner, and the admin screen. The probe plugin's recording
 * store delegates to the DB store and records each call.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { now, uniqueHook, useStandInSite, type StoreCall } from './support/stand-in.ts';

const { skip, live } = await useStandInSite('standin.store-class');

const HOUR = 3600;
const methods = (calls: StoreCall[]): string[] => calls.map(([method]) => method);

interface KeptRequest {
  uri: string;
  calls: StoreCall[];
}

/** Store calls made by the web requests matching `uri` since the last reset (store init left out). */
async function keptCalls(uri: RegExp): Promise<StoreCall[]> {
  const kept = await live().site.call<KeptRequest[]>('wecoza_sidecar_probe_kept_calls');
  return kept.filter((request) => uri.test(request.uri)).flatMap((request) => request.calls).filter(([method]) => method !== 'init');
}

async function keepCalls(): Promise<void> {
  await live().site.call('delete_option', ['wecoza_sidecar_probe_kept_calls']);
  await live().site.call('update_option', ['wecoza_sidecar_probe_keep_calls', '1']);
}

describe('action_scheduler_store_class filtered above 100', { skip }, () => {
  before(async () => {
    if (skip === undefined) await live().site.call('update_option', ['wecoza_sidecar_probe_wrap_store', '1']);
  });

  it('hands the wrapper the DB store class at plugins_loaded 1, and ActionScheduler::store() is the wrapper', async () => {
    assert.deepEqual(await live().site.call('wecoza_sidecar_probe_classes'), {
      store: 'WeCoza_Sidecar_Probe_Store',
      inner_store: 'ActionScheduler_DBStore',
      logger: 'ActionScheduler_DBLogger',
      runner: 'ActionScheduler_QueueRunner',
      same_store: true,
      initialized: true,
    });
    await live().site.call('update_option', ['wecoza_sidecar_probe_record_boot', '1']);
    try {
      const log = await live().site.call<Array<[string, ...unknown[]]>>('wecoza_sidecar_probe_boot_log');
      assert.deepEqual(
        log.filter(([event]) => ['store_class_filter', 'init 0', 'store init', 'action_scheduler_init', 'init 2'].includes(event)),
        [['store_class_filter', 'ActionScheduler_DBStore', 1], ['init 0', false], ['store init', 1], ['action_scheduler_init', 1], ['init 2', true]],
      );
      const early = log.find(([event]) => event === 'early_answers')?.[1] as { store_class: string };
      assert.equal(early.store_class, 'WeCoza_Sidecar_Probe_Store', 'made before WordPress init, once');
    } finally {
      await live().site.call('delete_option', ['wecoza_sidecar_probe_record_boot']);
    }
  });

  it('stores through save_action, or save_unique_action when unique', async () => {
    const hook = uniqueHook('save');
    const plain = await live().probe<number>('as_enqueue_async_action', [hook, ['a'], 'g']);
    assert.deepEqual(methods(plain.calls), ['save_action']);
    assert.equal((plain.calls[0]?.[1][0] as { hook: string; schedule: string }).schedule, 'ActionScheduler_NullSchedule');
    const unique = await live().probe<number>('as_schedule_single_action', [now() + HOUR, hook, ['b'], 'g2', true, 4]);
    assert.deepEqual(methods(unique.calls), ['save_unique_action']);
    assert.deepEqual(unique.calls[0]?.[1].length, 1, 'the action only, no date');
    assert.equal((unique.calls[0]?.[1][0] as { priority: number }).priority, 4);
    assert.ok(plain.result > 0 && unique.result > 0);
  });

  it('answers as_has_scheduled_action with one query_action', async () => {
    const hook = uniqueHook('has');
    const reply = await live().probe('as_has_scheduled_action', [hook, ['x'], 'g']);
    assert.deepEqual(reply.calls, [['query_action', [{ hook, status: ['in-progress', 'pending'], group: 'g', orderby: 'none', args: ['x'] }]]]);
    assert.equal(reply.result, false);
  });

  it('answers as_next_scheduled_action with query_action for in-progress, then pending, then fetch_action', async () => {
    const hook = uniqueHook('next');
    const actionId = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, hook]);
    const reply = await live().probe('as_next_scheduled_action', [hook]);
    const query = { hook, orderby: 'date', order: 'ASC', group: '' };
    assert.deepEqual(reply.calls, [
      ['query_action', [{ ...query, status: 'in-progress' }]],
      ['query_action', [{ ...query, status: 'pending' }]],
      ['fetch_action', [actionId]],
    ]);
  });

  it('unschedules with query_action then cancel_action, and unschedules all through the bulk cancels or a loop', async () => {
    const hook = uniqueHook('unschedule');
    const actionId = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, hook]);
    const one = await live().probe('as_unschedule_action', [hook]);
    assert.deepEqual(one.calls, [['query_action', [{ hook, status: 'pending', orderby: 'date', order: 'ASC', group: '', args: [] }]], ['cancel_action', [actionId]]]);
    assert.deepEqual(methods((await live().probe('as_unschedule_all_actions', [hook])).calls), ['cancel_actions_by_hook']);
    assert.deepEqual(methods((await live().probe('as_unschedule_all_actions', ['', [], 'some-group'])).calls), ['cancel_actions_by_group']);
    await live().site.call('as_schedule_single_action', [now() + HOUR, hook, [1]]);
    assert.deepEqual(methods((await live().probe('as_unschedule_all_actions', [hook, [1]])).calls), ['query_action', 'cancel_action', 'query_action']);
  });

  it('answers as_get_scheduled_actions with query_actions, then fetch_action per id for OBJECT', async () => {
    const hook = uniqueHook('get');
    await live().site.call('as_schedule_single_action', [now() + HOUR, hook]);
    await live().site.call('as_schedule_single_action', [now() + HOUR, hook]);
    const when = now() + 2 * HOUR;
    const reply = await live().probe('as_get_scheduled_actions', [{ hook, date: when }]);
    assert.deepEqual(methods(reply.calls), ['query_actions', 'fetch_action', 'fetch_action']);
    assert.deepEqual(reply.calls[0], ['query_actions', [{ hook, date: { '@date': when } }]], 'the timestamp reaches the store as a DateTime');
  });

  it('is claimed and run by the WP-Cron runner through stake_claim(25) and process_action, after the cleaner\'s queries', async () => {
    const actionId = await live().site.call<number>('as_schedule_single_action', [now() - 5, 'wecoza_test_hook', ['wrapped-run']]);
    await keepCalls();
    try {
      await live().runWpCron();
    } finally {
      await live().site.call('delete_option', ['wecoza_sidecar_probe_keep_calls']);
    }
    const calls = await keptCalls(/wp-cron\.php/);
    const cleaning = calls.slice(0, calls.findIndex(([method]) => method === 'get_claim_count'));
    assert.deepEqual(
      [...new Set(methods(cleaning))].sort(),
      methods(cleaning).includes('delete_action') ? ['delete_action', 'query_actions'] : ['query_actions'],
      'the cleaner only queries, and deletes what it found',
    );
    const cleaner = { modified_compare: '<=', orderby: 'none' };
    assert.deepEqual(cleaning.filter(([method]) => method === 'query_actions').map(([method, args]) => [method, { ...(args[0] as object), modified: undefined }]), [
      ['query_actions', { status: 'complete', ...cleaner, per_page: 20, modified: undefined }],
      ['query_actions', { status: 'canceled', ...cleaner, per_page: 20, modified: undefined }],
      ['query_actions', { status: 'pending', ...cleaner, claimed: true, per_page: 20, modified: undefined }],
      ['query_actions', { status: 'in-progress', ...cleaner, per_page: 20, modified: undefined }],
    ]);
    const rest = calls.slice(cleaning.length);
    assert.deepEqual(rest[0], ['get_claim_count', []]);
    assert.deepEqual(rest[1], ['stake_claim', [25]], 'the WP-Cron runner passes the batch size only');
    const runOf = rest.findIndex(([method, args]) => method === 'get_status' && args[0] === actionId);
    assert.deepEqual(methods(rest.slice(runOf, runOf + 4)), ['get_status', 'fetch_action', 'log_execution', 'mark_complete']);
    assert.ok(methods(rest).includes('find_actions_by_claim_id') && methods(rest).includes('release_claim'));
    assert.deepEqual(rest.at(-2)?.[0], 'stake_claim', 'a second batch is tried until one comes back empty');
    assert.deepEqual(rest.at(-1)?.[0], 'release_claim');
    assert.equal((await live().action(actionId)).status, 'complete');
  });

  it('re-reads the batch size on every batch', async () => {
    const tag = uniqueHook('batches');
    for (let i = 0; i < 5; i++) await live().site.call('as_schedule_single_action', [now() - 5, 'wecoza_test_hook', [tag, i]]);
    await live().setFilters({ action_scheduler_queue_runner_batch_size: 2 });
    await keepCalls();
    try {
      await live().runWpCron();
    } finally {
      await live().site.call('delete_option', ['wecoza_sidecar_probe_keep_calls']);
      await live().setFilters({});
    }
    const claims = (await keptCalls(/wp-cron\.php/)).filter(([method]) => method === 'stake_claim');
    assert.deepEqual(claims, [['stake_claim', [2]], ['stake_claim', [2]], ['stake_claim', [2]], ['stake_claim', [2]]]);
  });

  it('serves the admin screen with count and select queries, per-row lookups and the status counts', async () => {
    const hook = uniqueHook('screen');
    const ids = [await live().site.call<number>('as_schedule_single_action', [now() + HOUR, `${hook}_a`]), await live().site.call<number>('as_schedule_single_action', [now() + HOUR, `${hook}_b`])];
    await keepCalls();
    try {
      const response = await live().admin(`/wp-admin/tools.php?page=action-scheduler&s=${hook}&orderby=hook&order=desc`);
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    } finally {
      await live().site.call('delete_option', ['wecoza_sidecar_probe_keep_calls']);
    }
    const calls = await keptCalls(/page=action-scheduler/);
    const query = { per_page: 10, offset: 0, status: '', orderby: 'hook', order: 'DESC', search: hook };
    const select = calls.findIndex(([method, args]) => method === 'query_actions' && args.length === 1);
    assert.deepEqual(calls[select - 2], ['query_actions', [query, 'count']]);
    assert.deepEqual(calls[select - 1], ['get_status_labels', []]);
    assert.deepEqual(calls[select], ['query_actions', [query]]);
    const perRow = (actionId: number): StoreCall[] => [['fetch_action', [String(actionId)]], ['get_status', [String(actionId)]], ['get_status', [String(actionId)]], ['get_claim_id', [String(actionId)]]];
    assert.deepEqual(calls.slice(select + 1, select + 9), [...perRow(ids[1] as number), ...perRow(ids[0] as number)]);
    for (const method of ['get_claim_count', 'has_pending_actions_due', 'action_counts', 'extra_action_counts']) assert.ok(methods(calls).includes(method), `${method} called`);
  });

  it('runs a row from the admin screen through process_action on the store it wraps', async () => {
    const actionId = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, 'wecoza_test_hook', ['wrapped-admin-run']]);
    const html = await (await live().admin(`/wp-admin/tools.php?page=action-scheduler&s=wrapped-admin-run`)).text();
    const link = /<a href="([^"]*row_action=run[^"]*)"/.exec(html)?.[1]?.replace(/&#0?38;/g, '&');
    assert.ok(link, 'a Run link');
    await keepCalls();
    try {
      const response = await live().admin(link);
      assert.equal(response.status, 302);
      await response.arrayBuffer();
    } finally {
      await live().site.call('delete_option', ['wecoza_sidecar_probe_keep_calls']);
    }
    const calls = await keptCalls(/row_action=run/);
    const start = calls.findIndex(([method]) => method === 'get_status');
    assert.deepEqual(calls.slice(start, start + 4), [['get_status', [String(actionId)]], ['fetch_action', [String(actionId)]], ['log_execution', [String(actionId)]], ['mark_complete', [String(actionId)]]]);
    assert.deepEqual((await live().action(actionId)).logs.at(-1), 'action complete via Admin List Table');
  });
});
