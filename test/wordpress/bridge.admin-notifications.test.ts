/**
 * The Notifications page and the status panel, in a real WordPress driven by headless Chromium, with
 * a real sidecar on PostgreSQL reading a WeCoza source table and e-mailing an SMTP sink that refuses
 * one address with 550. The sidecar's own processing timer is off: each pass is started here.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { postgresSkipReason } from '../support/databases.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { assertAccessible, chromiumSkipReason, clickAndLoad, launchBrowser, scanAccessibility, screenshot, type TestBrowser } from './support/browser.ts';
import type { BridgeStack } from './support/bridge-stack.ts';
import { startNotificationStack, type NotificationStack } from './support/notification-stack.ts';
import { ADMIN_PASSWORD, ADMIN_USER, waitFor, wordpressSkipReason } from './support/wordpress-site.ts';

const skip = (await wordpressSkipReason('bridge.admin-notifications')) ?? (await postgresSkipReason()) ?? chromiumSkipReason('bridge.admin-notifications');

const INSERT_TEAM = 'insert-team@example.com';
const BOUNCE = 'bounce@example.com';
const UPDATE_TEAM = 'update-team@example.com';
const EDITOR = { user: 'editor', password: `editor-${randomBytes(6).toString('hex')}` };
const PAGE = '/wp-admin/tools.php?page=wecoza-sidecar-notifications';

let pipeline: NotificationStack | null = null;
let stack: BridgeStack | null = null;
let sink: SmtpSink | null = null;
let browser: TestBrowser | null = null;
let page: Page | null = null;

before(async () => {
  if (skip !== undefined) return;
  pipeline = await startNotificationStack('t_wp_admin');
  ({ stack, sink } = pipeline);
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await pipeline?.stop();
}, { timeout: 60_000 });

function live(): BridgeStack {
  assert.ok(stack, 'the WordPress stack did not start');
  return stack;
}

function livePage(): Page {
  assert.ok(page, 'not logged in');
  return page;
}

async function insertClass(code: string): Promise<number> {
  assert.ok(pipeline);
  const { rows } = await pipeline.db.query<{ class_id: number }>(`INSERT INTO "${pipeline.sourceSchema}".classes (class_code, class_subject, class_type) VALUES ($1, 'Subject', 'Skills') RETURNING class_id`, [code]);
  return Number(rows[0]?.class_id);
}

async function updateClass(classId: number): Promise<void> {
  assert.ok(pipeline);
  await pipeline.db.query(`UPDATE "${pipeline.sourceSchema}".classes SET class_subject = class_subject || ' (changed)' WHERE class_id = $1`, [classId]);
}

/** One processor pass; answers the cursor (the newest log id). */
async function processPass(): Promise<number> {
  const reply = await live().api('POST', '/v1/notifications/process', {});
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  return reply.json.cursor as number;
}

async function notification(logId: number): Promise<any> {
  return (await live().api('GET', `/v1/notifications/${logId}`)).json;
}

async function waitForState(logId: number, state: string): Promise<any> {
  return waitFor(`notification ${logId} to be ${state}`, async () => {
    const detail = await notification(logId);
    return detail.state === state ? detail : undefined;
  }, { timeoutMs: 20_000, intervalMs: 100 });
}

/** The list row of one log id. */
function row(logId: number) {
  return livePage().locator('table.wp-list-table tbody tr', { has: livePage().locator(`a.row-title`, { hasText: new RegExp(`^${logId}$`) }) });
}

function mailsTo(address: string): number {
  return (sink?.messages ?? []).filter((mail) => mail.envelope.to.includes(address)).length;
}

async function noticeText(): Promise<string> {
  return ((await livePage().locator('.wrap .notice').allInnerTexts()).join(' ')).replace(/\s+/g, ' ').trim();
}

/** Screenshot and axe-core over our part of the page (WordPress's own menu and toolbar are core's). */
async function capture(name: string, include = '#wpbody-content'): Promise<void> {
  console.log(`screenshot: ${await screenshot(livePage(), name)}`);
  const axe = await scanAccessibility(livePage(), { include });
  console.log(`axe (${name}): ${axe.violations.length} violations (${axe.violations.map((v) => `${v.impact} ${v.id}`).join(', ') || 'none'}), ${axe.passes} rules passed`);
  assertAccessible(axe);
}

