import type { FastifyPluginAsync } from 'fastify';
import type { Static } from 'typebox';
import type { Database } from '../db/port.ts';
import { commonErrors } from '../error-schema.ts';
import type { HookPolicies } from '../hook-policies.ts';
import { isoOrNull } from '../pauses/schemas.ts';
import { hookPauseRoutes } from '../pauses/routes.ts';
import type { PauseStore } from '../pauses/store.ts';
import { HooksReply } from './schemas.ts';
import { hookStatements, type HookOverviewRow } from './sql.ts';

type HooksReply = Static<typeof HooksReply>;

/** The one statement's rows as the reply: figures from the database, policies from this process's configuration. */
export function toHooksReply(rows: HookOverviewRow[], policies: HookPolicies): HooksReply {
  const first = rows[0];
  const hooks = rows.flatMap((row) => {
    if (row.hook === null) return [];
    const policy = policies.policyFor(row.hook);
    return [
      {
        hook: row.hook,
        pending: row.pending,
        due: row.due,
        in_progress: row.in_progress,
        failed_24h: row.failed_24h,
        paused: row.paused,
        paused_until: row.paused ? isoOrNull(row.paused_until_ms) : null,
        pause_reason: row.paused ? row.pause_reason : null,
        cap: policy.concurrency,
        retry: { max_attempts: policy.maxAttempts, backoff: { base_seconds: policy.backoff.baseSeconds, max_seconds: policy.backoff.maxSeconds, jitter: policy.backoff.jitter } },
        timeout_seconds: policy.timeoutSeconds,
        retention_days: policy.retentionDays,
      },
    ];
  });
  const runnerPaused = first?.runner_paused ?? false;
  return {
    hooks,
    runner: { paused: runnerPaused, paused_until: runnerPaused ? isoOrNull(first?.runner_paused_until_ms ?? null) : null, reason: runnerPaused ? (first?.runner_pause_reason ?? null) : null },
  };
}

/** GET /v1/hooks, and the hook pauses under the same prefix. */
export const hookRoutes: FastifyPluginAsync<{ db: Database; policies: HookPolicies; pauses: PauseStore }> = async (app, { db, policies, pauses }) => {
  const sql = hookStatements(db.schema);
  app.get(
    '/',
    {
      schema: {
        tags: ['operations'],
        summary: 'Every hook: pending, due, in progress, failed in the last 24 h, its pause, cap, retry policy and timeout; and the runner pause',
        description:
          'One statement over the indexes (measured by bench/scale at a million actions over 1,000 hooks). Counts are exact and taken now; ' +
          'cap, retry and timeout are this process’s configuration (RETRY_POLICIES, HOOK_CONCURRENCY, ACTION_TIMEOUT_SECONDS and the built-in handlers’ defaults).',
        response: { 200: HooksReply, ...commonErrors() },
      },
    },
    async () => {
      const { rows } = await db.query<HookOverviewRow>(sql.selectHookOverview, [policies.known()]);
      return toHooksReply(rows, policies);
    },
  );
  await app.register(hookPauseRoutes, { pauses });
};
