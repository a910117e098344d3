import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseJsonBody } from '../../../server/actions/args-canonical.ts';
import { withTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase, type DatabaseContext } from '../../support/databases.ts';

/**
 * Args come back exactly as stored on every read: the stored canonical text is written into the reply,
 * so key order and number literals survive where JSON.parse → serialise would lose them.
 */

const KEY_ORDER = '{"2":"c","0":"a"}';
const LITERALS = '[12345678901234567890,1.0,-0,1e2,{"b":1,"a":[0.10]}]';

/** The exact text of `args` of each action in a reply, read as an exact client would (not JSON.parse). */
function argsTexts(body: string, pick: (value: any) => object[]): string[] {
  const { value, texts } = parseJsonBody(body);
  return pick(value).map((action) => texts.textOf((action as { args: object }).args));
}

async function enqueue(t: TestApp, args: string): Promise<number> {
  const response = await t.call('POST', '/v1/actions/single', `{"hook":"exact","timestamp":1893456000,"args":${args}}`);
  assert.equal(response.statusCode, 201, response.body);
  return response.json().action_id as number;
}

const withApp = <T>(ctx: DatabaseContext, fn: (t: TestApp) => Promise<T>): Promise<T> => withTestApp(ctx.db, fn);

describeEachDatabase('args on every read', import.meta.url, (ctx) => {
  it('come back from GET /v1/actions/{id} with their key order and number literals', () =>
    withApp(ctx, async (t) => {
      for (const args of [KEY_ORDER, LITERALS]) {
        const id = await enqueue(t, args);
        const response = await t.call('GET', `/v1/actions/${id}`);
        assert.equal(response.statusCode, 200);
        assert.deepEqual(argsTexts(response.body, (action) => [action]), [args]);
        assert.ok(response.body.includes(`"args":${args}`), response.body);
      }
    }));

  it('come back exactly from the list, /query and cancel', () =>
    withApp(ctx, async (t) => {
      const first = await enqueue(t, KEY_ORDER);
      await enqueue(t, LITERALS);
      const listed = await t.call('GET', '/v1/actions?hook=exact&orderby=action_id');
      assert.deepEqual(argsTexts(listed.body, (body) => body.actions), [KEY_ORDER, LITERALS]);
      const queried = await t.call('POST', '/v1/actions/query', { hook: 'exact', orderby: 'action_id', order: 'DESC' });
      assert.deepEqual(argsTexts(queried.body, (body) => body.actions), [LITERALS, KEY_ORDER]);
      const canceled = await t.call('POST', `/v1/actions/${first}/cancel`);
      assert.deepEqual(argsTexts(canceled.body, (action) => [action]), [KEY_ORDER]);
    }));

  it('round-trip from as_get_scheduled_actions into as_unschedule_action', () =>
    withApp(ctx, async (t) => {
      const ids = [await enqueue(t, KEY_ORDER), await enqueue(t, LITERALS)];
      const listed = await t.call('POST', '/v1/actions/query', { hook: 'exact', orderby: 'action_id', per_page: -1 });
      const returned = argsTexts(listed.body, (body) => body.actions);
      for (const [index, args] of returned.entries()) {
        const unscheduled = await t.call('POST', '/v1/actions/unschedule', `{"hook":"exact","args":${args}}`);
        assert.equal(unscheduled.json().action_id, ids[index], `args ${args}`);
      }
    }));

  it('match partially, literal for literal, with partial_args_matching like and json', () =>
    withApp(ctx, async (t) => {
      const id = await enqueue(t, '{"big":12345678901234567890,"small":1}');
      await enqueue(t, '{"big":12345678901234567000,"small":1}');
      for (const mode of ['like', 'json']) {
        const found = await t.call('POST', '/v1/actions/query', `{"hook":"exact","partial_args_matching":"${mode}","args":{"big":12345678901234567890}}`);
        assert.deepEqual(found.json().actions.map((action: { id: number }) => action.id), [id], `${mode}: ${found.body}`);
      }
    }));
});
