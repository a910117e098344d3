/**
 * The statements of the lock store. Time is the database's (`now()`): several sidecar processes share
 * locks, and their clocks need not agree.
 */
export function lockStatements(s: string) {
  const columns = 'key, token, owner, fence, expires_at';
  return {
    /**
     * Take the key if it is free or expired, in one statement: the insert wins for a new key, the
     * conditional update for an expired one; a live holder makes it return nothing. Concurrent callers
     * serialise on the row, so exactly one of them gets a token.
     */
    acquireFreeOrExpiredLock: `
      INSERT INTO ${s}.locks AS l (key, token, owner, fence, acquired_at, expires_at)
      VALUES ($1, gen_random_uuid(), $2, 1, now(), now() + make_interval(secs => $3::integer))
      ON CONFLICT (key) DO UPDATE
        SET token = gen_random_uuid(), owner = EXCLUDED.owner, fence = l.fence + 1,
            acquired_at = now(), expires_at = EXCLUDED.expires_at
        WHERE l.expires_at <= now()
      RETURNING ${columns}`,

    selectLockByKey: `SELECT ${columns}, (token IS NOT NULL AND expires_at > now()) AS held FROM ${s}.locks WHERE key = $1`,

    /** Extend a live lock; an expired one is lost even if nobody took it since. */
    refreshHeldLock: `
      UPDATE ${s}.locks SET expires_at = now() + make_interval(secs => $3::integer)
      WHERE key = $1 AND token = $2::uuid AND expires_at > now()
      RETURNING ${columns}`,

    releaseHeldLock: `
      UPDATE ${s}.locks SET token = NULL, expires_at = now()
      WHERE key = $1 AND token = $2::uuid AND expires_at > now()
      RETURNING key`,
  };
}
