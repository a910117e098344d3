import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { commonErrors, errorReply } from '../error-schema.ts';
import type { HookPolicies } from '../hook-policies.ts';
import { sidecarError } from '../errors.ts';
import {
  matchForLookup,
  matchForUnschedule,
  matchForUnscheduleAll,
  argsFromQuery,
  toListFilter,
  toNewAction,
  toNewActions,
  withBatchIndex,
} from './normalize.ts';
import {
  Action,
  AsyncBody,
  BatchBody,
  BatchReply,
  CronBody,
  EnqueueBlocked,
  EnqueueCreated,
  HasReply,
  IdParams,
  ListBody,
  ListQuery,
  ListReply,
  LogsReply,
  MatchBody,
  MatchQuery,
  NextReply,
  RecurringBody,
  SingleBody,
  UnscheduleAllReply,
  UnscheduleReply,
  LIST_CAP,
  CountsReply,
  FETCH_MAX_IDS,
  FetchBody,
  FetchReply,
} from './schemas.ts';
import type { ActionStore, EnqueueResult } from './store.ts';

export interface ActionRoutesOptions {
  store: ActionStore;
  policies: HookPolicies;
}

const TAG = ['actions'];
const BATCH_BODY_LIMIT = 16 * 1024 * 1024;

const enqueueResponses = {
  201: EnqueueCreated,
  200: EnqueueBlocked,
  ...commonErrors(),
};

function replyEnqueued(result: EnqueueResult): { status: 200 | 201; body: { action_id: number; existing_action_id?: number } } {
  if (result.actionId > 0) return { status: 201, body: { action_id: result.actionId } };
  return { status: 200, body: { action_id: 0, existing_action_id: result.existingActionId as number } };
}

/**
 * One route per Action Scheduler function, under /v1/actions. Handlers are thin: normalise (PHP
 * defaults, canonical args), call the store, answer.
 */
