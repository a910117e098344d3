import Queue from 'better-queue';

/**
 * The execution pool: `better-queue` as a bounded executor and nothing more. It never retries
 * (`maxRetries: 0`; retries are the database's business, with backoff and a budget) and has no
 * `maxTimeout` (that would free the slot while the handler keeps running): the runner aborts a
 * handler at its timeout through its own AbortController, and the slot stays taken until the handler's
 * promise settles, so a handler that ignores its signal still counts against the capacity.
 * A task is the batch of actions of one claim (executor.ts): the pool bounds open batches, the
 * capacity bounds handlers, and there are never more open batches than running handlers.
 */
export interface ExecutionPool {
  /** Run `task` when a slot is free; `key` must be unique among queued and running tasks. */
  submit(key: string, task: () => Promise<void>): void;
  destroy(): Promise<void>;
}

interface PoolTask {
  key: string;
  task: () => Promise<void>;
}

export function createExecutionPool(concurrency: number, onTaskError: (error: unknown) => void): ExecutionPool {
  const queue = new Queue<PoolTask, void>(
    (item: PoolTask, done: (error?: unknown) => void) => {
      // The task reports its own outcome; the pool only needs to know the slot is free again.
      item.task().then(
        () => done(),
        (error: unknown) => {
          onTaskError(error);
          done();
        },
      );
    },
    {
      concurrent: concurrency,
      maxRetries: 0,
      // Our key, not a generated uuid: claim tokens are unique already, and better-queue would merge
      // two tasks that shared an id.
      id: (item: PoolTask, cb: (error: unknown, id: keyof PoolTask) => void) => cb(null, item.key as keyof PoolTask),
    },
  );
  return {
    submit(key, task) {
      queue.push({ key, task });
    },
    destroy: () => new Promise<void>((resolve) => queue.destroy(() => resolve())),
  };
}
