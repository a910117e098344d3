import type { SidecarEvents } from '../events.ts';
import type { Capacity } from './capacity.ts';
import { LeaseLostError, type HandlerLogger } from './handlers.ts';
import type { HookPolicies } from '../hook-policies.ts';
import type { HeldClaim } from './leases.ts';
import { decideOutcome, ExecutionTimeoutError, ShutdownError } from './outcomes.ts';
import type { ClaimedActionRow } from './rows.ts';
import type { Settler } from './settler.ts';
import './events.ts';

/**
 * The run registry: every run this process holds, by claim token, from its claim until its outcome is
 * written, and the one place an outcome is decided. Whatever ends a run first wins (the handler, its
 * execution timeout, a lost lease, the shutdown); later endings of the same run are ignored. A run
 * stays registered, and its lease renewed, until the settler has written its outcome.
 */

/** One run in this process. */
export interface Run {
  readonly row: ClaimedActionRow;
  /** Aborted at the execution timeout, on a lost lease, and at shutdown past the grace period. */
  readonly controller: AbortController;
  readonly startedMs: number;
  /** True once an outcome was decided (it may not be written yet). */
  readonly recorded: boolean;
  /** Resolves once the outcome is written: true when this worker still held the action. */
  readonly written: Promise<boolean>;
}

export interface RunRegistry {
  /** Register a claimed action and start its execution timeout. */
  open(row: ClaimedActionRow): Run;
  /** Decide and queue the outcome of a run; `failure` is null when the handler resolved. */
  record(run: Run, failure: { error: unknown } | null): void;
  /** The claims the heartbeat renews: every run whose outcome is not written yet. */
  heldClaims(): HeldClaim[];
  /** The database no longer shows these claims (by token) as ours: stop their handlers, write nothing. */
  loseClaims(tokens: readonly string[]): void;
  /** Past the grace period: abort every handler still running; their actions go back unspent. */
  abortForShutdown(): void;
  /** Give back, unspent, every run with no outcome yet (handlers that ignored their abort). */
  giveBackUnrecorded(): void;
  /** Runs whose outcome is not written yet. */
  readonly size: number;
}

export interface RunRegistryParams {
  events: SidecarEvents;
  policies: HookPolicies;
  capacity: Pick<Capacity, 'pause'>;
  settler: Pick<Settler, 'add'>;
  log: HandlerLogger;
  now?: () => number;
}

interface RunRecord extends Run {
  recorded: boolean;
  timeout: NodeJS.Timeout | null;
  abortedForShutdown: boolean;
  markWritten(written: boolean): void;
}

export function createRunRegistry(params: RunRegistryParams): RunRegistry {
  const { events, policies, capacity, settler, log } = params;
  const now = params.now ?? Date.now;
  const held = new Map<string, RunRecord>();

  const forget = (run: RunRecord, written: boolean): void => {
    held.delete(run.row.claim_token);
    run.markWritten(written);
  };

  const record = (run: RunRecord, failure: { error: unknown } | null): void => {
    if (run.recorded) return;
    run.recorded = true;
    if (run.timeout !== null) clearTimeout(run.timeout);
    let error = failure?.error;
    if (failure !== null && run.abortedForShutdown) error = new ShutdownError();
    if (failure !== null && error === undefined) error = new Error('the handler threw without a reason');
    const outcome = decideOutcome({ row: run.row, policy: policies.policyFor(run.row.hook), error, nowMs: now() });
    const durationMs = now() - run.startedMs;
    if (outcome.kind === 'snooze' && outcome.pauseHook) capacity.pause(run.row.hook, now() + outcome.delaySeconds * 1000);
    if (outcome.kind === 'lost') {
      events.emit('action:lease-lost', { id: run.row.id, hook: run.row.hook });
      forget(run, false);
      return;
    }
    settler.add({
      row: run.row,
      outcome,
      durationMs,
      done: (written) => {
        log.info({ action_id: run.row.id, hook: run.row.hook, attempt: run.row.attempts, outcome: written ? outcome.kind : 'lost', ms: durationMs }, 'action run');
        forget(run, written);
      },
    });
  };

  const open = (row: ClaimedActionRow): Run => {
    let markWritten: (written: boolean) => void = () => undefined;
    const written = new Promise<boolean>((resolve) => (markWritten = resolve));
    const run: RunRecord = { row, controller: new AbortController(), startedMs: now(), recorded: false, timeout: null, abortedForShutdown: false, written, markWritten };
    held.set(row.claim_token, run);
    // The timeout records the failure at once; the slot stays taken until the handler really stops.
    const { timeoutSeconds } = policies.policyFor(row.hook);
    run.timeout = setTimeout(() => {
      const error = new ExecutionTimeoutError(timeoutSeconds);
      run.controller.abort(error);
      record(run, { error });
    }, timeoutSeconds * 1000);
    return run;
  };

  return {
    open,
    record(run, failure) {
      // A run no longer held was recorded and written already.
      const found = held.get(run.row.claim_token);
      if (found !== undefined) record(found, failure);
    },
    heldClaims: () => [...held.values()].map((run) => ({ id: run.row.id, token: run.row.claim_token })),
    loseClaims(tokens) {
      for (const token of tokens) {
        const run = held.get(token);
        if (run === undefined || run.recorded) continue;
        const error = new LeaseLostError(run.row.id);
        run.controller.abort(error);
        record(run, { error });
      }
    },
    abortForShutdown() {
      for (const run of held.values()) {
        if (run.recorded) continue;
        run.abortedForShutdown = true;
        run.controller.abort(new ShutdownError());
      }
    },
    giveBackUnrecorded() {
      for (const run of [...held.values()]) record(run, { error: new ShutdownError() });
    },
    get size() {
      return held.size;
    },
  };
}
