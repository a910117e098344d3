import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startSidecar } from '../../support/sidecar-process.ts';

/**
 * Every curl line of README.md, run in order by bash against a fresh embedded default (as
 * `npm ci && npm start` leaves it), and compared with the `# → <status> <body>` line the README
 * prints beside it. A curl line without such a line fails the test, so README and behaviour cannot
 * drift apart. In an expected body, `…` stands for a value that differs per run (a token, a time),
 * `,…}` for keys left out, and in text bodies for any text; a long body continues on `#    ` lines.
 *
 * Lines run: the variable assignments and curl lines of the ```sh blocks (npm lines are not). The
 * sidecar runs with NOTIFY_PROCESS_INTERVAL=0 so its own processor pass never holds the lock the
 * README's lock examples take.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ELLIPSIS = '…';

interface Example {
  line: number;
  command: string;
  expected: { status: number; body: string } | null;
}

function readmeExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let inShell = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    if (/^```sh\s*$/.test(text)) inShell = true;
    else if (/^```\s*$/.test(text)) inShell = false;
    if (!inShell) continue;
    const isCurl = /^curl\s/.test(text);
    if (!isCurl && !/^[A-Z][A-Z0-9_]*=/.test(text)) continue;
    let expected: Example['expected'] = null;
    if (isCurl) {
      const at = lines.findIndex((candidate, j) => j > i && candidate.trim() !== '');
      const match = /^# → (\d{3})(?: (.*))?$/.exec(at < 0 ? '' : (lines[at] as string));
      if (match) {
        // A long body goes on over lines that start with "#    ".
        let body = (match[2] ?? '').trim();
        for (let j = at + 1; /^# {4}\S/.test(lines[j] ?? ''); j++) body += (lines[j] as string).slice(1).trim();
        expected = { status: Number(match[1]), body };
      }
    }
    examples.push({ line: i + 1, command: text, expected });
  }
  return examples;
}

/** Expected JSON with `…` elisions, made parseable: `"…"` and bare `…` values match anything, `…` keys allow more keys. */
function parsePattern(text: string): unknown {
  const prepared = text
    .replace(/,\s*…\s*}/g, `,"${ELLIPSIS}":"${ELLIPSIS}"}`)
    .replace(/{\s*…\s*}/g, `{"${ELLIPSIS}":"${ELLIPSIS}"}`)
    .replace(/,\s*…\s*]/g, `,"${ELLIPSIS}"]`)
    .replace(/\[\s*…\s*]/g, `["${ELLIPSIS}"]`)
    .replace(/:\s*…/g, `:"${ELLIPSIS}"`);
  return JSON.parse(prepared);
}

function matches(expected: unknown, actual: unknown, where: string, problems: string[]): void {
  if (expected === ELLIPSIS) return;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return void problems.push(`${where}: expected an array`);
    const open = expected.at(-1) === ELLIPSIS;
    const items = open ? expected.slice(0, -1) : expected;
    if (open ? actual.length < items.length : actual.length !== items.length) problems.push(`${where}: expected ${items.length}${open ? ' or more' : ''} items, got ${actual.length}`);
    items.forEach((item, i) => matches(item, actual[i], `${where}[${i}]`, problems));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return void problems.push(`${where}: expected an object`);
    const record = expected as Record<string, unknown>;
    const open = ELLIPSIS in record;
    for (const [key, value] of Object.entries(record)) {
      if (key === ELLIPSIS) continue;
      if (!(key in actual)) problems.push(`${where}.${key}: missing`);
      else matches(value, (actual as Record<string, unknown>)[key], `${where}.${key}`, problems);
    }
    if (!open) for (const key of Object.keys(actual)) if (!(key in record)) problems.push(`${where}.${key}: not in the README`);
    return;
  }
  if (expected !== actual) problems.push(`${where}: README says ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function compareBody(expected: string, actual: string): string[] {
  if (expected === '') return actual.trim() === '' ? [] : ['README shows no body, got one'];
  if (/^[[{]/.test(expected)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(actual);
    } catch {
      return [`not JSON: ${actual.slice(0, 200)}`];
    }
    const problems: string[] = [];
    matches(parsePattern(expected), parsed, '$', problems);
    return problems;
  }
  const pattern = new RegExp(`^${expected.split(ELLIPSIS).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*')}$`);
  return pattern.test(actual.trim()) ? [] : [`text does not match "${expected}": ${actual.slice(0, 300)}`];
}

/** Run the lines in one bash, a marker before each on both streams; curl's status goes to stderr. */
function runLines(examples: Example[], cwd: string, port: number): Promise<Array<{ stdout: string; status: number | null }>> {
  const script = [
    'set -u',
    "curl() { command curl -w '%{stderr}@@status %{http_code}\\n' \"$@\"; }",
    ...examples.flatMap((example, i) => [`echo "@@line ${i}"; echo "@@line ${i}" >&2`, example.command.replace(/:8787\b/g, `:${port}`)]),
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const split = (text: string): string[] => text.split(/@@line \d+\n/).slice(1);
      const outs = split(stdout);
      const errs = split(stderr);
      resolve(examples.map((_, i) => {
        const statuses = [...(errs[i] ?? '').matchAll(/@@status (\d{3})/g)];
        return { stdout: outs[i] ?? '', status: statuses.length > 0 ? Number(statuses.at(-1)?.[1]) : null };
      }));
    });
  });
}

describe('README examples', () => {
  it('answer what the README prints beside each curl line, on a fresh embedded default', async () => {
    const examples = readmeExamples(await readFile(path.join(ROOT, 'README.md'), 'utf8'));
    const curls = examples.filter((example) => example.command.startsWith('curl'));
    assert.ok(curls.length >= 30, `only ${curls.length} curl lines found`);
    const missing = curls.filter((example) => example.expected === null).map((example) => `README.md:${example.line}`);
    assert.deepEqual(missing, [], 'every curl line is followed by "# → <status> <body>"');

    const cwd = await mkdtemp(path.join(os.tmpdir(), 'sidecar-readme-'));
    const sidecar = await startSidecar({ DATA_DIR: path.join(cwd, 'data'), NOTIFY_PROCESS_INTERVAL: '0' });
    try {
      const port = Number(new URL(sidecar.url).port);
      const results = await runLines(examples, cwd, port);
      const failures: string[] = [];
      examples.forEach((example, i) => {
        const result = results[i] as { stdout: string; status: number | null };
        if (process.env.README_EXAMPLES_PRINT === '1') process.stdout.write(`README.md:${example.line} ${result.status} ${result.stdout.trim()}\n`);
        if (example.expected === null) return;
        const problems = result.status === example.expected.status ? compareBody(example.expected.body, result.stdout) : [`status ${result.status}, README says ${example.expected.status}`];
        if (problems.length > 0) failures.push(`README.md:${example.line} ${example.command}\n    ${problems.join('\n    ')}\n    got: ${result.stdout.trim().slice(0, 400)}`);
      });
      assert.deepEqual(failures, []);
    } finally {
      await sidecar.kill();
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
