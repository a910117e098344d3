/**
 * bench/scale's EXPLAIN pass: every statement on the hot paths (the runner's claim, settle, heartbeat,
 * reaper, wake-up timer and cleaner; enqueue; has / next / unschedule; the list; the metrics gauges;
 * GET /v1/hooks),
 * with the values the code binds, run with EXPLAIN (ANALYZE, BUFFERS) on the million-row table. A
 * statement that writes runs inside a transaction that is rolled back, so the table is left as it was.
 * A plan holding a sequential scan of the actions or logs tables is flagged; one over a table that is
 * small by design (hook_pauses) is named but not flagged.
 */
import { buildListQuery, type ListFilter } from '../server/actions/list-query.ts';
import { buildMatchWhere } from '../server/actions/match.ts';
import { actionStatements, matchStatements } from '../server/actions/sql.ts';
import type { Database, Queryable } from '../server/db/port.ts';
import { hookStatements } from '../server/hooks/sql.ts';
import { runnerStatements } from '../server/runner/sql.ts';

const SMALL_TABLES = new Set(['hook_pauses']);
const DAY_SECONDS = 86_400;

export interface ExplainTargets {
  hook: string;
  /** Args of a finished action and of a pending one of `hook`, canonical text. */
  finishedArgs: string;
  pendingArgs: string;
  retentionDays: number;
}

interface Explained {
  name: string;
  text: string;
  values: readonly unknown[];
}

class Rollback extends Error {}

