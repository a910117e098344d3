/**
 * Tools › Scheduled Actions of the bridge's own, on a site without Action Scheduler, in headless
 * Chromium: 120 sidecar actions listed, searched and paged; Run and Cancel through the sidecar. With
 * Action Scheduler active the page does not exist (its own screen is the place then).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAccessible, chromiumSkipReason, clickAndLoad, launchBrowser, scanAccessibility, screenshot, type TestBrowser } from './support/browser.ts';
import { useBridgeStack } from './support/bridge-stack.ts';
import { ADMIN_PASSWORD, ADMIN_USER, waitFor } from './support/wordpress-site.ts';

const { skip: noWordPress, live } = await useBridgeStack('bridge.admin-scheduled-actions');
const skip = noWordPress ?? chromiumSkipReason('bridge.admin-scheduled-actions');

const PAGE = '/wp-admin/tools.php?page=wecoza-sidecar-actions';
const GROUP = 'admin-list';
const TOTAL = 120;
const STAND_IN_AS = 'wecoza-sidecar-stand-in-action-scheduler/wecoza-sidecar-stand-in-action-scheduler.php';

let browser: TestBrowser | null = null;
let page: Page | null = null;

before(async () => {
  if (skip !== undefined) return;
  browser = await launchBrowser();
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
});

function livePage(): Page {
  assert.ok(page, 'not logged in');
  return page;
}

/** The action ids of the rows shown (the hook column's "ID n"), top to bottom. */
async function rowIds(): Promise<number[]> {
  const texts = await livePage().locator('table.wp-list-table tbody td.column-hook .description').allTextContents();
  return texts.map((text) => Number(text.replace(/\D/g, '')));
}

async function itemsCount(): Promise<string> {
  return ((await livePage().locator('.tablenav.top .displaying-num').textContent()) ?? '').trim();
}

/** Hover the row (row actions show on hover, as in core), then follow one of its links. */
async function rowAction(actionId: number, label: 'Run' | 'Cancel' | 'Retry'): Promise<void> {
  const row = livePage().locator('table.wp-list-table tbody tr', { hasText: `ID ${actionId}` });
  await row.hover();
  await clickAndLoad(livePage(), row.getByRole('link', { name: label, exact: true }));
}

