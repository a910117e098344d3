import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm test`: every test/**\/*.test.ts under node:test (through tsx), after one check that no two `it`
 * titles in a file are the same (a duplicate title hides which one failed and would share a schema).
 * Arguments narrow the run to paths that contain them: `npm test -- unit/actions`.
 */
const root = path.dirname(fileURLToPath(import.meta.url));

async function findTests(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'fixtures' && entry.name !== 'node_modules') found.push(...(await findTests(full)));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found.sort();
}

const TITLE = /\bit\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g;

async function duplicateTitles(files: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const file of files) {
    const seen = new Set<string>();
    for (const match of (await readFile(file, 'utf8')).matchAll(TITLE)) {
      const title = match[2] as string;
      if (seen.has(title)) problems.push(`${path.relative(root, file)}: "${title}"`);
      seen.add(title);
    }
  }
  return problems;
}

const filters = process.argv.slice(2);
const files = (await findTests(root)).filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));
if (files.length === 0) {
  process.stderr.write(`No test files match ${filters.join(' ')}\n`);
  process.exit(1);
}
const duplicates = await duplicateTitles(files);
if (duplicates.length > 0) {
  process.stderr.write(`Duplicate test titles (make each sentence unique within its file):\n  ${duplicates.join('\n  ')}\n`);
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(2, Math.min(4, os.availableParallelism() * 2)));
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