/** EXPLAIN inside a transaction that always rolls back; `setup` may claim rows first (in the same transaction). */
async function explainIn(db: Database, run: (tx: Queryable) => Promise<string[]>): Promise<string[]> {
  let lines: string[] = [];
  await db
    .transaction(async (tx) => {
      lines = await run(tx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return lines;
}

async function explain(tx: Queryable, statement: Explained): Promise<string[]> {
  const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.values);
  return rows.map((row) => row['QUERY PLAN']);
}

function listFilter(hook: string, status: 'pending' | 'complete'): ListFilter {
  return {
    hook,
    args: null,
    partialArgsMatching: 'off',
    date: null,
    dateCompare: '<=',
    modified: null,
    modifiedCompare: '<=',
    group: '',
    statuses: [status],
    claimed: null,
    perPage: 10,
    offset: 0,
    orderBy: 'date',
    order: 'ASC',
    search: '',
  };
}

/** Print every plan through `out`; answer the names of the statements whose plan scans a big table sequentially. */
export async function explainHotStatements(db: Database, targets: ExplainTargets, out: (line: string) => void): Promise<string[]> {
  const s = db.schema;
  const runner = runnerStatements(s);
  const actions = actionStatements(s);
  const match = (hook: string, args: string | null): { where: string; values: unknown[] } => buildMatchWhere({ hook, group: '', args });
  const full = match(targets.hook, targets.pendingArgs);
  const hookOnly = match(targets.hook, null);
  const finished = match(targets.hook, targets.finishedArgs);
  const one = [targets.hook, 'wecoza-notifications', '{"log_id":-1}', 10, true, 'async', null, null, null, 1];
  const many = [
    Array.from({ length: 100 }, () => targets.hook),
    Array.from({ length: 100 }, () => 'wecoza-notifications'),
    Array.from({ length: 100 }, (_, i) => `{"log_id":${-2 - i}}`),
    Array.from({ length: 100 }, () => 10),
    Array.from({ length: 100 }, () => false),
    Array.from({ length: 100 }, () => 'async'),
    Array.from({ length: 100 }, () => null),
    Array.from({ length: 100 }, () => null),
    Array.from({ length: 100 }, () => null),
    Array.from({ length: 100 }, () => 1),
  ];
  const claimValues = [25, 'bench-explain', [], [], [], ['bench_noop'], null, 30];
  const list = (status: 'pending' | 'complete'): Explained => {
    const built = buildListQuery(s, listFilter(targets.hook, status));
    return { name: `list (hook + status=${status}, 10 per page)`, text: built.text, values: built.values };
  };

  const standalone: Explained[] = [
    { name: 'enqueue one (insertOneAction, unique)', text: actions.insertOneAction, values: one },
    { name: 'enqueue a batch of 100 (insertActions)', text: actions.insertActions, values: many },
    { name: 'has: hook + args, a live match', text: matchStatements(s, full.where).hasLiveMatch, values: full.values },
    { name: 'has: hook + args, only finished matches', text: matchStatements(s, finished.where).hasLiveMatch, values: finished.values },
    { name: 'has: hook only', text: matchStatements(s, hookOnly.where).hasLiveMatch, values: hookOnly.values },
    { name: 'next: hook + args', text: matchStatements(s, full.where).selectNextLiveMatch, values: full.values },
    { name: 'next: hook only', text: matchStatements(s, hookOnly.where).selectNextLiveMatch, values: hookOnly.values },
    { name: 'unschedule: hook + args', text: matchStatements(s, full.where).cancelEarliestPendingMatch, values: full.values },
    list('pending'),
    list('complete'),
    { name: 'one action by id', text: actions.selectActionById, values: [43] },
    { name: 'logs of one action', text: actions.selectLogsByActionId, values: [43] },
    { name: 'runner: claim 25 due (claimDueActions)', text: runner.claimDueActions, values: claimValues },
    { name: 'runner: what is due and when next (selectDueState)', text: runner.selectDueState, values: [null] },
    { name: 'reaper (reapExpiredLeases)', text: runner.reapExpiredLeases, values: [500, 3] },
    { name: 'cleaner (deleteFinishedByStatus complete)', text: runner.deleteFinishedByStatus, values: ['complete', targets.retentionDays * DAY_SECONDS, [], 2000] },
    { name: 'metrics: live actions by hook (countLiveActionsByHook)', text: runner.countLiveActionsByHook, values: [10_000] },
    { name: 'metrics: oldest due age (selectOldestDueAge)', text: runner.selectOldestDueAge, values: [] },
    { name: 'GET /v1/hooks (selectHookOverview)', text: hookStatements(s).selectHookOverview, values: [['wecoza_enrich_notification', 'wecoza_send_notification_email']] },
  ];

  const flagged: string[] = [];
  const show = (name: string, lines: string[]): void => {
    const scans = lines.flatMap((line) => [...line.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1] as string));
    const big = scans.filter((table) => !SMALL_TABLES.has(table));
    if (big.length > 0) flagged.push(`${name} (${big.join(', ')})`);
    const note = big.length > 0 ? `  <-- SEQUENTIAL SCAN of ${big.join(', ')}` : scans.length > 0 ? `  (seq scan of the small table ${scans.join(', ')} only)` : '';
    out(`\n-- ${name}${note}`);
    for (const line of lines) out(`   ${line}`);
  };

  for (const statement of standalone) show(statement.name, await explainIn(db, (tx) => explain(tx, statement)));

  // Settle and heartbeat need claimed rows: claim 25 for real in the transaction, then explain on them.
  const claimedThen = async (what: 'settle' | 'heartbeat'): Promise<string[]> =>
    explainIn(db, async (tx) => {
      const { rows } = await tx.query<{ id: number; claim_token: string }>(runner.claimDueActions, claimValues);
      const ids = rows.map((row) => row.id);
      const tokens = rows.map((row) => row.claim_token);
      if (what === 'heartbeat') return explain(tx, { name: what, text: runner.extendLeases, values: [ids, tokens, 'bench-explain', 30] });
      const values = [ids, tokens, ids.map(() => 'complete'), ids.map(() => null), ids.map(() => 0), ids.map(() => false), ids.map(() => 'action complete via Sidecar'), ids.map(() => null)];
      return explain(tx, { name: what, text: runner.settleClaimedActions, values });
    });
  show('runner: settle 25 outcomes (settleClaimedActions)', await claimedThen('settle'));
  show('runner: heartbeat of 25 leases (extendLeases)', await claimedThen('heartbeat'));
  return flagged;
}
