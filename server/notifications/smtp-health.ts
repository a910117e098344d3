import type { CheckResult } from '../http/readiness.ts';

/**
 * Whether the mail server is refusing our credentials. An authentication failure (535 and kin) is
 * retried like any temporary error, but it will not pass by itself: /readyz shows it amber until a
 * send succeeds again. Kept per process: each process talks to the server on its own.
 */
export interface SmtpHealth {
  recordAuthFailure(code: number | null, at?: Date): void;
  recordSuccess(): void;
  check(): CheckResult;
}

export function createSmtpHealth(mode: 'smtp' | 'outbox'): SmtpHealth {
  let authFailure: { code: number | null; at: Date } | null = null;
  return {
    recordAuthFailure(code, at = new Date()) {
      authFailure = { code, at };
    },
    recordSuccess() {
      authFailure = null;
    },
    check() {
      if (authFailure !== null) {
        const code = authFailure.code === null ? '' : ` (${authFailure.code})`;
        return { status: 'warn', detail: `the SMTP server refused the credentials${code} at ${authFailure.at.toISOString()}; e-mails are being retried` };
      }
      return { status: 'ok', detail: mode === 'smtp' ? 'SMTP' : 'no SMTP_URL: e-mails are written to the outbox folder' };
    },
  };
}
