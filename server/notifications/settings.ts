import type { Config } from '../config.ts';
import type { Database } from '../db/port.ts';
import { sidecarError } from '../errors.ts';
import type { SettingsRow } from './rows.ts';
import type { Settings, SettingsBody } from './schemas.ts';
import { settingsStatements } from './sql.ts';

/**
 * Recipients per operation and the AI switch, stored in the sidecar's database. The environment
 * (NOTIFY_RECIPIENTS_INSERT/UPDATE, AI_ENABLED, OPENAI_MODEL) seeds them once; from then on the stored
 * values win, and the WordPress bridge keeps them in step with WeCoza's options.
 */

export type RecipientsMap = Record<string, string[]>;

export interface NotificationSettings {
  recipients: RecipientsMap;
  ai: { enabled: boolean; model: string };
  updatedAt: Date;
}

export interface SettingsStore {
  get(): Promise<NotificationSettings>;
  update(body: SettingsBody): Promise<NotificationSettings>;
}

/** The addresses for one source operation (matched upper-case); empty when nobody is configured. */
export function recipientsFor(settings: NotificationSettings, operation: string): string[] {
  return settings.recipients[operation.toUpperCase()] ?? [];
}

/**
 * Operation names upper-case; addresses trimmed and de-duplicated without regard to case (the first
 * spelling is kept). Two keys that differ only by case are refused: which list would win is a guess.
 */
export function normaliseRecipients(input: Record<string, readonly string[]>): RecipientsMap {
  const result: RecipientsMap = {};
  for (const [operation, addresses] of Object.entries(input)) {
    const key = operation.toUpperCase();
    if (key in result) throw sidecarError('invalid_settings', `recipients has both ${key} and ${operation}; give each operation once.`);
    const seen = new Set<string>();
    const list: string[] = [];
    for (const address of addresses) {
      const trimmed = address.trim();
      if (seen.has(trimmed.toLowerCase())) continue;
      seen.add(trimmed.toLowerCase());
      list.push(trimmed);
    }
    result[key] = list;
  }
  return result;
}

function toSettings(row: SettingsRow): NotificationSettings {
  const recipients: RecipientsMap = {};
  if (row.recipients !== null && typeof row.recipients === 'object' && !Array.isArray(row.recipients)) {
    for (const [operation, list] of Object.entries(row.recipients as Record<string, unknown>)) {
      recipients[operation] = Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
    }
  }
  return { recipients, ai: { enabled: row.ai_enabled, model: row.ai_model }, updatedAt: row.updated_at };
}

export function toSettingsReply(settings: NotificationSettings): Settings {
  return { recipients: settings.recipients, ai: { ...settings.ai }, updated_at: settings.updatedAt.toISOString() };
}

// Every enrichment and processor pass reads the settings; a change made in another process is seen
// within this long, one made through this process at once.
const CACHE_MS = 1_000;

export function createSettingsStore(params: { db: Database; config: Pick<Config, 'notifyRecipientsInsert' | 'notifyRecipientsUpdate' | 'aiEnabled' | 'openaiModel'>; now?: () => number }): SettingsStore {
  const { db, config } = params;
  const now = params.now ?? Date.now;
  const sql = settingsStatements(db.schema);
  let seeded = false;
  let cached: { settings: NotificationSettings; at: number } | null = null;

  const seed = async (): Promise<void> => {
    if (seeded) return;
    const recipients = normaliseRecipients({ INSERT: config.notifyRecipientsInsert, UPDATE: config.notifyRecipientsUpdate });
    await db.query(sql.seedSettings, [JSON.stringify(recipients), config.aiEnabled, config.openaiModel]);
    seeded = true;
  };

  return {
    async get() {
      if (cached !== null && now() - cached.at < CACHE_MS) return cached.settings;
      await seed();
      const { rows } = await db.query<SettingsRow>(sql.selectSettings);
      if (rows[0] === undefined) throw new Error('notification settings row is missing after seeding');
      cached = { settings: toSettings(rows[0]), at: now() };
      return cached.settings;
    },

    async update(body) {
      await seed();
      const recipients = body.recipients === undefined ? null : JSON.stringify(normaliseRecipients(body.recipients));
      const { rows } = await db.query<SettingsRow>(sql.updateSettings, [recipients, body.ai?.enabled ?? null, body.ai?.model ?? null]);
      if (rows[0] === undefined) throw new Error('notification settings row is missing after seeding');
      cached = { settings: toSettings(rows[0]), at: now() };
      return cached.settings;
    },
  };
}
