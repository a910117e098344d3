/**
 * Failed authentications counted per client address in fixed one-minute windows. Past the limit, a
 * further failure from that address answers 429 instead of 401, so a token cannot be guessed at line
 * speed. Only failures count: a valid token from the same address (WordPress shares it with whoever
 * else runs there) is never held back here; it has its own per-token rate limit.
 */
export interface AuthThrottle {
  /** Count a failure; the seconds until this address may fail again, or 0 while it is under the limit. */
  recordFailure(address: string): number;
}

const WINDOW_MS = 60_000;
/** Past this many tracked addresses, windows that have ended are swept (memory stays bounded). */
const SWEEP_ABOVE = 10_000;

export function createAuthThrottle(params: { perMinute: number; now?: () => number }): AuthThrottle {
  const now = params.now ?? Date.now;
  const windows = new Map<string, { start: number; failures: number }>();
  const sweep = (at: number): void => {
    for (const [address, window] of windows) if (at - window.start >= WINDOW_MS) windows.delete(address);
  };
  return {
    recordFailure(address) {
      if (params.perMinute <= 0) return 0;
      const at = now();
      let window = windows.get(address);
      if (window === undefined || at - window.start >= WINDOW_MS) {
        if (windows.size >= SWEEP_ABOVE) sweep(at);
        window = { start: at, failures: 0 };
        windows.set(address, window);
      }
      window.failures++;
      return window.failures > params.perMinute ? Math.max(1, Math.ceil((window.start + WINDOW_MS - at) / 1000)) : 0;
    },
  };
}
