/**
 * The child processes of the benches (bench/runner, bench/peers, bench/scale): each engine runs in a
 * process of its own so its CPU and RSS are its own, and talks to the parent in JSON lines on stdout
 * (`ready` when it serves a load, `result` at the end), the parent saying `stop` on its stdin.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

/** Epoch milliseconds with sub-millisecond precision, comparable across the processes of one machine. */
export const now = (): number => performance.timeOrigin + performance.now();

/**
 * Run `entry child <spec>` (with BENCH_NODE_ARGS, e.g. --cpu-prof) and read its JSON lines: on
 * `ready` run `whileReady` (the load), then tell it to stop; resolve with its `result`.
 */
export function runBenchChild<R extends { rssMb: number }>(entry: string, name: string, spec: object, whileReady?: () => Promise<void>): Promise<R> {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry, 'child', JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  // Resolved at the exit, not at the result line: a --cpu-prof child writes its profile as it exits.
  let result: R | undefined;
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      let message: { type: string } & R;
      try {
        message = JSON.parse(line) as { type: string } & R;
      } catch (error) {
        // A cut line must fail the cell (and let the caller drop its schema), not crash the process.
        return reject(new Error(`bench child ${name} wrote a line that is not JSON: ${String(error)}`));
      }
      if (message.type === 'ready') {
        (whileReady ?? (async () => undefined))().then(
          () => proc.stdin.write('stop\n'),
          (error: unknown) => reject(error),
        );
      } else if (message.type === 'result') result = message;
    });
    // 'close', not 'exit': stdout may still hold the result line when the process has exited.
    proc.on('close', (code) => {
      if (code !== 0 || result === undefined) reject(new Error(`bench child ${name} exited with ${code}${result === undefined ? ' before its result' : ''}`));
      else resolve(result);
    });
  });
}

/**
 * Exit a child once stdout has taken its result: a pipe takes large writes asynchronously, so an exit
 * right after the write would cut the result line (the callback of a later write runs after it).
 */
export function exitOnceWritten(): void {
  process.stdout.write('\n', () => process.exit(0));
}

/** A serving child: say `ready` (the parent then runs the load), return when the parent says stop. */
export async function serveUntilStopped(): Promise<void> {
  process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`);
  const commands = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => commands.once('line', () => resolve()));
  // An open stdin keeps the child alive after its result, and the parent waits for its children.
  commands.close();
  process.stdin.destroy();
}

export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
