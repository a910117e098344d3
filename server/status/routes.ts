import type { FastifyPluginAsync } from 'fastify';
import { commonErrors } from '../error-schema.ts';
import { StatusReply } from './schemas.ts';
import { STATUS_CACHE_MS, type StatusReporter } from './status.ts';

/** GET /v1/status: the status panel's one call (WordPress dashboard widget, the Notifications page). */
export const statusRoutes: FastifyPluginAsync<{ reporter: StatusReporter }> = async (app, { reporter }) => {
  const { 503: _unavailable, ...errors } = commonErrors();
  app.get(
    '/',
    {
      schema: {
        tags: ['operations'],
        summary: 'A status summary: readiness checks, queue depth, the last processor pass and the cursor, e-mails of the last 24 h',
        description: [
          `Cached for ${STATUS_CACHE_MS / 1000} s and shared by every caller; the action counts are the /metrics depth snapshot (at most 10 s old).`,
          'Answers 200 even when the database is down: readiness then says why, and actions and notifications are null.',
        ].join(' '),
        response: { 200: StatusReply, ...errors },
      },
    },
    async () => reporter.status(),
  );
};
