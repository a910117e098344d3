import type { Database } from '../db/port.ts';
import { lockStatements } from './sql.ts';

export interface LockInfo {
  key: string;
  token: string;
  fence: number;
  owner: string | null;
  expiresAt: Date;
}

export type AcquireResult = { acquired: true; lock: LockInfo } | { acquired: false; owner: string | null; expiresAt: Date };

/** A row of `locks`. */
interface LockRow {
  key: string;
  token: string | null;
  owner: string | null;
  fence: number;
  expires_at: Date;
}

export interface LockState {
  key: string;
  held: boolean;
  owner: string | null;
  fence: number;
  expiresAt: Date;
}

export interface LockStore {
  acquire(key: string, ttlSeconds: number, owner?: string | null): Promise<AcquireResult>;
  /** Null when the lock is no longer held with this token (expired, released or taken). */
  refresh(key: string, token: string, ttlSeconds: number): Promise<LockInfo | null>;
  release(key: string, token: string): Promise<boolean>;
  /** Null for a key that was never acquired. */
  get(key: string): Promise<LockState | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toInfo(row: LockRow): LockInfo {
  return { key: row.key, token: row.token as string, fence: row.fence, owner: row.owner, expiresAt: row.expires_at };
}

export function createLockStore(db: Database): LockStore {
  const sql = lockStatements(db.schema);

  const store: LockStore = {
    async acquire(key, ttlSeconds, owner = null) {
      // A holder seen by the failed upsert may release or expire before we read it: then try again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const taken = await db.query<LockRow>(sql.acquireFreeOrExpiredLock, [key, owner, ttlSeconds]);
        if (taken.rows[0]) return { acquired: true, lock: toInfo(taken.rows[0]) };
        const state = await store.get(key);
        if (state?.held) return { acquired: false, owner: state.owner, expiresAt: state.expiresAt };
      }
      throw new Error(`lock ${key} changed hands three times while it was being acquired`);
    },

    async refresh(key, token, ttlSeconds) {
      if (!UUID.test(token)) return null;
      const { rows } = await db.query<LockRow>(sql.refreshHeldLock, [key, token, ttlSeconds]);
      return rows[0] ? toInfo(rows[0]) : null;
    },

    async release(key, token) {
      if (!UUID.test(token)) return false;
      const { rows } = await db.query(sql.releaseHeldLock, [key, token]);
      return rows.length > 0;
    },

    async get(key) {
      const { rows } = await db.query<LockRow & { held: boolean }>(sql.selectLockByKey, [key]);
      const row = rows[0];
      if (!row) return null;
      return { key: row.key, held: row.held, owner: row.held ? row.owner : null, fence: row.fence, expiresAt: row.expires_at };
    },
  };
  return store;
}
