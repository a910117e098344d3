import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Readiness } from './readiness.ts';

const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('fail')]), detail: Type.Optional(Type.String()) });
const ReadyReply = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('not_ready')]),
  checks: Type.Record(Type.String(), Check),
});

/** Open routes: liveness (the process answers) and readiness (it can do its work). */
export const healthRoutes: FastifyPluginAsync<{ readiness: Readiness }> = async (app, { readiness }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable, migrations applied, source table present, SMTP not failing authentication',
        description: '503 when a check fails; 200 with status "degraded" when a check warns (the queue works, something needs attention).',
        response: {
          200: Type.Object(ReadyReply.properties, { description: 'Ready, or degraded: every check passed or only warns.' }),
          503: Type.Object(ReadyReply.properties, { description: 'Not ready: a check failed.' }),
        },
      },
    },
    async (_request, reply) => {
      const result = await readiness.evaluate();
      return reply.code(result.status === 'not_ready' ? 503 : 200).send(result);
    },
  );
};