describe('the Notifications page and the status panel', { skip }, () => {
  const logs = { failed: 0, sent: 0, skipped: 0, skippedOther: 0 };

  it('shows an administrator a sent, a failed (SMTP 550) and a skipped notification, each with its reason', async () => {
    await live().site.call('update_option', ['wecoza_notification_recipients', { CLASS_INSERT: [INSERT_TEAM, BOUNCE], CLASS_UPDATE: [] }]);
    await waitFor('the recipients to reach the sidecar', async () => {
      const settings = await live().api('GET', '/v1/notifications/settings');
      return settings.json.recipients?.INSERT?.length === 2 ? true : undefined;
    });
    await processPass();
    sink?.replyToRcpt(BOUNCE, { code: 550, message: '5.1.1 <bounce@example.com>: mailbox unavailable' });
    const refused = await insertClass('FAIL-550');
    logs.failed = await processPass();
    await waitForState(logs.failed, 'failed');
    const accepted = await insertClass('SENT-OK');
    logs.sent = await processPass();
    await waitForState(logs.sent, 'sent');
    await updateClass(refused);
    logs.skipped = await processPass();
    await updateClass(accepted);
    logs.skippedOther = await processPass();
    assert.equal((await notification(logs.skipped)).reason, 'no_recipient');

    assert.ok(browser);
    page = await browser.logIn(live().site, ADMIN_USER, ADMIN_PASSWORD);
    assert.equal(await livePage().locator('#menu-tools a[href$="page=wecoza-sidecar-notifications"]').count(), 1, 'under Tools (WeCoza is not active)');
    const reply = await livePage().goto(`${live().site.url}${PAGE}`);
    assert.equal(reply?.status(), 200);
    const text = async (logId: number): Promise<string> => (await row(logId).innerText()).replace(/\s+/g, ' ');
    assert.match(await text(logs.sent), /SENT-OK.*INSERT.*Sent.*bounce@example\.com — sent \(SMTP 250\).*insert-team@example\.com — sent \(SMTP 250\)/);
    assert.match(await text(logs.failed), /FAIL-550.*INSERT.*Failed.*a delivery failed.*bounce@example\.com — failed \(SMTP 550\)/);
    assert.match(await text(logs.skipped), /FAIL-550.*UPDATE.*Skipped.*no recipient for this operation/);
    // The status panel at the top of the page.
    const panel = (await livePage().locator('.wecoza-sidecar-status').first().innerText()).replace(/\s+/g, ' ');
    assert.match(panel, /Sidecar reachable/);
    assert.match(panel, /E-mails sent \(24 h\) 3 E-mails failed \(24 h\) 1/);
    assert.match(panel, new RegExp(`Cursor \\(last log id seen\\) ${logs.skippedOther}`));
    assert.doesNotMatch(panel, /Spool/, 'no spool figure until the spool exists');
    await capture('notifications-list');

    // The failed one's detail: the SMTP reply and the action's log lines; no prompt anywhere.
    await livePage().goto(`${live().site.url}${PAGE}&log_id=${logs.failed}`);
    const detail = (await livePage().locator('#wpbody-content').innerText()).replace(/\s+/g, ' ');
    assert.match(detail, /bounce@example\.com failed 1 550 550 5\.1\.1 <bounce@example\.com>: mailbox unavailable/);
    assert.match(detail, /wecoza_send_notification_email failed 1 \/ 5 .*action failed via Sidecar: SMTP 550/);
    assert.doesNotMatch(detail, /prompt|You are a/i);
    await capture('notification-detail');

    // Server-rendered: the same list with JavaScript off.
    const noScript = await launchBrowser({ javaScript: false });
    try {
      const plain = await noScript.logIn(live().site, ADMIN_USER, ADMIN_PASSWORD);
      await plain.goto(`${live().site.url}${PAGE}&state=skipped`);
      assert.deepEqual((await plain.locator('table.wp-list-table tbody a.row-title').allTextContents()).map(Number), [logs.skippedOther, logs.skipped]);
    } finally {
      await noScript.close();
    }
  });

  it('refuses an editor, and a forged or missing nonce changes nothing', async () => {
    const userId = await live().site.call<number>('wp_insert_user', [{ user_login: EDITOR.user, user_pass: EDITOR.password, user_email: 'editor@example.com', role: 'editor' }]);
    assert.ok(userId > 0);
    const before = await notification(logs.skipped);
    const mails = sink?.messages.length;
    const redriveUrl = `${live().site.url}/wp-admin/admin-post.php?action=wecoza_sidecar_redrive_notification&log_id=${logs.skipped}`;

    for (const nonce of ['', '&_wpnonce=0123456789']) {
      const answer = await livePage().goto(`${redriveUrl}${nonce}`);
      assert.equal(answer?.status(), 403, `nonce "${nonce}"`);
    }
    const bulk = await livePage().request.post(`${live().site.url}/wp-admin/admin-post.php`, { form: { action: 'wecoza_sidecar_redrive_notifications', state: 'skipped,failed' }, maxRedirects: 0 });
    assert.equal(bulk.status(), 403);

    assert.ok(browser);
    const editor = await browser.logIn(live().site, EDITOR.user, EDITOR.password);
    assert.equal(await editor.locator('a[href$="page=wecoza-sidecar-notifications"]').count(), 0);
    assert.equal(await editor.locator('#wecoza_sidecar_status').count(), 0, 'no status widget on the editor\'s dashboard');
    const refused = await editor.goto(`${live().site.url}${PAGE}`);
    assert.equal(refused?.status(), 403);
    assert.doesNotMatch((await editor.content()), /FAIL-550|bounce@example\.com/);
    const forged = await editor.goto(`${redriveUrl}&_wpnonce=0123456789`);
    assert.equal(forged?.status(), 403);

    const after = await notification(logs.skipped);
    assert.deepEqual([after.state, after.updated_at, after.deliveries.length], [before.state, before.updated_at, 0]);
    assert.equal(sink?.messages.length, mails);
    page = await browser.logIn(live().site, ADMIN_USER, ADMIN_PASSWORD);
  });

  it('redrives the skipped one after a settings change into an e-mail in the SMTP sink, and reports the bulk redrive\'s counts', async () => {
    await live().site.call('update_option', ['wecoza_notification_recipients', { CLASS_INSERT: [INSERT_TEAM, BOUNCE], CLASS_UPDATE: [UPDATE_TEAM] }]);
    await waitFor('the UPDATE recipient to reach the sidecar', async () => {
      const settings = await live().api('GET', '/v1/notifications/settings');
      return settings.json.recipients?.UPDATE?.length === 1 ? true : undefined;
    });

    await livePage().goto(`${live().site.url}${PAGE}&state=skipped`);
    await row(logs.skipped).hover();
    await clickAndLoad(livePage(), row(logs.skipped).getByRole('link', { name: 'Redrive' }));
    assert.match(await noticeText(), new RegExp(`Notification ${logs.skipped} redriven: it is sending again`));
    await waitForState(logs.skipped, 'sent');
    await waitFor('the e-mail to the UPDATE recipient', async () => (mailsTo(UPDATE_TEAM) === 1 ? true : undefined));

    // The rest: the other skipped update and the failed insert, redriven together from the list.
    await livePage().goto(`${live().site.url}${PAGE}`);
    await clickAndLoad(livePage(), livePage().getByRole('button', { name: 'Redrive all skipped / failed matching this filter' }));
    assert.match(await noticeText(), /Bulk redrive: 2 matched, 2 redriven, 0 still skipped \(no recipient\), 0 not redrivable, 0 left for another run\./);
    await waitForState(logs.skippedOther, 'sent');
    const failedAgain = await waitForState(logs.failed, 'sent');
    assert.deepEqual(failedAgain.deliveries.map((d: { recipient: string; attempts: number }) => [d.recipient, d.attempts]).sort(), [[BOUNCE, 2], [INSERT_TEAM, 1]]);
    assert.equal(mailsTo(UPDATE_TEAM), 2);
    // The sidecar caches its summary for a few seconds: reload until the new counts show.
    await waitFor('the dashboard widget to count the redriven e-mails', async () => {
      await livePage().goto(`${live().site.url}/wp-admin/`);
      const widget = (await livePage().locator('#wecoza_sidecar_status').innerText()).replace(/\s+/g, ' ');
      return /E-mails sent \(24 h\) 6 E-mails failed \(24 h\) 0/.test(widget) ? true : undefined;
    }, { timeoutMs: 20_000, intervalMs: 1_000 });
    await capture('dashboard-status-widget', '#wecoza_sidecar_status');
    assert.equal(await livePage().locator('#wecoza_sidecar_status a', { hasText: 'Open the Notifications page' }).getAttribute('href'), `${live().site.url}${PAGE}`);
  });

  it('shows the sidecar-down state in the status panel on the first page load after the sidecar stops', async () => {
    await live().stopSidecar();
    await livePage().goto(`${live().site.url}/wp-admin/`);
    const widget = (await livePage().locator('#wecoza_sidecar_status').innerText()).replace(/\s+/g, ' ');
    assert.match(widget, /Sidecar not reachable\./);
    assert.doesNotMatch(widget, /Sidecar reachable/);
    await capture('dashboard-status-widget-down', '#wecoza_sidecar_status');
    const reply = await livePage().goto(`${live().site.url}${PAGE}`);
    assert.equal(reply?.status(), 200);
    assert.match(await livePage().locator('.wecoza-sidecar-status').first().innerText(), /Sidecar not reachable\./);
    assert.match((await livePage().locator('table.wp-list-table').textContent()) ?? '', /The sidecar did not answer/);
    assert.deepEqual(await live().site.fatalErrors(), []);
  });
});
