/**
 * Readiness checks contributed by features (database, migrations, source table, SMTP). `fail` makes
 * /readyz answer 503; `warn` keeps 200 but shows the check amber (the queue works; something needs a human).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  status: CheckStatus;
  detail?: string;
}

export type ReadinessCheck = () => Promise<CheckResult> | CheckResult;

export interface Readiness {
  register(name: string, check: ReadinessCheck): void;
  evaluate(): Promise<{ status: 'ready' | 'degraded' | 'not_ready'; checks: Record<string, CheckResult> }>;
}

export function createReadiness(timeoutMs = 2_000): Readiness {
  const checks = new Map<string, ReadinessCheck>();
  return {
    register(name, check) {
      checks.set(name, check);
    },
    async evaluate() {
      const entries = await Promise.all(
        [...checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
          let timer: NodeJS.Timeout | undefined;
          try {
            const timeout = new Promise<CheckResult>((resolve) => {
              timer = setTimeout(() => resolve({ status: 'fail', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
            });
            return [name, await Promise.race([Promise.resolve(check()), timeout])];
          } catch (error) {
            return [name, { status: 'fail', detail: error instanceof Error ? error.message : String(error) }];
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      const result = Object.fromEntries(entries);
      const statuses = entries.map(([, check]) => check.status);
      const status = statuses.includes('fail') ? 'not_ready' : statuses.includes('warn') ? 'degraded' : 'ready';
      return { status, checks: result };
    },
  };
}
