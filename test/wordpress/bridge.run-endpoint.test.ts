/**
 * The signed route `wecoza-sidecar/v1/run` in a real WordPress: dispatched to by a real sidecar, and
 * called directly with forged, replayed and refused deliveries.
 */
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { postDelivery, signDelivery, useBridgeStack } from './support/bridge-stack.ts';
import { waitFor } from './support/wordpress-site.ts';

const { skip, live } = await useBridgeStack('bridge.run-endpoint');

interface RecordedCall {
  hook: string;
  args: unknown[];
}

const recordedCalls = (hook = ''): Promise<RecordedCall[]> => live().site.call<RecordedCall[]>('wecoza_sidecar_test_calls', [hook]);

/** Waits until the sidecar's action is finished and returns it; fails fast on the wrong ending. */
async function waitUntilFinished(id: number): Promise<any> {
  return waitFor(`action ${id} to finish in the sidecar`, async () => {
    const reply = await live().api('GET', `/v1/actions/${id}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    return ['complete', 'failed', 'canceled'].includes(reply.json.status) ? reply.json : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

/** An action id far above what the sidecar hands out in this suite, so direct deliveries never collide. */
const directActionId = (): number => 5_000_000 + randomInt(1_000_000);

describe('POST wecoza-sidecar/v1/run, dispatched by the sidecar', { skip }, () => {
  let completedId = 0;

  it('runs a callback added with add_action with the args positionally and the action ends complete', async () => {
    const nonce = randomUUID();
    const id = await live().site.call<number>('as_enqueue_async_action', ['wecoza_test_hook', { x: 1, y: 'two', nonce }, 'wecoza-tests']);
    assert.ok(Number.isInteger(id) && id > 0, `as_enqueue_async_action returned ${JSON.stringify(id)}`);

    const action = await waitUntilFinished(id);
    assert.equal(action.status, 'complete', `last_error: ${action.last_error}`);
    const calls = (await recordedCalls('wecoza_test_hook')).filter((call) => call.args.includes(nonce));
    assert.deepEqual(calls.map((call) => call.args), [[1, 'two', nonce]]);
    completedId = id;
  });

  it('sends a claim_id with each dispatch, so the replay memory keys on the claim', async () => {
    assert.ok(completedId > 0, 'needs the completed action of the previous test');
    const keys = await live().site.call<string[]>('wecoza_sidecar_test_replay_keys');
    const mine = keys.filter((key) => key.startsWith(`${completedId}_`));
    assert.equal(mine.length, 1, `replay memory for action ${completedId}: ${JSON.stringify(mine)}`);
    assert.match(mine[0] as string, new RegExp(`^${completedId}_c[0-9a-f-]{36}$`), 'the dispatch body carried no claim_id (keyed on the attempt instead)');
  });

  it('ends failed with the exception message in last_error and the logs when the callback throws', async () => {
    const nonce = randomUUID();
    const id = await live().site.call<number>('as_enqueue_async_action', ['wecoza_test_throw', { z: 3, nonce }, 'wecoza-tests']);
    assert.ok(id > 0);

    const action = await waitUntilFinished(id);
    assert.equal(action.status, 'failed');
    assert.match(action.last_error ?? '', /wecoza_test_throw failed on purpose/);
    const logs = await live().api('GET', `/v1/actions/${id}/logs`);
    assert.equal(logs.status, 200);
    assert.ok(
      logs.json.logs.some((line: { message: string }) => /wecoza_test_throw failed on purpose/.test(line.message)),
      `logs: ${JSON.stringify(logs.json.logs)}`,
    );
    const calls = (await recordedCalls('wecoza_test_throw')).filter((call) => call.args.includes(nonce));
    assert.deepEqual(calls.map((call) => call.args), [[3, nonce]], 'the throwing callback ran once, with its args');
  });
});

describe('POST wecoza-sidecar/v1/run, called directly', { skip }, () => {
  const delivery = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
    action_id: directActionId(),
    hook: 'wecoza_test_hook',
    args: { direct: randomUUID() },
    group: 'wecoza-tests',
    attempt: 1,
    ...fields,
  });

  it('runs a correctly signed delivery and answers 200 complete', async () => {
    const body = delivery({ claim_id: randomUUID() });
    const before = await recordedCalls();

    const reply = await postDelivery(live().site, live().secret, body);

    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    assert.equal(reply.json.status, 'complete');
    assert.equal(reply.json.claim_id, body.claim_id);
    const added = (await recordedCalls()).slice(before.length);
    assert.deepEqual(added.map((call) => [call.hook, call.args]), [['wecoza_test_hook', Object.values(body.args as object)]]);
  });

  it('runs nothing and answers 401 when the signature is forged', async () => {
    const before = await recordedCalls();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(delivery());

    const wrongSecret = await postDelivery(live().site, live().secret, body, { timestamp, signature: signDelivery('not-the-callback-secret', String(timestamp), body) });
    const otherBody = await postDelivery(live().site, live().secret, body, { timestamp, signature: signDelivery(live().secret, String(timestamp), `${body} `) });
    const missing = await postDelivery(live().site, live().secret, body, { timestamp, signature: '' });

    assert.deepEqual([wrongSecret.status, otherBody.status, missing.status], [401, 401, 401]);
    assert.equal(wrongSecret.json.error.code, 'wecoza_sidecar_bad_signature');
    assert.deepEqual(await recordedCalls(), before);
  });

  it('runs nothing and answers 401 when a signed timestamp is more than five minutes old', async () => {
    const before = await recordedCalls();

    const reply = await postDelivery(live().site, live().secret, delivery(), { timestamp: Math.floor(Date.now() / 1000) - 301 });

    assert.equal(reply.status, 401);
    assert.equal(reply.json.error.code, 'wecoza_sidecar_stale_timestamp');
    assert.deepEqual(await recordedCalls(), before);
  });

  it('answers 409 to a replayed delivery without a claim_id and runs it only once', async () => {
    const body = JSON.stringify(delivery());
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signDelivery(live().secret, String(timestamp), body);

    const first = await postDelivery(live().site, live().secret, body, { timestamp, signature });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const afterFirst = await recordedCalls();
    const replay = await postDelivery(live().site, live().secret, body, { timestamp, signature });
    const resigned = await postDelivery(live().site, live().secret, body, { timestamp: timestamp + 1 });

    assert.equal(replay.status, 409);
    assert.equal(replay.json.error.code, 'wecoza_sidecar_replay');
    assert.equal(resigned.status, 409, 'the same (action_id, attempt) signed anew is still a replay');
    assert.deepEqual(await recordedCalls(), afterFirst);
  });

  it('runs a second claim of the same attempt but answers 409 to a replay of either claim', async () => {
    const actionId = directActionId();
    const firstClaim = delivery({ action_id: actionId, claim_id: randomUUID() });
    const secondClaim = { ...firstClaim, claim_id: randomUUID() };
    const before = await recordedCalls();

    const first = await postDelivery(live().site, live().secret, firstClaim);
    const second = await postDelivery(live().site, live().secret, secondClaim);
    const afterBoth = await recordedCalls();
    const replayFirst = await postDelivery(live().site, live().secret, firstClaim);
    const replaySecond = await postDelivery(live().site, live().secret, secondClaim);

    assert.deepEqual([first.status, second.status], [200, 200], 'a snoozed or lease-expired action is dispatched again with the same attempt and a new claim');
    assert.equal(afterBoth.length, before.length + 2);
    assert.deepEqual([replayFirst.status, replaySecond.status], [409, 409]);
    assert.deepEqual(await recordedCalls(), afterBoth);
  });

  it('runs nothing and answers 403 for a hook outside the allowlist that has a callback', async () => {
    const before = await recordedCalls();
    assert.equal(await live().site.call('has_action', ['sidecar_outside_allowlist_hook']), true);

    const reply = await postDelivery(live().site, live().secret, delivery({ hook: 'sidecar_outside_allowlist_hook', claim_id: randomUUID() }));

    assert.equal(reply.status, 403);
    assert.equal(reply.json.error.code, 'wecoza_sidecar_hook_not_allowed');
    assert.deepEqual(await recordedCalls(), before);
  });

  it("answers 500 with Action Scheduler's message for an allowed hook nobody hooked", async () => {
    const reply = await postDelivery(live().site, live().secret, delivery({ hook: 'wecoza_test_nobody_listens', claim_id: randomUUID() }));

    assert.equal(reply.status, 500);
    assert.equal(reply.json.error.message, 'no callbacks are registered for hook wecoza_test_nobody_listens');
  });

  it('runs nothing and answers 400 for a claim_id that is not a UUID', async () => {
    const before = await recordedCalls();

    const reply = await postDelivery(live().site, live().secret, delivery({ claim_id: '../../etc' }));

    assert.equal(reply.status, 400);
    assert.equal(reply.json.error.code, 'wecoza_sidecar_bad_request');
    assert.deepEqual(await recordedCalls(), before);
  });
});
