import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sidecarError } from '../errors.ts';
import { commonErrors, errorReply } from '../error-schema.ts';
import { AcquireBody, LockGranted, LockParams, LockReleased, LockStateReply, RefreshBody, ReleaseBody } from './schemas.ts';
import type { LockInfo, LockStore } from './store.ts';

const TAG = ['locks'];

function granted(lock: LockInfo) {
  return { key: lock.key, token: lock.token, fence: lock.fence, expires_at: lock.expiresAt.toISOString() };
}

function lost(key: string): Error {
  return sidecarError('lock_lost', `The lock ${key} is not held with this token: it expired, was released, or was taken by someone else.`);
}

/** The transient lock, made atomic: /v1/locks/{key}. */
export const lockRoutes: FastifyPluginAsync<{ store: LockStore }> = async (app, { store }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/:key',
    {
      schema: {
        tags: TAG,
        summary: 'Acquire a lock if it is free or expired',
        params: LockParams,
        body: AcquireBody,
        response: { 201: LockGranted, 409: errorReply('lock_held: another owner holds it (owner and expires_at included).'), ...commonErrors() },
      },
    },
    async (request, reply) => {
      const result = await store.acquire(request.params.key, request.body.ttl_seconds, request.body.owner ?? null);
      if (!result.acquired) {
        throw sidecarError('lock_held', `The lock ${request.params.key} is held until ${result.expiresAt.toISOString()}.`, {
          owner: result.owner,
          expires_at: result.expiresAt.toISOString(),
        });
      }
      return reply.code(201).send(granted(result.lock));
    },
  );

  api.post(
    '/:key/refresh',
    {
      schema: {
        tags: TAG,
        summary: 'Extend a lock you hold',
        description: '409 lock_lost once the lock has expired, even if nobody took it since.',
        params: LockParams,
        body: RefreshBody,
        response: { 200: LockGranted, 409: errorReply('lock_lost'), ...commonErrors() },
      },
    },
    async (request) => {
      const lock = await store.refresh(request.params.key, request.body.token, request.body.ttl_seconds);
      if (lock === null) throw lost(request.params.key);
      return granted(lock);
    },
  );

  api.post(
    '/:key/release',
    {
      schema: { tags: TAG, summary: 'Release a lock you hold', params: LockParams, body: ReleaseBody, response: { 200: LockReleased, 409: errorReply('lock_lost'), ...commonErrors() } },
    },
    async (request) => {
      if (!(await store.release(request.params.key, request.body.token))) throw lost(request.params.key);
      return { key: request.params.key, released: true as const };
    },
  );

  api.get(
    '/:key',
    { schema: { tags: TAG, summary: 'Who holds a lock, and until when', params: LockParams, response: { 200: LockStateReply, 404: errorReply('The key was never acquired.'), ...commonErrors() } } },
    async (request) => {
      const state = await store.get(request.params.key);
      if (state === null) throw sidecarError('not_found', `No lock ${request.params.key} was ever acquired.`);
      return { key: state.key, held: state.held, owner: state.owner, fence: state.fence, expires_at: state.expiresAt.toISOString() };
    },
  );
};
