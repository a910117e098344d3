import { Type } from 'typebox';

/** GET /v1/hooks: the per-hook view an operator reads first. */
const PausedUntil = Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'ISO 8601, UTC; null while paused indefinitely or not paused.' });

const RetryPolicy = Type.Object(
  {
    max_attempts: Type.Integer({ minimum: 1, description: 'Attempts an action of this hook gets by default.' }),
    backoff: Type.Object({
      base_seconds: Type.Number({ description: 'The delay after the first failure; it doubles with each failure.' }),
      max_seconds: Type.Number(),
      jitter: Type.Number({ description: '0..1: each delay spread over ± this share of itself.' }),
    }),
  },
  { description: 'RETRY_POLICIES, else the defaults a built-in handler declares, else the global ones.' },
);

export const HookOverview = Type.Object({
  hook: Type.String(),
  pending: Type.Integer({ minimum: 0, description: 'Pending actions, due or not.' }),
  due: Type.Integer({ minimum: 0, description: 'Pending actions whose time has come.' }),
  in_progress: Type.Integer({ minimum: 0 }),
  failed_24h: Type.Integer({ minimum: 0, description: 'Actions that failed for good in the last 24 hours.' }),
  paused: Type.Boolean(),
  paused_until: PausedUntil,
  pause_reason: Type.Union([Type.String(), Type.Null()], { description: '"operator", or the runner’s own reason (a remote’s 429); null when not paused.' }),
  cap: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'At most this many run at once per process (HOOK_CONCURRENCY or the handler’s default); null: only the global pool.' }),
  retry: RetryPolicy,
  timeout_seconds: Type.Number({ description: 'A run is aborted after this long.' }),
  retention_days: Type.Union([Type.Number(), Type.Null()], { description: 'Finished actions of this hook are deleted after this many days; null: the RETENTION_* defaults.' }),
});

export const HooksReply = Type.Object({
  hooks: Type.Array(HookOverview, { description: 'By hook name: every hook with live actions, failures in the last 24 hours, a pause, or a policy of its own.' }),
  runner: Type.Object({
    paused: Type.Boolean(),
    paused_until: PausedUntil,
    reason: Type.Union([Type.String(), Type.Null()]),
  }),
});