describe('Tools › Scheduled Actions without Action Scheduler', { skip }, () => {
  const ids: number[] = [];

  it('lists, searches and pages 120 sidecar actions with Action Scheduler\'s columns', async () => {
    const tomorrow = Math.floor(Date.now() / 1000) + 86_400;
    const items = Array.from({ length: TOTAL }, (_, i) => ({ type: 'single', hook: i < 100 ? 'wecoza_test_hook' : 'wecoza_test_cron_ping', timestamp: tomorrow + i * 60, args: { n: i }, group: GROUP }));
    const batch = await live().api('POST', '/v1/actions/batch', { actions: items });
    assert.equal(batch.status, 200, JSON.stringify(batch.json));
    ids.push(...batch.json.results.map((result: { action_id: number }) => result.action_id));
    assert.equal(ids.filter((id) => id > 0).length, TOTAL);

    assert.ok(browser);
    page = await browser.logIn(live().site, ADMIN_USER, ADMIN_PASSWORD);
    const menu = await livePage().locator('#menu-tools a[href$="page=wecoza-sidecar-actions"]').textContent();
    assert.equal(menu?.trim(), 'Scheduled Actions');
    const reply = await livePage().goto(`${live().site.url}${PAGE}`);
    assert.equal(reply?.status(), 200);
    assert.equal(await itemsCount(), `${TOTAL} items`);
    assert.match((await livePage().locator('.subsubsub').textContent()) ?? '', /All \(120\)[\s\S]*Pending \(120\)/);
    const headers = (await livePage().locator('table.wp-list-table thead th').allTextContents()).map((text) => text.trim());
    assert.deepEqual(headers, ['Hook', 'Status', 'Arguments', 'Group', 'Recurrence', 'Scheduled Date', 'Log']);
    // Newest scheduled first: the last batch item tops the first page.
    const first = await rowIds();
    assert.equal(first.length, 20);
    assert.equal(first[0], ids[TOTAL - 1]);
    const firstRow = livePage().locator('table.wp-list-table tbody tr').first();
    assert.match((await firstRow.textContent()) ?? '', /wecoza_test_cron_ping[\s\S]*Pending[\s\S]*\{"n":119\}[\s\S]*admin-list[\s\S]*Non-repeating[\s\S]*action created/);
    console.log(`screenshot: ${await screenshot(livePage(), 'scheduled-actions')}`);
    const axe = await scanAccessibility(livePage(), { include: '#wpbody-content' });
    console.log(`axe (scheduled actions): ${axe.violations.length} violations (${axe.violations.map((v) => `${v.impact} ${v.id}`).join(', ') || 'none'}), ${axe.passes} rules passed`);
    assertAccessible(axe);

    // Paging: page 6 holds the oldest 20; no id repeats across pages.
    await livePage().goto(`${live().site.url}${PAGE}&paged=6`);
    const last = await rowIds();
    assert.deepEqual(last, ids.slice(0, 20).reverse());
    await livePage().goto(`${live().site.url}${PAGE}&paged=2`);
    const second = await rowIds();
    assert.equal(second.length, 20);
    assert.equal(second.filter((id) => first.includes(id)).length, 0);

    // Search through the page's own box: the 20 cron pings by hook name, then one action by its args.
    await livePage().goto(`${live().site.url}${PAGE}`);
    await livePage().fill('#wecoza-sidecar-action-search-search-input', 'cron_ping');
    await clickAndLoad(livePage(), livePage().locator('#search-submit'));
    assert.equal(await itemsCount(), '20 items');
    await livePage().fill('#wecoza-sidecar-action-search-search-input', '"n":42}');
    await clickAndLoad(livePage(), livePage().locator('#search-submit'));
    assert.deepEqual(await rowIds(), [ids[42]]);
    // The group filter.
    await livePage().goto(`${live().site.url}${PAGE}&group=${GROUP}&hook=wecoza_test_hook`);
    assert.equal(await itemsCount(), '100 items');
  });

  it('costs three calls to the sidecar for a page with its log lines and status counts', async () => {
    await live().site.call('update_option', ['wecoza_sidecar_test_count_http', 'own_page']);
    await livePage().goto(`${live().site.url}${PAGE}&group=${GROUP}`);
    await live().site.call('delete_option', ['wecoza_sidecar_test_count_http']);
    assert.equal((await rowIds()).length, 20);
    const calls = await live().site.call<string[]>('get_option', ['wecoza_sidecar_test_http_own_page', []]);
    assert.deepEqual(calls.map((call) => call.split('?')[0]).sort(), ['GET /v1/actions', 'GET /v1/actions/counts', 'POST /v1/actions/fetch'], JSON.stringify(calls));
  });

  it('runs a pending action through the sidecar, which calls the hook back in WordPress, and cancels another', async () => {
    const toRun = ids[5] as number;
    const toCancel = ids[6] as number;
    await live().site.call('wecoza_sidecar_test_reset');
    await livePage().goto(`${live().site.url}${PAGE}&s=${encodeURIComponent('"n":5}')}`);
    await rowAction(toRun, 'Run');
    assert.match((await livePage().locator('.notice-success').textContent()) ?? '', new RegExp(`Action ${toRun} ran and is now complete`));
    const ran = await live().api('GET', `/v1/actions/${toRun}`);
    assert.equal(ran.json.status, 'complete');
    const calls = await live().site.call<Array<{ hook: string; args: unknown[] }>>('wecoza_sidecar_test_calls', ['wecoza_test_hook']);
    assert.deepEqual(calls.map((call) => call.args), [[5]]);

    await livePage().goto(`${live().site.url}${PAGE}&s=${encodeURIComponent('"n":6}')}`);
    await rowAction(toCancel, 'Cancel');
    assert.match((await livePage().locator('.notice-success').textContent()) ?? '', new RegExp(`Action ${toCancel} canceled`));
    assert.equal((await live().api('GET', `/v1/actions/${toCancel}`)).json.status, 'canceled');

    // The row now shows the outcome and its log lines; the views count it.
    await livePage().goto(`${live().site.url}${PAGE}&status=complete`);
    assert.deepEqual(await rowIds(), [toRun]);
    assert.match((await livePage().locator('table.wp-list-table tbody tr').first().textContent()) ?? '', /action complete via Sidecar/);
    assert.match((await livePage().locator('.subsubsub').textContent()) ?? '', /Pending \(118\)[\s\S]*Complete \(1\)[\s\S]*Canceled \(1\)/);
    assert.deepEqual(await live().site.fatalErrors(), []);
  });

  it('does not exist while Action Scheduler is active, whose own screen shows actions then', async () => {
    // Not activate_plugin(): activating Action Scheduler in a request where the bridge has already defined the
    // as_* functions fatals (its functions.php declares them again), with the real 3.8 as with the stand-in. A site
    // has it loaded from the next request on, before the bridge decides whether to define them.
    const plugins = await live().site.call<string[]>('get_option', ['active_plugins']);
    await live().site.call('update_option', ['active_plugins', [...plugins, STAND_IN_AS]]);
    try {
      await waitFor('the bridge to stop standing in for Action Scheduler', async () => ((await live().site.call<boolean>('wecoza_sidecar_test_is_mirroring')) ? undefined : true));
      const reply = await livePage().goto(`${live().site.url}${PAGE}`);
      assert.equal(reply?.status(), 403);
      assert.equal(await livePage().locator('#menu-tools a[href$="page=wecoza-sidecar-actions"]').count(), 0);
    } finally {
      await live().site.call('deactivate_plugins', [STAND_IN_AS]);
    }
  });
});
