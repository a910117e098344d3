import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { generateOpenApiYaml } from '../../../server/scripts/openapi-document.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

interface Operation {
  operationId?: string;
  requestBody?: { required?: boolean };
  parameters?: Array<{ in: string }>;
  responses: Record<string, { description?: string }>;
}

async function operations(): Promise<Array<{ route: string; operation: Operation; document: any }>> {
  const document = parse(await generateOpenApiYaml());
  const found: Array<{ route: string; operation: Operation; document: any }> = [];
  for (const [url, methods] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) found.push({ route: `${method.toUpperCase()} ${url}`, operation, document });
  }
  return found;
}

describe('openapi.yaml', () => {
  it('passes redocly lint with no error and no warning', { timeout: 120_000 }, async () => {
    const result = await run(process.execPath, [path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', 'openapi.yaml', '--config', 'redocly.yaml', '--format', 'stylish'], { cwd: ROOT }).catch(
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.match(output, /Your API description is valid/, output);
    assert.doesNotMatch(output, /\d+ warnings?\b/, output);
  });

  it('names every operation and describes every response status', async () => {
    const ids = new Set<string>();
    for (const { route, operation } of await operations()) {
      assert.equal(typeof operation.operationId, 'string', route);
      assert.ok(!ids.has(operation.operationId as string), `${route}: duplicate ${operation.operationId}`);
      ids.add(operation.operationId as string);
      for (const [status, response] of Object.entries(operation.responses)) {
        assert.ok(response.description && response.description !== 'Default Response', `${route} ${status}`);
      }
    }
    assert.ok(ids.has('as_enqueue_async_action') && ids.has('as_get_scheduled_actions'));
  });

  it('lists 413 and 415 on every body route, 414 where a path has parameters, and 431 everywhere', async () => {
    for (const { route, operation } of await operations()) {
      const statuses = Object.keys(operation.responses);
      assert.ok(statuses.includes('431'), `${route}: 431`);
      if (operation.requestBody) assert.ok(statuses.includes('413') && statuses.includes('415'), `${route}: 413/415`);
      if (operation.parameters?.some((parameter) => parameter.in === 'path')) assert.ok(statuses.includes('414'), `${route}: 414`);
    }
  });

  it('keeps the recipient-key pattern of the settings and documents the optional body of /process', async () => {
    const all = await operations();
    const put = all.find(({ route }) => route === 'PUT /v1/notifications/settings')?.operation as any;
    const recipients = put.requestBody.content['application/json'].schema.properties.recipients;
    assert.equal(recipients.propertyNames.pattern, '^[A-Za-z][A-Za-z0-9_]{0,63}$');
    const process = all.find(({ route }) => route === 'POST /v1/notifications/process')?.operation;
    assert.equal(process?.requestBody?.required, false);
  });
});
