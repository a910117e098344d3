import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';

export interface ResolvedToken {
  token: string;
  /** Where the token comes from, for the banner; never the token itself unless just generated. */
  source: string;
  generated: boolean;
}

/**
 * With PostgreSQL the token is configuration (config.ts refuses to start without it). On the embedded
 * default the first start generates one and keeps it in DATA_DIR/api-token (mode 0600).
 */
export async function resolveApiToken(config: Config): Promise<ResolvedToken> {
  if (config.apiToken !== null) return { token: config.apiToken, source: 'SIDECAR_API_TOKEN', generated: false };
  const file = path.join(config.dataDir, 'api-token');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing.length >= 16) return { token: existing, source: file, generated: false };
  await mkdir(config.dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, source: file, generated: true };
}
