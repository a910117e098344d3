import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testConfig } from '../../../server/config.ts';
import { lockDataDir, openDatabase } from '../../../server/db/open.ts';
import { startDbProcess } from '../../support/db-processes.ts';

/** The embedded database is one process: its data directory is locked by the pid that opened it. */

const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);

/** The pid of a process that has exited: a lock file left by a crash. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

describe('the embedded data directory lock', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sidecar-datadir-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a second process with the first one’s pid, and lets one in once the first closed', async () => {
    const dataDir = path.join(root, 'shared');
    const first = await openDatabase(testConfig({ dataDir, databaseUrl: null }));
    try {
      assert.equal((await readFile(path.join(dataDir, 'sidecar.lock'), 'utf8')).trim(), String(process.pid));
      const second = startDbProcess(['open', dataDir]);
      assert.deepEqual(await second.next(), { locked: process.pid });
      assert.equal(await second.exited, 0);
    } finally {
      await first.close();
    }
    assert.equal(await exists(path.join(dataDir, 'sidecar.lock')), false, 'closing gave the lock back');
    const third = startDbProcess(['open', dataDir]);
    assert.deepEqual(await third.next(), { opened: true });
    assert.equal((await readFile(path.join(dataDir, 'sidecar.lock'), 'utf8')).trim(), String(third.pid));
    third.send('close');
    assert.equal(await third.exited, 0);
  });

  it('takes over a lock left by a process that died', async () => {
    const dataDir = path.join(root, 'stale');
    const release = await lockDataDir(dataDir);
    await release();
    await writeFile(path.join(dataDir, 'sidecar.lock'), String(await deadPid()));
    const again = await lockDataDir(dataDir);
    assert.equal((await readFile(path.join(dataDir, 'sidecar.lock'), 'utf8')).trim(), String(process.pid));
    await again();
    assert.equal(await exists(path.join(dataDir, 'sidecar.lock')), false);
  });

  it('gives the lock back when the embedded database fails to open', async () => {
    const dataDir = path.join(root, 'broken');
    const release = await lockDataDir(dataDir);
    await release();
    // Where PGlite keeps its files, a plain file: opening fails after the lock was taken.
    await writeFile(path.join(dataDir, 'pglite'), 'not a directory');
    await assert.rejects(openDatabase(testConfig({ dataDir, databaseUrl: null })));
    assert.equal(await exists(path.join(dataDir, 'sidecar.lock')), false);
  });
});
