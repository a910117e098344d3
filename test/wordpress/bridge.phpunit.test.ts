/**
 * The bridge's PHPUnit suite (client, signature, delivery parsing, API mapping, routing, settings),
 * run from node:test so that `npm test` includes it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/wordpress-site.ts';

const execFileAsync = promisify(execFile);
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

async function phpunitSkipReason(): Promise<string | undefined> {
  try {
    await execFileAsync('phpunit', ['--version'], { timeout: 10_000 });
    return undefined;
  } catch (error) {
    const reason = `phpunit is not runnable (Debian's phpunit package): ${(error as Error).message}`;
    if (IN_CI) throw new Error(`${reason} (CI=true: the PHP unit tests must run, not skip)`);
    process.stderr.write(`\n!! SKIPPING the bridge's PHPUnit suite: ${reason}\n`);
    return reason;
  }
}

const skip = await phpunitSkipReason();

describe('phpunit -c plugin-bridge/tests/phpunit.xml.dist', { skip }, () => {
  it('exits 0 and reports OK for every unit test', { timeout: 120_000 }, async () => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile('phpunit', ['-c', path.join(REPO_ROOT, 'plugin-bridge/tests/phpunit.xml.dist')], { cwd: REPO_ROOT, timeout: 110_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null;
        resolve({ code, output: `${stdout}${stderr}` });
      });
    });

    assert.equal(result.code, 0, result.output);
    const summary = /^OK \((\d+) tests?, (\d+) assertions?\)$/m.exec(result.output);
    assert.ok(summary, `no "OK (" line:\n${result.output}`);
    assert.ok(Number(summary[1]) > 0, `no test ran:\n${result.output}`);
  });
});