export const actionRoutes: FastifyPluginAsync<ActionRoutesOptions> = async (app, { store, policies }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  const enqueueRoute = <T extends 'async' | 'single' | 'recurring' | 'cron'>(
    type: T,
    body: typeof AsyncBody | typeof SingleBody | typeof RecurringBody | typeof CronBody,
    summary: string,
  ): void => {
    api.post(`/${type}`, { schema: { tags: TAG, summary, body, response: enqueueResponses } }, async (request, reply) => {
      const action = toNewAction({ ...(request.body as object), type } as Parameters<typeof toNewAction>[0], policies, request.canonicalTexts);
      const [result] = await store.enqueue([action]);
      const { status, body: answer } = replyEnqueued(result as EnqueueResult);
      return reply.code(status).send(answer);
    });
  };

  enqueueRoute('async', AsyncBody, 'as_enqueue_async_action: run as soon as possible');
  enqueueRoute('single', SingleBody, 'as_schedule_single_action: run once at a time');
  enqueueRoute('recurring', RecurringBody, 'as_schedule_recurring_action: run every N seconds');
  enqueueRoute('cron', CronBody, 'as_schedule_cron_action: run on a cron schedule (UTC)');

  api.post(
    '/batch',
    {
      bodyLimit: BATCH_BODY_LIMIT,
      // Whatever refused the batch (the parser, the schema, normalisation), the reply names the item.
      errorHandler: (error) => {
        withBatchIndex(error);
        throw error;
      },
      schema: {
        tags: TAG,
        summary: 'Enqueue up to 1000 actions in one statement; one result per item, in order',
        description: 'Uniqueness is resolved between items in item order. A bad item refuses the whole batch (its index is in the error) and nothing is written. Body limit 16 MiB.',
        body: BatchBody,
        response: { 200: BatchReply, 413: errorReply('Body over 16 MiB.'), ...commonErrors() },
      },
    },
    async (request) => {
      const results = await store.enqueue(toNewActions(request.body.actions, policies, request.canonicalTexts));
      return { results: results.map((result) => replyEnqueued(result).body) };
    },
  );

  api.post(
    '/unschedule',
    {
      schema: {
        tags: TAG,
        summary: 'as_unschedule_action: cancel the earliest pending match',
        description: 'Absent args mean [] (only argless actions), as in PHP; pass "args": null for any args.',
        body: MatchBody,
        response: { 200: UnscheduleReply, ...commonErrors() },
      },
    },
    async (request) => ({ action_id: await store.unschedule(matchForUnschedule(request.body, request.canonicalTexts)) }),
  );

  api.post(
    '/unschedule-all',
    {
      schema: {
        tags: TAG,
        summary: 'as_unschedule_all_actions: cancel every pending match',
        description: 'With no or empty args and only a hook (or only a group), every pending action of that hook (or group) is canceled whatever its args. Refused without a hook and a group.',
        body: MatchBody,
        response: { 200: UnscheduleAllReply, ...commonErrors() },
      },
    },
    async (request) => ({ canceled: await store.unscheduleAll(matchForUnscheduleAll(request.body, request.canonicalTexts)) }),
  );

  const lookupDescription = 'Absent args mean any args; [] only argless actions. An empty hook or group means any.';
  const nextSummary = 'as_next_scheduled_action: true if running or async, else the unix time of the earliest pending match, else false';
  const hasSummary = 'as_has_scheduled_action: is a match pending or in progress?';
  const fromQuery = (query: { hook: string; group?: string; args?: string }) => ({
    hook: query.hook,
    group: query.group ?? '',
    args: argsFromQuery(query.args)?.canonical ?? null,
  });

  api.get('/next', { schema: { tags: TAG, summary: nextSummary, description: lookupDescription, querystring: MatchQuery, response: { 200: NextReply, ...commonErrors() } } }, async (request) => ({
    next: await store.next(fromQuery(request.query)),
  }));
  api.post('/next', { schema: { tags: TAG, summary: nextSummary, description: lookupDescription, body: MatchBody, response: { 200: NextReply, ...commonErrors() } } }, async (request) => ({
    next: await store.next(matchForLookup(request.body, request.canonicalTexts)),
  }));
  api.get('/has', { schema: { tags: TAG, summary: hasSummary, description: lookupDescription, querystring: MatchQuery, response: { 200: HasReply, ...commonErrors() } } }, async (request) => ({
    scheduled: await store.has(fromQuery(request.query)),
  }));
  api.post('/has', { schema: { tags: TAG, summary: hasSummary, description: lookupDescription, body: MatchBody, response: { 200: HasReply, ...commonErrors() } } }, async (request) => ({
    scheduled: await store.has(matchForLookup(request.body, request.canonicalTexts)),
  }));

  const listDescription = `Every key of as_get_scheduled_actions with its defaults (per_page 5, orderby date, order ASC). per_page -1 returns every match up to ${LIST_CAP}. total counts all matches.`;
  api.get(
    '/',
    { schema: { tags: TAG, summary: 'as_get_scheduled_actions', description: listDescription, querystring: ListQuery, response: { 200: ListReply, ...commonErrors() } } },
    async (request) => store.list(toListFilter(request.query, { fromQuery: true })),
  );
  api.post(
    '/query',
    { schema: { tags: TAG, summary: 'as_get_scheduled_actions with the keys in a body (for long args)', description: listDescription, body: ListBody, response: { 200: ListReply, ...commonErrors() } } },
    async (request) => store.list(toListFilter(request.body, { fromQuery: false, texts: request.canonicalTexts })),
  );

  api.get(
    '/counts',
    {
      schema: {
        tags: TAG,
        summary: 'Actions per status, and the past-due ones (the status line of Action Scheduler’s admin screen)',
        description: 'Counts every action the sidecar holds (a scan of its status index).',
        response: { 200: CountsReply, ...commonErrors() },
      },
    },
    async () => {
      const { counts, pastDue } = await store.counts();
      return { counts, past_due: pastDue };
    },
  );
  api.post(
    '/fetch',
    {
      schema: {
        tags: TAG,
        summary: `Up to ${FETCH_MAX_IDS} actions by id, optionally with their log lines`,
        description: 'For a page of Action Scheduler’s admin list table in one call. Actions come in the order of `ids`; unknown ids are listed in `missing`.',
        body: FetchBody,
        response: { 200: FetchReply, ...commonErrors() },
      },
    },
    async (request) => store.fetch(request.body.ids, request.body.logs ?? false),
  );

  const notFound = errorReply('No action with this id.');
  api.get('/:id', { schema: { tags: TAG, summary: 'One action', params: IdParams, response: { 200: Action, 404: notFound, ...commonErrors() } } }, async (request) => {
    const action = await store.get(request.params.id);
    if (action === null) throw sidecarError('not_found', `No action ${request.params.id}.`);
    return action;
  });
  api.get('/:id/logs', { schema: { tags: TAG, summary: 'The log lines of an action, oldest first', params: IdParams, response: { 200: LogsReply, 404: notFound, ...commonErrors() } } }, async (request) => {
    const logs = await store.logs(request.params.id);
    if (logs === null) throw sidecarError('not_found', `No action ${request.params.id}.`);
    return { logs };
  });
  api.post(
    '/:id/cancel',
    { schema: { tags: TAG, summary: 'Cancel a pending action', params: IdParams, response: { 200: Action, 404: notFound, 409: errorReply('The action is not pending.'), ...commonErrors() } } },
    async (request) => store.cancel(request.params.id),
  );
};
