import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { demoSourceDdl } from '../../../server/notifications/demo-source.ts';

const normalise = (sql: string): string => sql.replace(/^--.*$/gm, '').replace(/\s+/g, ' ').trim();

describe('deploy/wecoza-source.sql', () => {
  it('is the DDL the embedded default creates for public.class_change_logs', async () => {
    const file = await readFile(new URL('../../../deploy/wecoza-source.sql', import.meta.url), 'utf8');
    assert.equal(normalise(file), normalise(demoSourceDdl('public.class_change_logs')), 'regenerate deploy/wecoza-source.sql from demoSourceDdl()');
  });
});
