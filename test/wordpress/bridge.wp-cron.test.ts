/**
 * WP-Cron drives the sidecar's notification processor (DESIGN.md §4.4, §5): requesting /wp-cron.php
 * runs the bridge's every-minute event, which calls POST /v1/notifications/process, and new rows in
 * WeCoza's class_change_logs become e-mails in an SMTP sink. The sidecar runs on PostgreSQL with the
 * source table in a schema of this run, its own processing timer off (NOTIFY_PROCESS_INTERVAL=0) and
 * the source trigger notifying a channel it does not listen on: only WP-Cron can start a pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { postgresSkipReason } from '../support/databases.ts';
import type { ReceivedMail, SmtpSink } from '../support/smtp-sink.ts';
import type { BridgeStack } from './support/bridge-stack.ts';
import { startNotificationStack, type NotificationStack } from './support/notification-stack.ts';
import { waitFor, wordpressSkipReason } from './support/wordpress-site.ts';

const skip = (await wordpressSkipReason('bridge.wp-cron')) ?? (await postgresSkipReason());

const INSERT_TEAM = 'insert-team@example.com';
const UPDATE_TEAM = 'update-team@example.com';

let pipeline: NotificationStack | null = null;
let stack: BridgeStack | null = null;
let sink: SmtpSink | null = null;

/** Class ids of rows logged before WeCoza's cursor (never to be e-mailed) and after it. */
const history: number[] = [];

async function insertClassIn(db: pg.Client, sourceSchema: string, code: string, subject: string): Promise<number> {
  const { rows } = await db.query<{ class_id: number }>(
    `INSERT INTO "${sourceSchema}".classes (class_code, class_subject, class_type) VALUES ($1, $2, 'Skills') RETURNING class_id`,
    [code, subject],
  );
  return (rows[0] as { class_id: number }).class_id;
}

async function insertClass(code: string, subject: string): Promise<number> {
  assert.ok(pipeline);
  return insertClassIn(pipeline.db, pipeline.sourceSchema, code, subject);
}

async function logIdsOf(classId: number): Promise<number[]> {
  assert.ok(pipeline);
  const { rows } = await pipeline.db.query<{ log_id: string }>(`SELECT log_id FROM ${pipeline.sourceTable} WHERE class_id = $1 ORDER BY log_id`, [classId]);
  return rows.map((row) => Number(row.log_id));
}

before(async () => {
  if (skip !== undefined) return;
  // Logged before the sidecar starts: history, below the cursor it starts with.
  pipeline = await startNotificationStack('t_wp_cron', async (db, sourceSchema) => {
    for (const [code, subject] of [['HIST-1', 'History one'], ['HIST-2', 'History two'], ['HIST-3', 'History three']] as const) {
      history.push(await insertClassIn(db, sourceSchema, code, subject));
    }
  });
  ({ stack, sink } = pipeline);
}, { timeout: 180_000 });

after(async () => {
  await pipeline?.stop();
}, { timeout: 60_000 });

function live(): BridgeStack {
  assert.ok(stack, 'the WordPress stack did not start');
  return stack;
}

