import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('npm run demo', () => {
  it('creates the demo tables, sends the three changes and leaves five .eml files in data/demo/outbox', { timeout: 120_000 }, async () => {
    // The demo works in ./data/demo of its working directory: run it in a scratch one.
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'sidecar-demo-'));
    try {
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'server/scripts/demo.ts')], {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_NO_WARNINGS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, output);
      assert.match(output, /log 1 INSERT → sent; summary success/);
      assert.match(output, /log 3 UPDATE → sent/);
      assert.match(output, /Subject: \[WeCoza\] Class insert: 2 \(no-code\)/);
      assert.match(output, /"name":"Learner A","email":"\*\*\*\*@learners\.example"/);
      assert.doesNotMatch(output.split('[8]')[0] ?? '', /Thandi|082 123 4567/, 'no personal data before the e-mails themselves');
      const files = await readdir(path.join(cwd, 'data', 'demo', 'outbox'));
      assert.equal(files.filter((file) => file.endsWith('.eml')).length, 5);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
