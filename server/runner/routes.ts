import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Action, IdParams } from '../actions/schemas.ts';
import type { ActionStore } from '../actions/store.ts';
import type { Database } from '../db/port.ts';
import { sidecarError } from '../errors.ts';
import type { SidecarEvents } from '../events.ts';
import { commonErrors, errorReply } from '../error-schema.ts';
import { parseDateInput } from '../actions/normalize.ts';
import { retryFailedAction, retryFailedActions } from './retry-failed-action.ts';
import type { Runner } from './runner.ts';
import { BULK_RETRY_DEFAULT_LIMIT, BULK_RETRY_MAX_LIMIT, BulkRetryBody, BulkRetryReply } from './schemas.ts';

export interface RunnerRoutesOptions {
  store: ActionStore;
  db: Database;
  events: SidecarEvents;
  /** Null in an API-only process (SIDECAR_ROLE=api): /run answers 503 there. */
  runner: Runner | null;
}

const TAG = ['actions'];
/** For the description; the runner's `runNowWaitMs` decides. */
const RUN_WAIT_MS = 30_000;

async function actionOrThrow(store: ActionStore, id: number) {
  const action = await store.get(id);
  if (action === null) throw sidecarError('not_found', `No action ${id}.`);
  return action;
}

/** The admin list table's row actions that need the runner, under /v1/actions. */
export const runnerRoutes: FastifyPluginAsync<RunnerRoutesOptions> = async (app, options) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { store, runner } = options;
  const notFound = errorReply('No action with this id.');

  api.post(
    '/:id/run',
    {
      schema: {
        tags: TAG,
        summary: 'Run a pending action now, whatever its date (the admin list table’s "Run")',
        description:
          'Claims the action through the normal runner path (attempt, lease, log lines) and waits for its outcome: 200 with the action as it ended ' +
          `(complete, failed, or pending again for a retry or snooze), or 202 with the action still in progress after ${RUN_WAIT_MS / 1000} s. ` +
          '409 not_pending for an action that is not pending; 409 callback_not_configured for a hook that runs in WordPress while WP_CALLBACK_URL is not set; ' +
          '503 role_not_serving on an API-only process.',
        params: IdParams,
        response: {
          200: Action,
          202: Action,
          404: notFound,
          409: errorReply('The action is not pending, or its hook runs in WordPress and no callback URL is set.'),
          ...commonErrors(),
          503: errorReply('This process runs no actions (SIDECAR_ROLE=api), is shutting down, or the database is unavailable.'),
        },
      },
    },
    async (request, reply) => {
      if (runner === null) throw sidecarError('role_not_serving');
      const { id } = request.params;
      const result = await runner.runNow(id);
      if (result === 'not_found') throw sidecarError('not_found', `No action ${id}.`);
      if (result === 'stopping') throw sidecarError('not_ready', 'This process is shutting down; try another one.');
      if (result === 'no_callback') throw sidecarError('callback_not_configured');
      const action = await actionOrThrow(store, id);
      if (result === 'not_pending') throw sidecarError('not_pending', `Action ${id} is ${action.status}; only a pending action can be run.`, { status: action.status });
      return reply.code(result === 'finished' ? 200 : 202).send(action);
    },
  );

  api.post(
    '/:id/retry',
    {
      schema: {
        tags: TAG,
        summary: 'Make a failed action pending again, now, with a fresh attempt budget',
        description:
          'Logs "action reset". A failed instance of a recurring or cron series whose next instance is already pending comes back as a single action ' +
          '(it runs once; the series is not doubled); one whose series stopped stays recurring, so a success resumes the series. ' +
          '409 not_failed for an action that is not failed; 409 retry_blocked for a unique action whose twin is live.',
        params: IdParams,
        response: { 200: Action, 404: notFound, 409: errorReply('The action is not failed, or a unique twin is live.'), ...commonErrors() },
      },
    },
    async (request) => {
      const { id } = request.params;
      const result = await retryFailedAction({ db: options.db, events: options.events, id });
      if (result === 'not_found') throw sidecarError('not_found', `No action ${id}.`);
      const action = await actionOrThrow(store, id);
      if (result === 'not_failed') throw sidecarError('not_failed', `Action ${id} is ${action.status}; only a failed action can be retried.`, { status: action.status });
      if (result === 'blocked') throw sidecarError('retry_blocked');
      return action;
    },
  );

  api.post(
    '/retry',
    {
      schema: {
        tags: TAG,
        summary: 'Retry failed actions in bulk, by hook and/or group and finish time',
        description:
          'Each matching failed action becomes pending now with a fresh attempt budget and an "action reset" log line, as the single /retry does ' +
          `(the same transition); oldest failure first, at most \`limit\` (default ${BULK_RETRY_DEFAULT_LIMIT}, at most ${BULK_RETRY_MAX_LIMIT}). ` +
          'A hook or a group is required: an unfiltered bulk retry is refused with 400, as unschedule-all refuses to cancel the whole queue. ' +
          'A failed unique action whose twin is live stays failed and is counted in `blocked`.',
        body: BulkRetryBody,
        response: { 200: BulkRetryReply, ...commonErrors() },
      },
    },
    async (request) => {
      const body = request.body;
      const hook = body.hook ?? '';
      const group = body.group ?? '';
      if (hook === '' && group === '') throw sidecarError('validation_failed', 'Give a hook or a group: a bulk retry never takes every failed action of the queue.');
      const finishedSince = parseDateInput(body.finished_since, 'finished_since');
      const finishedBefore = parseDateInput(body.finished_before, 'finished_before');
      return retryFailedActions({
        db: options.db,
        events: options.events,
        filter: { hook: hook === '' ? null : hook, group: group === '' ? null : group, finishedSince, finishedBefore, limit: body.limit ?? BULK_RETRY_DEFAULT_LIMIT },
      });
    },
  );
};
