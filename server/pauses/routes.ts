import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseDateInput } from '../actions/normalize.ts';
import { commonErrors } from '../error-schema.ts';
import { sidecarError } from '../errors.ts';
import { HookParams, HookPauseReply, HookResumeReply, isoOrNull, PauseBody, ResumeBody, RunnerPauseReply, RunnerResumeReply } from './schemas.ts';
import type { PauseResult, PauseStore } from './store.ts';

const TAG = ['operations'];
const REACH =
  'The pause lives in the database: every process sharing it honours it within its polling interval (about a second), at once where LISTEN/NOTIFY reaches it.';

/** The body's `until` as a date, or null; a past or present time is refused after the write found it so. */
function untilOf(body: PauseBody | undefined): Date | null {
  return parseDateInput(body?.until, 'until');
}

function orRefuse<T>(result: PauseResult<T>): T {
  if ('notFuture' in result) throw sidecarError('validation_failed', 'until must be in the future; nothing was paused.');
  return result.paused;
}

/** POST /v1/hooks/{hook}/pause and /resume. */
export const hookPauseRoutes: FastifyPluginAsync<{ pauses: PauseStore }> = async (app, { pauses }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/:hook/pause',
    {
      schema: {
        tags: TAG,
        summary: 'Pause one hook: its due actions are not claimed until it is resumed, or until `until`',
        description:
          `${REACH} Actions already running finish. No action is written to at pause time; each action the pause held gets a log line ` +
          '("action claimed after hook pause") when it is claimed after the pause ended. The runner’s own pause of a hook (OpenAI’s 429) never shortens this one; ' +
          'when the runner’s pause ends later, its end and reason are answered. POST /v1/actions/{id}/run still runs an action of a paused hook.',
        params: HookParams,
        body: PauseBody,
        response: { 200: HookPauseReply, ...commonErrors() },
      },
    },
    async (request) => {
      const pause = orRefuse(await pauses.pauseHook(request.params.hook, untilOf(request.body)));
      return { hook: pause.hook, paused: true as const, paused_until: isoOrNull(pause.untilMs), reason: pause.reason };
    },
  );

  api.post(
    '/:hook/resume',
    {
      schema: {
        tags: TAG,
        summary: 'End a hook’s pause now (an operator’s, or the runner’s own)',
        description: `${REACH} \`was_paused\` is false when the hook was not paused (nothing changes).`,
        params: HookParams,
        body: ResumeBody,
        response: { 200: HookResumeReply, ...commonErrors() },
      },
    },
    async (request) => ({ hook: request.params.hook, paused: false as const, was_paused: await pauses.resumeHook(request.params.hook) }),
  );
};

/** POST /v1/runner/pause and /resume: every claim of every process. */
export const runnerPauseRoutes: FastifyPluginAsync<{ pauses: PauseStore }> = async (app, { pauses }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/pause',
    {
      schema: {
        tags: TAG,
        summary: 'Pause the whole runner: no process claims an action until it is resumed, or until `until`',
        description:
          `${REACH} Actions already running finish; enqueues are still accepted. Each action the pause held gets a log line ("action claimed after runner pause") ` +
          'when it is claimed after the pause ended. RUNNER_PAUSED=true writes an indefinite pause when a runner starts.',
        body: PauseBody,
        response: { 200: RunnerPauseReply, ...commonErrors() },
      },
    },
    async (request) => {
      const pause = orRefuse(await pauses.pauseRunner(untilOf(request.body)));
      return { paused: true as const, paused_until: isoOrNull(pause.untilMs), reason: pause.reason };
    },
  );

  api.post(
    '/resume',
    {
      schema: {
        tags: TAG,
        summary: 'End the runner pause now',
        description: `${REACH} \`was_paused\` is false when the runner was not paused (nothing changes).`,
        body: ResumeBody,
        response: { 200: RunnerResumeReply, ...commonErrors() },
      },
    },
    async () => ({ paused: false as const, was_paused: await pauses.resumeRunner() }),
  );
};
