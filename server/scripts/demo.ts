/**
 * `npm run demo`: the notification pipeline on the embedded database, start to finish, in about ten
 * seconds. It starts a sidecar in `data/demo` (wiped first), which creates WeCoza's `classes` table,
 * a compatible `class_change_logs` and the trigger; sets recipients; changes a few classes (one with
 * learners whose names, e-mail and phone must not reach the model); lets the trigger's NOTIFY wake
 * the processor; and shows the notification states, what the model was sent, and the `.eml` files.
 *
 * With OPENAI_API_KEY set the summaries come from OpenAI; without it, from a small offline stand-in
 * that is handed exactly the prompt OpenAI would get.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrator.ts';
import { openDatabase } from '../db/open.ts';
import { resolveApiToken } from '../http/api-token.ts';
import { createNotificationClients } from '../notifications/clients.ts';
import type { Summarizer } from '../notifications/openai-summarizer.ts';
import type { ChatMessage } from '../notifications/prompts.ts';
import type { NotificationDetail, NotificationSummary } from '../notifications/schemas.ts';

const DEMO_DIR = path.resolve('data', 'demo');
const RECIPIENTS = { INSERT: ['ops@wecoza.example', 'training@wecoza.example'], UPDATE: ['ops@wecoza.example'] };
const DEADLINE_MS = 30_000;

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const step = (n: number, text: string): void => say(`\n[${n}] ${text}`);

/** Writes a few bullets from the prompt it is given, and keeps that prompt to show it. */
function offlineSummarizer(model: string, prompts: string[]): Summarizer {
  return {
    model,
    async summarize(messages: readonly ChatMessage[]) {
      const user = messages.find((message) => message.role === 'user')?.content ?? '';
      prompts.push(user);
      const context = /Context \(JSON\):\n([\s\S]*)$/.exec(user)?.[1] ?? '{}';
      let parsed: { operation?: string; class_code?: string | null; class_subject?: string | null; learner_count?: number } = {};
      try {
        parsed = JSON.parse(context) as typeof parsed;
      } catch {
        parsed = {};
      }
      const aliases = [...new Set(user.match(/Learner [A-Z]+/g) ?? [])];
      const changes = /Changes:\n([\s\S]*?)\n\n/.exec(user)?.[1]?.split('\n').filter((line) => line.startsWith('- ')) ?? [];
      const lines = parsed.operation === 'UPDATE'
        ? [`- **${parsed.class_code ?? 'A class'}** was updated.`, ...changes.slice(0, 3)]
        : [
            `- **${parsed.class_code ?? 'A class without a code'}** (${parsed.class_subject ?? 'no subject'}) was created with ${parsed.learner_count ?? 0} learner(s)${aliases.length > 0 ? `: ${aliases.join(', ')}` : ''}.`,
            parsed.class_code ? '- No issues detected.' : '- The class has no class code.',
          ];
      return { kind: 'success', summary: `${lines.join('\n')}\n- (offline demo summary: set OPENAI_API_KEY for a real one)`, model, tokens: 0, elapsedMs: 1 };
    },
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  step(1, `Starting an embedded sidecar in ${path.relative(process.cwd(), DEMO_DIR)} (wiped first)`);
  await rm(DEMO_DIR, { recursive: true, force: true });
  const env = { ...process.env, DATA_DIR: DEMO_DIR, DATABASE_URL: '', SOURCE_DATABASE_URL: '', SOURCE_TABLE: '', SMTP_URL: process.env.SMTP_URL ?? '', NOTIFY_PROCESS_INTERVAL: '60', LOG_LEVEL: 'silent' };
  const base = loadConfig(env);
  const prompts: string[] = [];
  const offline = base.openaiApiKey === null;
  // The pipeline asks for a summary only with a key; the offline stand-in needs none.
  const config = offline ? { ...base, openaiApiKey: 'offline-demo' } : base;
  const opened = await openDatabase(config);
  const { db } = opened;
  await migrate(db);
  const token = await resolveApiToken(config);
  const clients = createNotificationClients(config, { warn: (details, message) => say(`    warning: ${message} ${JSON.stringify(details)}`) });
  const app = await buildApp({
    config,
    db,
    apiToken: token.token,
    notificationClients: offline ? { ...clients, summarizerFor: (model: string) => offlineSummarizer(model, prompts) } : clients,
  });
  const call = async <T>(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<T> => {
    const answer = await app.inject({ method, url, headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
    if (answer.statusCode >= 400) throw new Error(`${method} ${url} answered ${answer.statusCode}: ${answer.body}`);
    return answer.json() as T;
  };

  try {
    // Listening starts the pipeline's background work: on the embedded default it first creates the
    // demo tables and trigger, then the timer and the LISTEN on class_change_channel.
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.sidecar.runner?.start();
    say('    created public.classes, public.class_change_logs and trigger classes_log_insert_update');
    say('    (its NOTIFY on class_change_channel carries {"log_id": N} only)');
    say(`    summaries: ${offline ? 'offline stand-in (no OPENAI_API_KEY)' : `OpenAI, model ${config.openaiModel}`}; e-mail: ${config.smtpUrl === null ? `.eml files in ${path.relative(process.cwd(), path.join(DEMO_DIR, 'outbox'))}` : 'SMTP_URL'}`);

    step(2, 'First processor pass: the cursor starts at the end of the table, so history is never e-mailed');
    const first = await call<{ cursor: number }>('POST', '/v1/notifications/process', {});
    say(`    cursor = ${first.cursor}`);

    step(3, 'Recipients per operation (PUT /v1/notifications/settings)');
    await call('PUT', '/v1/notifications/settings', { recipients: RECIPIENTS });
    for (const [operation, list] of Object.entries(RECIPIENTS)) say(`    ${operation.padEnd(6)} → ${list.join(', ')}`);

    step(4, 'Changing classes (the trigger writes class_change_logs)');
    const q = (text: string, values: unknown[]) => db.query<{ class_id: number }>(text, values);
    const learners = [
      { id: 42, name: 'Thandi Mokoena', level: 'NL2', status: 'CIC - Currently in Class', email: 'thandi.m@learners.example', phone: '082 123 4567' },
      { id: 43, name: 'Sipho Ndlovu', level: 'NL1', status: 'CIC - Currently in Class', email: 'sipho@learners.example', phone: '083 765 4321' },
    ];
    const created = await q(
      `INSERT INTO public.classes (class_code, class_subject, client_id, site_id, class_type, class_duration, class_agent, original_start_date, exam_class, seta_funded, learner_ids, schedule_data, event_dates)
       VALUES ($1, $2, 12, 7, 'Oral Assessment', 90, 3, '2026-02-27', true, false, $3::jsonb, $4::jsonb, $5::jsonb) RETURNING class_id`,
      ['IMP021813', 'LO4', JSON.stringify(learners), JSON.stringify({ selectedDays: ['Monday', 'Thursday'], startDate: '2026-02-27' }), JSON.stringify([{ type: 'Deliveries', description: 'Supplementary books', date: '2026-02-27', status: 'Pending' }])],
    );
    const classId = created.rows[0]?.class_id as number;
    say(`    INSERT class ${classId} IMP021813 with 2 learners (names, e-mails and phones in the row)`);
    await q(`INSERT INTO public.classes (class_subject, class_type) VALUES ($1, $2)`, ['Numeracy', 'Workshop']);
    say('    INSERT a class without a code');
    await q(`UPDATE public.classes SET class_agent = 5, learner_ids = $2::jsonb, updated_at = now() WHERE class_id = $1`, [classId, JSON.stringify(learners.slice(0, 1))]);
    say(`    UPDATE class ${classId}: new agent, one learner removed`);

    step(5, 'The trigger NOTIFY wakes the processor; enrichment and e-mail jobs run (progress below)');
    const changedAt = Date.now();
    const seen = new Map<number, string>();
    const deadline = Date.now() + DEADLINE_MS;
    let list: NotificationSummary[] = [];
    for (;;) {
      list = (await call<{ notifications: NotificationSummary[] }>('GET', '/v1/notifications?limit=50')).notifications;
      for (const item of [...list].reverse()) {
        if (seen.get(item.log_id) !== item.state) {
          seen.set(item.log_id, item.state);
          say(`    +${((Date.now() - changedAt) / 1000).toFixed(2)}s  log ${item.log_id} ${item.operation.padEnd(6)} ${item.state}`);
        }
      }
      if (list.length === 3 && list.every((item) => ['sent', 'failed', 'skipped'].includes(item.state))) break;
      if (Date.now() > deadline) throw new Error('the notifications did not finish within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    step(6, 'Notifications (GET /v1/notifications/{log_id})');
    for (const item of [...list].reverse()) {
      const detail = await call<NotificationDetail>('GET', `/v1/notifications/${item.log_id}`);
      say(`    log ${detail.log_id} ${detail.operation} → ${detail.state}; summary ${detail.ai_summary?.status ?? 'none'}; deliveries: ${detail.deliveries.map((d) => `${d.recipient} ${d.state}`).join(', ')}`);
    }
    if (prompts.length > 0) {
      step(7, 'What the model was sent for the INSERT (names aliased, e-mail and phone masked)');
      const context = /Context \(JSON\):\n([\s\S]*)$/.exec(prompts[0] ?? '')?.[1] ?? '{}';
      const sent = JSON.parse(context) as { new_row?: { learner_ids?: unknown[] } };
      for (const learner of sent.new_row?.learner_ids ?? []) say(`    ${JSON.stringify(learner)}`);
    }

    step(8, 'The e-mails');
    const outbox = path.join(DEMO_DIR, 'outbox');
    const files = config.smtpUrl === null ? (await readdir(outbox)).filter((name) => name.endsWith('.eml')).sort() : [];
    for (const file of files) {
      const raw = await readFile(path.join(outbox, file), 'utf8');
      say(`    ${path.relative(process.cwd(), path.join(outbox, file))}`);
      say(`      ${/^Subject: .*$/m.exec(raw)?.[0] ?? ''}  ${/^To: .*$/m.exec(raw)?.[0] ?? ''}`);
    }
    if (files[0] !== undefined) {
      const raw = await readFile(path.join(outbox, files[0]), 'utf8');
      const boundary = /boundary="([^"]+)"/.exec(raw)?.[1] ?? '';
      const part = raw.split(`--${boundary}`).find((chunk) => /Content-Type: text\/plain/.test(chunk) && /Transfer-Encoding: 7bit/.test(chunk));
      const text = part?.split(/\r?\n\r?\n/).slice(1).join('\n\n').trimEnd();
      if (text !== undefined) {
        say(`\n    The plain-text part of ${files[0]} (the HTML part says the same):`);
        for (const line of text.split(/\r?\n/)) say(`      | ${line}`);
      }
    }
    say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Start the service itself with: npm start`);
  } finally {
    await app.close();
    await clients.close();
    await opened.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`The demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