/** The Subject header of a raw message, unfolded. */
function subjectOf(mail: ReceivedMail): string {
  const headerEnd = mail.raw.search(/\r?\n\r?\n/);
  const headers = mail.raw.slice(0, headerEnd).replace(/\r?\n[ \t]+/g, ' ');
  return /^subject:\s*(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
}

describe('bridge activation', { skip }, () => {
  it("imports WeCoza's wecoza_last_notified_log_id as the cursor and removes WeCoza's hourly event", async () => {
    const [secondHistoryLog] = await logIdsOf(history[1] as number);
    assert.ok(secondHistoryLog !== undefined);
    const site = live().site;
    await site.call('wp_schedule_event', [Math.floor(Date.now() / 1000) + 3600, 'hourly', 'wecoza_email_notifications_process']);
    // WeCoza has handled up to the second history row; the third is still owed an e-mail.
    await site.call('update_option', ['wecoza_last_notified_log_id', secondHistoryLog]);

    await site.call('deactivate_plugins', ['wecoza-sidecar/wecoza-sidecar.php']);
    assert.equal(await site.call('wp_next_scheduled', ['wecoza_sidecar_process_notifications']), false, 'deactivation removes the event');
    await site.call('activate_plugin', ['wecoza-sidecar/wecoza-sidecar.php']);

    const cursor = await live().api('GET', '/v1/notifications/cursor');
    assert.equal(cursor.status, 200, JSON.stringify(cursor.json));
    assert.equal(cursor.json.log_id, secondHistoryLog);
    assert.equal(cursor.json.floor_log_id, secondHistoryLog);
    assert.equal(await site.call('wp_next_scheduled', ['wecoza_email_notifications_process']), false);
    const next = await site.call<number | false>('wp_next_scheduled', ['wecoza_sidecar_process_notifications']);
    assert.ok(typeof next === 'number' && next <= Math.floor(Date.now() / 1000) + 1, `the every-minute event is due now (next: ${next})`);
  });

  it("sends WeCoza's recipient options to the sidecar's notification settings", async () => {
    await live().site.call('update_option', ['wecoza_notification_class_created', INSERT_TEAM]);
    await live().site.call('update_option', ['wecoza_notification_class_updated', UPDATE_TEAM]);

    const settings = await waitFor('the recipients to reach the sidecar', async () => {
      const reply = await live().api('GET', '/v1/notifications/settings');
      return reply.status === 200 && reply.json.recipients?.UPDATE?.length > 0 ? reply.json : undefined;
    }, { timeoutMs: 10_000 });
    assert.deepEqual(settings.recipients.INSERT, [INSERT_TEAM]);
    assert.deepEqual(settings.recipients.UPDATE, [UPDATE_TEAM]);
  });
});

describe('GET /wp-cron.php', { skip }, () => {
  it('runs the processor, and rows in class_change_logs become e-mails in the SMTP sink', async () => {
    const classId = await insertClass('IMP021813', 'Business English');
    assert.ok(pipeline);
    await pipeline.db.query(`UPDATE "${pipeline.sourceSchema}".classes SET class_subject = 'Business English II' WHERE class_id = $1`, [classId]);
    const [insertLog, updateLog] = await logIdsOf(classId);
    const [owedLog] = await logIdsOf(history[2] as number);
    const before = await live().api('GET', '/v1/notifications');
    assert.equal(before.status, 200, JSON.stringify(before.json));
    assert.equal(before.json.total, 0, 'nothing but WP-Cron may start a pass');
    assert.equal(sink?.messages.length, 0);

    const cron = await live().site.request('/wp-cron.php');
    await cron.arrayBuffer();
    assert.equal(cron.status, 200);
    const next = await live().site.call<number | false>('wp_next_scheduled', ['wecoza_sidecar_process_notifications']);
    assert.ok(typeof next === 'number' && next > Math.floor(Date.now() / 1000), `the event ran and is due again in a minute (next: ${next})`);
    assert.doesNotMatch(await live().site.debugLog(), /notification processing request failed/);

    const mails = await waitFor('three e-mails in the SMTP sink', async () => ((sink?.messages.length ?? 0) >= 3 ? [...(sink?.messages ?? [])] : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    const received = mails.map((mail) => [mail.envelope.to.join(','), subjectOf(mail)]).sort();
    assert.deepEqual(received, [
      [INSERT_TEAM, `[WeCoza] Class insert: ${history[2]} (HIST-3)`],
      [INSERT_TEAM, `[WeCoza] Class insert: ${classId} (IMP021813)`],
      [UPDATE_TEAM, `[WeCoza] Class update: ${classId} (IMP021813)`],
    ].sort());

    for (const logId of [owedLog, insertLog, updateLog]) {
      const detail = await waitFor(`notification ${logId} to be sent`, async () => {
        const reply = await live().api('GET', `/v1/notifications/${logId}`);
        return reply.status === 200 && reply.json.state === 'sent' ? reply.json : undefined;
      }, { timeoutMs: 15_000, intervalMs: 200 });
      assert.equal(detail.state, 'sent');
    }
    for (const classOfHistory of history.slice(0, 2)) {
      const [logId] = await logIdsOf(classOfHistory);
      assert.equal((await live().api('GET', `/v1/notifications/${logId}`)).status, 404, `history row ${logId} (at or below the imported cursor) was notified`);
    }
    assert.deepEqual(await live().site.fatalErrors(), []);
  });
});

describe("WeCoza's urgent e-mail, {log_id} alone, enqueued from PHP", { skip }, () => {
  it('e-mails every recipient configured for the operation once each, and nobody again when it comes twice', async () => {
    const team = ['urgent-a@example.com', 'urgent-b@example.com', 'urgent-c@example.com'];
    await live().site.call('update_option', ['wecoza_notification_recipients', { CLASS_INSERT: team, CLASS_UPDATE: [UPDATE_TEAM] }]);
    await waitFor('the three recipients to reach the sidecar', async () => {
      const reply = await live().api('GET', '/v1/notifications/settings');
      return reply.json.recipients?.INSERT?.length === 3 ? true : undefined;
    }, { timeoutMs: 10_000 });
    const classId = await insertClass('URG-001', 'Urgent class');
    const [logId] = await logIdsOf(classId);
    const before = sink?.messages.length ?? 0;

    const urgent = async (): Promise<number> => {
      const id = await live().site.call<number>('as_enqueue_async_action', ['wecoza_send_notification_email', { log_id: logId }, 'wecoza-notifications', false, 5]);
      assert.ok(id >= 1_000_000_000_000_000, `as_enqueue_async_action returned ${id}`);
      const action = await waitFor(`the {log_id} job ${id} to finish`, async () => {
        const reply = await live().api('GET', `/v1/actions/${id}`);
        return ['complete', 'failed'].includes(reply.json.status) ? reply.json : undefined;
      }, { timeoutMs: 30_000, intervalMs: 200 });
      assert.equal(action.status, 'complete', action.last_error);
      assert.equal(action.priority, 5);
      return id;
    };
    await urgent();
    const mails = await waitFor('three e-mails', async () => ((sink?.messages.length ?? 0) >= before + 3 ? sink?.messages.slice(before) : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(mails.map((mail) => mail.envelope.to.join(',')).sort(), team);
    assert.ok(mails.every((mail) => subjectOf(mail) === `[WeCoza] Class insert: ${classId} (URG-001)`), mails.map(subjectOf).join(' | '));

    await urgent();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(sink?.messages.length, before + 3, 'a recipient got a second e-mail');
  });
});
