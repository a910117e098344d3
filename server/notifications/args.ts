import { EMAIL_ADDRESS } from '../config.ts';
import { PermanentError } from '../runner/handlers.ts';

/**
 * The args of the two built-in hooks. Our own jobs carry ids only; WeCoza's PHP enqueues
 * `{log_id, recipient}` (Phase 12 also `email_context`, ignored here), and its urgent path
 * `{log_id}` alone (every recipient configured for the row's operation). All three are accepted so
 * the bridge can route WeCoza's own calls to the sidecar.
 */

export type EmailArgs = { logId: number; deliveryId: number } | { logId: number; recipient: string } | { logId: number; everyRecipient: true };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function positiveInteger(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  // PHP may send ids as numeric strings.
  if (typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value)) return Number(value);
  return null;
}

export function parseEnrichArgs(args: unknown): number {
  const logId = isRecord(args) ? positiveInteger(args['log_id']) : null;
  if (logId === null) throw new PermanentError('args must be {"log_id": <positive integer>}');
  return logId;
}

export function parseEmailArgs(args: unknown): EmailArgs {
  if (!isRecord(args)) throw new PermanentError('args must be {"log_id"}, {"log_id", "delivery_id"} or {"log_id", "recipient"}');
  const logId = positiveInteger(args['log_id']);
  if (logId === null) throw new PermanentError('args.log_id must be a positive integer');
  if (args['delivery_id'] !== undefined) {
    const deliveryId = positiveInteger(args['delivery_id']);
    if (deliveryId === null) throw new PermanentError('args.delivery_id must be a positive integer');
    return { logId, deliveryId };
  }
  const recipient = args['recipient'];
  if (recipient === undefined) return { logId, everyRecipient: true };
  // The message never repeats the value: it may be an address.
  if (typeof recipient !== 'string' || !EMAIL_ADDRESS.test(recipient.trim())) throw new PermanentError('args.recipient must be an e-mail address');
  return { logId, recipient: recipient.trim() };
}
