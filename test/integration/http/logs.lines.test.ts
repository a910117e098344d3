import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { buildTestApp } from '../../support/app.ts';
import { captureLogs } from '../../support/logs.ts';

/** A database whose every statement fails with `error` (the app never reaches a real one here). */
function failingDatabase(error: Error): Database {
  return {
    kind: 'postgres',
    schema: '"sidecar"',
    query: () => Promise.reject(error),
    transaction: () => Promise.reject(error),
    listen: () => Promise.reject(error),
    close: () => Promise.resolve(),
  };
}

const PG_WARN = 40;

describe('log lines', () => {
  it('carry no query string, not even on a 500', async () => {
    const logs = captureLogs();
    const t = await buildTestApp(failingDatabase(new Error('boom')), { role: 'api' }, { logger: logs.logger });
    try {
      const response = await t.call('GET', '/v1/actions?search=learner-secret&hook=h');
      assert.equal(response.statusCode, 500);
      const text = JSON.stringify(logs.lines());
      assert.ok(logs.lines().some((line) => line.msg === 'request failed' && line.path === '/v1/actions'), text);
      assert.doesNotMatch(text, /learner-secret|\?search|hook=h/);
    } finally {
      await t.close();
    }
  });

  it('log expected 503s at warn without a stack', async () => {
    const logs = captureLogs();
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const t = await buildTestApp(failingDatabase(down), { role: 'api' }, { logger: logs.logger });
    try {
      assert.equal((await t.call('GET', '/v1/actions/1')).statusCode, 503);
      const off = await buildTestApp(failingDatabase(down), { role: 'api', notificationsEnabled: false }, { logger: logs.logger });
      try {
        assert.equal((await off.call('GET', '/v1/notifications')).statusCode, 503);
      } finally {
        await off.close();
      }
      const failures = logs.lines().filter((line) => line.code === 'database_unavailable' || line.code === 'notifications_disabled');
      assert.deepEqual(failures.map((line) => line.code).sort(), ['database_unavailable', 'notifications_disabled']);
      for (const line of failures) {
        assert.equal(line.level, PG_WARN, JSON.stringify(line));
        assert.doesNotMatch(JSON.stringify(line), /"stack"|at .+\.ts:\d+/);
      }
    } finally {
      await t.close();
    }
  });

  it('report an event listener that throws through the app logger instead of swallowing it', async () => {
    const logs = captureLogs();
    const t = await buildTestApp(failingDatabase(new Error('unused')), { role: 'api' }, { logger: logs.logger });
    try {
      t.app.sidecar.events.on('actions:enqueued', () => {
        throw new Error('listener broke');
      });
      t.app.sidecar.events.emit('actions:enqueued', { count: 1, earliestDueAt: Date.now() });
      const line = logs.lines().find((entry) => entry.event === 'actions:enqueued');
      assert.ok(line, JSON.stringify(logs.lines()));
      assert.equal(line.level, 50);
      assert.match(JSON.stringify(line.err), /listener broke/);
    } finally {
      await t.close();
    }
  });
});
