import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../server/config.ts';

const root = new URL('../../../', import.meta.url);

function assignments(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) found.set(match[1] as string, match[2] as string);
  }
  return found;
}

describe('.env.example', () => {
  it('lists every variable server/config.ts reads, and nothing else', async () => {
    const source = await readFile(new URL('server/config.ts', root), 'utf8');
    const read = new Set([...source.matchAll(/\(env, '([A-Z][A-Z0-9_]*)'/g)].map((match) => match[1] as string));
    const listed = new Set(assignments(await readFile(new URL('.env.example', root), 'utf8')).keys());
    assert.deepEqual([...read].filter((name) => !listed.has(name)).sort(), [], 'read by config.ts but missing from .env.example');
    assert.deepEqual([...listed].filter((name) => !read.has(name)).sort(), [], 'in .env.example but never read');
  });

  it('holds values config.ts accepts as they stand', async () => {
    const env = Object.fromEntries(assignments(await readFile(new URL('.env.example', root), 'utf8')));
    assert.doesNotThrow(() => {
      try {
        loadConfig(env);
      } catch (error) {
        throw error instanceof ConfigError ? new Error(`.env.example: ${error.message}`) : error;
      }
    });
  });
});
