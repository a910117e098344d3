import type { CheckResult } from '../http/readiness.ts';
import { aiAvailability } from './scheduling.ts';
import type { SettingsStore } from './settings.ts';

/**
 * The `ai` readiness check: whether summaries can be requested. Off by setting is fine (e-mails go
 * without a summary, as designed); switched on without OPENAI_API_KEY is amber, because someone meant
 * summaries to be written and none will be (each e-mail records config_missing).
 */
export async function checkAi(settings: SettingsStore, apiKey: string | null): Promise<CheckResult> {
  const current = await settings.get();
  const ai = aiAvailability(current, apiKey);
  if (ai.kind === 'available') return { status: 'ok', detail: `summaries with ${ai.model}` };
  if (ai.code === 'feature_disabled') return { status: 'ok', detail: 'AI summaries are switched off' };
  return { status: 'warn', detail: 'AI summaries are on but OPENAI_API_KEY is not set: e-mails go without a summary' };
}
