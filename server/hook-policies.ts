import type { Config, RetryPolicyInput } from './config.ts';

/**
 * What is known about a hook, shared by the features that need it: the action store (an enqueue's
 * default attempts), the runner (backoff, execution timeout, concurrency cap) and the cleaner
 * (retention). It lives beside config.ts, below every feature, so the store does not import the runner.
 * Precedence: `RETRY_POLICIES` / `HOOK_CONCURRENCY` / `RETENTION_HOOKS` from the environment, then the
 * defaults a built-in handler declares, then the global defaults (1 attempt, Action Scheduler's
 * behaviour for unknown hooks).
 */
export interface Backoff {
  baseSeconds: number;
  maxSeconds: number;
  /** 0..1: the delay is spread uniformly over ±jitter of itself, so retries of a burst do not align. */
  jitter: number;
}

export interface HookPolicy {
  maxAttempts: number;
  backoff: Backoff;
  timeoutSeconds: number;
  /** At most this many handlers of the hook run at once in one process; null = only the global pool. */
  concurrency: number | null;
  /** Finished actions of this hook are deleted after this many days (all terminal statuses). */
  retentionDays: number | null;
}

export interface HookDefaults {
  maxAttempts?: number;
  backoff?: Partial<Backoff>;
  timeoutSeconds?: number;
  concurrency?: number;
  retentionDays?: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseSeconds: 10, maxSeconds: 3600, jitter: 0.2 };

export interface HookPolicies {
  policyFor(hook: string): HookPolicy;
  /** Register the defaults of a built-in hook (before the app serves). */
  declare(hook: string, defaults: HookDefaults): void;
  /** Hooks with a configured or declared retention, for the cleaner. */
  retentionOverrides(): Map<string, number>;
  /** Hooks with a concurrency cap, for the claim statement. */
  concurrencyCaps(): Map<string, number>;
  /** Every hook with a policy of its own (declared by a handler, or named in the environment), sorted. */
  known(): string[];
}

function fromInput(input: RetryPolicyInput | undefined): HookDefaults {
  if (input === undefined) return {};
  const defaults: HookDefaults = {};
  if (input.max_attempts !== undefined) defaults.maxAttempts = input.max_attempts;
  if (input.timeout_seconds !== undefined) defaults.timeoutSeconds = input.timeout_seconds;
  if (input.backoff !== undefined) {
    const backoff: Partial<Backoff> = {};
    if (input.backoff.base_seconds !== undefined) backoff.baseSeconds = input.backoff.base_seconds;
    if (input.backoff.max_seconds !== undefined) backoff.maxSeconds = input.backoff.max_seconds;
    if (input.backoff.jitter !== undefined) backoff.jitter = input.backoff.jitter;
    defaults.backoff = backoff;
  }
  return defaults;
}

export function createHookPolicies(config: Pick<Config, 'retryPolicies' | 'hookConcurrency' | 'retentionHooks' | 'actionTimeoutSeconds'>): HookPolicies {
  const declared = new Map<string, HookDefaults>();
  const cache = new Map<string, HookPolicy>();

  /** Declared and `configured` hooks whose policy has a value for `pick`, with that value. */
  const withValue = (configured: string[], pick: (policy: HookPolicy) => number | null): Map<string, number> => {
    const result = new Map<string, number>();
    for (const hook of new Set([...declared.keys(), ...configured])) {
      const value = pick(policies.policyFor(hook));
      if (value !== null) result.set(hook, value);
    }
    return result;
  };

  const policies: HookPolicies = {
    declare(hook, defaults) {
      declared.set(hook, defaults);
      cache.clear();
    },

    policyFor(hook) {
      const cached = cache.get(hook);
      if (cached) return cached;
      const builtIn = declared.get(hook) ?? {};
      const configured = fromInput(config.retryPolicies[hook]);
      const policy: HookPolicy = {
        maxAttempts: configured.maxAttempts ?? builtIn.maxAttempts ?? 1,
        backoff: { ...DEFAULT_BACKOFF, ...builtIn.backoff, ...configured.backoff },
        timeoutSeconds: configured.timeoutSeconds ?? builtIn.timeoutSeconds ?? config.actionTimeoutSeconds,
        concurrency: config.hookConcurrency[hook] ?? builtIn.concurrency ?? null,
        retentionDays: config.retentionHooks[hook] ?? builtIn.retentionDays ?? null,
      };
      cache.set(hook, policy);
      return policy;
    },

    retentionOverrides: () => withValue(Object.keys(config.retentionHooks), (policy) => policy.retentionDays),
    concurrencyCaps: () => withValue(Object.keys(config.hookConcurrency), (policy) => policy.concurrency),
    known: () =>
      [...new Set([...declared.keys(), ...Object.keys(config.retryPolicies), ...Object.keys(config.hookConcurrency), ...Object.keys(config.retentionHooks)])].sort(),
  };
  return policies;
}

/** Exponential backoff with jitter, capped: the delay before attempt `attempt + 1` after `attempt` failed. */
export function backoffSeconds(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(backoff.maxSeconds, backoff.baseSeconds * 2 ** Math.max(0, attempt - 1));
  const spread = exponential * backoff.jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(backoff.maxSeconds, exponential + spread));
}
