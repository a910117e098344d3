import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The layer rules of server/ (.dependency-cruiser.cjs), run by dependency-cruiser's own CLI as a
 * developer would run it. The second test runs the same rules over a small tree that breaks each of
 * them, so a rule that stopped matching anything would show here.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'server', '--config', CONFIG, '--output-type', 'err-long'], { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('dependency rules of server/', () => {
  it('finds no import that points up a layer, and no cycle', async () => {
    const { code, output } = await cruise(ROOT);
    assert.equal(code, 0, output);
    assert.match(output, /no dependency violations found \(\d+ modules, \d+ dependencies cruised\)/);
  });

  it('reports each rule on a tree that breaks it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-layers-'));
    try {
      const files: Record<string, string> = {
        'server/db/port.ts': "import type { Action } from '../actions/store.ts';\nexport type Row = Action;\n",
        'server/actions/store.ts': "import { RUNNER } from '../runner/runner.ts';\nexport interface Action { id: number }\nexport const STORE = RUNNER;\n",
        'server/runner/runner.ts': "import { EMAIL } from '../notifications/emailer.ts';\nexport const RUNNER = EMAIL;\n",
        'server/notifications/emailer.ts': "import { app } from '../app.ts';\nexport const EMAIL = app;\n",
        'server/locks/store.ts': "import { STORE } from '../actions/store.ts';\nexport const LOCKS = STORE;\n",
        'server/app.ts': "import { LOCKS } from './locks/store.ts';\nexport const app = LOCKS;\n",
      };
      for (const [file, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
      await copyFile(path.join(ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
      const { code, output } = await cruise(dir);
      assert.notEqual(code, 0);
      for (const rule of ['db-imports-no-feature', 'actions-import-no-runner-or-notifications', 'runner-imports-no-notifications', 'locks-import-no-actions', 'nothing-imports-the-entries', 'no-cycles']) {
        assert.ok(output.includes(rule), `${rule} was not reported:\n${output}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
