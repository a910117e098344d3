import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./db-process-entry.ts', import.meta.url));

/** A child running test/support/db-process-entry.ts, read line by line as JSON. */
export interface DbProcess {
  readonly pid: number;
  /** The next JSON line it prints. */
  next<T = Record<string, unknown>>(): Promise<T>;
  send(line: string): void;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

export function startDbProcess(args: string[]): DbProcess {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const resolve = waiting.shift();
    if (resolve) resolve(line);
    else queue.push(line);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    pid: child.pid as number,
    next<T>() {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as T);
      return Promise.race([
        new Promise<T>((resolve) => waiting.push((line) => resolve(JSON.parse(line) as T))),
        exited.then((code) => Promise.reject(new Error(`db process exited with ${code} before answering: ${stderr.trim()}`))),
      ]);
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    exited,
  };
}
