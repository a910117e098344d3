import type { Queryable } from '../db/port.ts';
import type { HookDefaults } from '../hook-policies.ts';

/**
 * The handler registry: how built-in hooks (the notification pipeline) meet the runner. A hook with no
 * registered handler is dispatched to WordPress (WP_CALLBACK_URL); without a callback URL it is not
 * claimed and waits, pending.
 *
 * A handler completes the action by resolving. It fails the attempt by throwing; the runner retries
 * within the hook's attempt budget, except for `PermanentError`. It asks to be run again later without
 * spending an attempt by throwing `SnoozeError` (and may pause the whole hook).
 */

/** The action being run, as a handler sees it. */
export interface RunningAction {
  id: number;
  hook: string;
  group: string;
  /** Canonical JSON text of the args, exactly as stored. */
  argsText: string;
  args: unknown;
  priority: number;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  claimToken: string;
  scheduledAt: Date;
}

export interface HandlerLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface HandlerContext {
  action: RunningAction;
  /** Aborted at the execution timeout and at shutdown past the grace period. */
  signal: AbortSignal;
  /**
   * Run `fn` in one transaction that first locks the action row and checks it is still ours (same claim
   * token, in-progress). Throws `LeaseLostError` when another worker now holds it: side effects that
   * must happen once record their intent through here. `claims` answers, in that transaction, about
   * other runs' claims, so a feature never reads the runner's tables to ask.
   */
  fenced<T>(fn: (tx: Queryable, claims: ClaimFence) => Promise<T>): Promise<T>;
  log: HandlerLogger;
}

/** What a fenced transaction may ask about claims other than its own. */
export interface ClaimFence {
  /**
   * Whether `token` still holds an action in progress. A claim token is never reused, so once this is
   * false it stays false: what that run left half done (a delivery marked sending) may be taken over.
   */
  isLive(token: string): Promise<boolean>;
}

export interface ActionHandler {
  hook: string;
  /** Retry policy, timeout, concurrency and retention defaults; the environment may override them. */
  defaults?: HookDefaults;
  run(context: HandlerContext): Promise<void>;
}

/** Fail now, whatever attempts are left (bad input, a terminal answer from a remote). */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** Run again after `seconds` without spending an attempt; `pauseHook` holds back every action of the hook. */
export class SnoozeError extends Error {
  constructor(
    readonly seconds: number,
    reason: string,
    readonly pauseHook = false,
  ) {
    super(reason);
    this.name = 'SnoozeError';
  }
}

/** The claim was lost (lease expired and another worker took the action): stop, write nothing. */
export class LeaseLostError extends Error {
  constructor(actionId: number) {
    super(`action ${actionId} is no longer held by this worker`);
    this.name = 'LeaseLostError';
  }
}

export interface HandlerRegistry {
  register(handler: ActionHandler): void;
  get(hook: string): ActionHandler | undefined;
  hooks(): string[];
}

export function createHandlerRegistry(): HandlerRegistry {
  const handlers = new Map<string, ActionHandler>();
  return {
    register(handler) {
      if (handlers.has(handler.hook)) throw new Error(`a handler for ${handler.hook} is already registered`);
      handlers.set(handler.hook, handler);
    },
    get: (hook) => handlers.get(hook),
    hooks: () => [...handlers.keys()],
  };
}
