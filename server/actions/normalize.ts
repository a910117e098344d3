import { SidecarError, sidecarError } from '../errors.ts';
import type { HookPolicies } from '../hook-policies.ts';
import { JsonSyntaxError, JsonValueError, MAX_ARGS_BYTES, parseCanonical, utf8Length, type CanonicalTexts } from './args-canonical.ts';
import type { ListFilter } from './list-query.ts';
import type { MatchFilter } from './match.ts';
import { MAX_UNIX_SECONDS } from '../schema-types.ts';
import { firstCronRunAtOrAfter } from './schedules.ts';
import type { AsyncBody, BatchItem, CronBody, ListBody, ListQuery, RecurringBody, SingleBody } from './schemas.ts';
import { ACTION_STATUSES, type ActionStatus } from './schemas.ts';
import type { NewAction, NewSchedule } from './store.ts';

/**
 * From validated request shapes to store inputs: PHP defaults for absent keys, args in canonical text,
 * schedules resolved to a first date. Everything that can refuse a request without touching the
 * database refuses here, before anything is written.
 */

const EMPTY_ARGS = '[]';

/**
 * The canonical text of `args` from a body, as the JSON body parser recorded it for this request
 * (`request.canonicalTexts`). Without those texts the exact literals are gone, so there is no fallback:
 * a body that did not come through the parser is a programming error, and it throws.
 */
export function argsTextOf(args: unknown, texts: CanonicalTexts | null, where = 'args'): string {
  if (args === undefined) return EMPTY_ARGS;
  if (args === null || typeof args !== 'object') throw sidecarError('invalid_args', `${where} must be a JSON array or object.`);
  if (texts === null) throw new Error(`${where}: the request carries no canonical texts (its body did not come through the JSON body parser)`);
  const text = texts.textOf(args);
  const bytes = utf8Length(text);
  if (bytes > MAX_ARGS_BYTES) {
    throw sidecarError('args_too_long', `The canonical text of ${where} is ${bytes} bytes; the limit is ${MAX_ARGS_BYTES}.`, { bytes, limit: MAX_ARGS_BYTES });
  }
  return text;
}

/** `args` from a query string: JSON text, absent meaning any. */
export function argsFromQuery(text: string | undefined): { canonical: string; value: unknown } | null {
  if (text === undefined) return null;
  let parsed: { value: unknown; canonical: string };
  try {
    parsed = parseCanonical(text);
  } catch (error) {
    if (error instanceof JsonValueError) throw sidecarError('validation_failed', `querystring.args${error.where === '' ? '' : `: ${error.where}`} ${error.reason}.`);
    const reason = error instanceof JsonSyntaxError ? error.message : 'not JSON';
    throw sidecarError('invalid_args', `The args query parameter must be JSON text: ${reason}.`);
  }
  if (parsed.value === null) return null;
  if (typeof parsed.value !== 'object') throw sidecarError('invalid_args', 'The args query parameter must be a JSON array, object or null.');
  return parsed;
}

type EnqueueBody = ({ type: 'async'; timestamp?: number } & AsyncBody) | ({ type: 'single' } & SingleBody) | ({ type: 'recurring' } & RecurringBody) | ({ type: 'cron' } & CronBody);

function scheduleOf(body: EnqueueBody): NewSchedule {
  switch (body.type) {
    case 'async':
      // Only batch items carry it (an action moved from Action Scheduler keeps its enqueue time).
      return body.timestamp === undefined ? { type: 'async' } : { type: 'async', at: Math.min(body.timestamp, Math.floor(Date.now() / 1000)) };
    case 'single':
      return { type: 'single', at: body.timestamp };
    case 'recurring':
      return { type: 'interval', at: body.timestamp, interval: body.interval_in_seconds };
    case 'cron': {
      const first = firstCronRunAtOrAfter(body.schedule, body.timestamp);
      if (first === null) throw sidecarError('invalid_cron', 'The cron expression never matches at or after the timestamp.');
      return { type: 'cron', at: first, cron: body.schedule.trim() };
    }
  }
}

export function toNewAction(body: EnqueueBody | BatchItem, policies: HookPolicies, texts: CanonicalTexts | null, where = 'args'): NewAction {
  return {
    hook: body.hook,
    group: body.group ?? '',
    argsText: argsTextOf(body.args, texts, where),
    priority: body.priority ?? 10,
    unique: body.unique ?? false,
    schedule: scheduleOf(body as EnqueueBody),
    maxAttempts: body.max_attempts ?? policies.policyFor(body.hook).maxAttempts,
  };
}

/** Batch items, each normalised; the first bad item refuses the whole batch (`withBatchIndex` names it). */
export function toNewActions(items: readonly BatchItem[], policies: HookPolicies, texts: CanonicalTexts | null): NewAction[] {
  return items.map((item, index) => {
    try {
      return toNewAction(item, policies, texts, `actions[${index}].args`);
    } catch (error) {
      if (error instanceof SidecarError) error.extra.index = index;
      throw error;
    }
  });
}

const BATCH_ITEM = /(?:^|\.)actions\[(\d+)\]|^\/actions\/(\d+)(?:\/|$)/;

/**
 * The index of the batch item an error is about, from wherever it came: the body parser and
 * normalisation name `actions[n]`, the schema validator points at `/actions/n`. Added as `index` beside
 * the message, so a client need not parse text; an error about no item is left as it is.
 */
export function withBatchIndex(error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const found = (text: string | undefined): number | undefined => {
    const match = text === undefined ? null : BATCH_ITEM.exec(text);
    return match === null ? undefined : Number(match[1] ?? match[2]);
  };
  const validation = (error as { validation?: Array<{ instancePath?: string }> }).validation;
  const index = validation !== undefined ? found(validation[0]?.instancePath) : found((error as Error).message);
  if (index === undefined) return;
  if (error instanceof SidecarError) error.extra.index ??= index;
  else (error as { batchIndex?: number }).batchIndex = index;
}

/** has / next: absent args mean any (the PHP default there is null). */
export function matchForLookup(body: { hook: string; group?: string; args?: unknown }, texts: CanonicalTexts | null): MatchFilter {
  return { hook: body.hook, group: body.group ?? '', args: body.args === undefined || body.args === null ? null : argsTextOf(body.args, texts) };
}

/** unschedule: absent args mean `[]` (the PHP default there is array()), null means any. */
export function matchForUnschedule(body: { hook: string; group?: string; args?: unknown }, texts: CanonicalTexts | null): MatchFilter {
  return { hook: body.hook, group: body.group ?? '', args: body.args === null ? null : argsTextOf(body.args, texts) };
}

/**
 * unschedule-all: with no (or empty) args and only a hook, or only a group, every pending action of
 * that hook or group goes, whatever its args; otherwise the filter is exact (hook + group + `[]` only
 * argless ones). Neither hook nor group would cancel the whole queue: refused.
 */
export function matchForUnscheduleAll(body: { hook: string; group?: string; args?: unknown }, texts: CanonicalTexts | null): MatchFilter {
  const group = body.group ?? '';
  if (body.hook === '' && group === '') throw sidecarError('validation_failed', 'Give a hook or a group: unschedule-all never cancels the whole queue.');
  const argsEmpty = body.args === undefined || body.args === null || (Array.isArray(body.args) && body.args.length === 0);
  if (argsEmpty && (body.hook === '' || group === '')) return { hook: body.hook, group, args: null };
  return matchForUnschedule(body, texts);
}

/** Unix seconds (digits, 0 to MAX_UNIX_SECONDS) or ISO 8601 with a date part (years 0000–9999). */
export function parseDateInput(input: number | string | undefined, name: string): Date | null {
  if (input === undefined) return null;
  if (typeof input === 'number' || /^\d+$/.test(input)) {
    const seconds = Number(input);
    if (seconds <= MAX_UNIX_SECONDS) return new Date(seconds * 1000);
  } else if (/^\d{4}-\d{2}-\d{2}/.test(input)) {
    const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(input) || input.length === 10 ? input : `${input}Z`);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw sidecarError('invalid_date', `${name} must be unix seconds (0 to ${MAX_UNIX_SECONDS}) or an ISO 8601 date, got "${input}".`);
}

function parseStatuses(input: string | readonly string[] | undefined): ActionStatus[] {
  if (input === undefined) return [];
  const list = typeof input === 'string' ? input.split(',').map((s) => s.trim()).filter((s) => s !== '') : [...input];
  for (const status of list) {
    if (!(ACTION_STATUSES as readonly string[]).includes(status)) {
      throw sidecarError('validation_failed', `Unknown status "${status}"; use ${ACTION_STATUSES.join(', ')}.`);
    }
  }
  return list as ActionStatus[];
}

function parseClaimed(input: boolean | string | null | undefined): boolean | string | null {
  if (input === undefined || input === null || input === '') return null;
  if (input === true || input === 'true') return true;
  if (input === false || input === 'false') return false;
  return String(input);
}

/** The list keys from a query string or a body, with `as_get_scheduled_actions` defaults. */
export function toListFilter(input: ListQuery | ListBody, source: { fromQuery: true } | { fromQuery: false; texts: CanonicalTexts | null }): ListFilter {
  let args: ListFilter['args'];
  if (source.fromQuery) args = argsFromQuery(input.args as string | undefined);
  else if (input.args === undefined || input.args === null) args = null;
  else args = { canonical: argsTextOf(input.args, source.texts), value: input.args };
  return {
    hook: input.hook ?? '',
    args,
    partialArgsMatching: input.partial_args_matching ?? 'off',
    date: parseDateInput(input.date, 'date'),
    dateCompare: input.date_compare ?? '<=',
    modified: parseDateInput(input.modified, 'modified'),
    modifiedCompare: input.modified_compare ?? '<=',
    group: input.group ?? '',
    statuses: parseStatuses(input.status),
    claimed: parseClaimed(input.claimed),
    perPage: input.per_page ?? 5,
    offset: input.offset ?? 0,
    orderBy: input.orderby ?? 'date',
    order: (input.order ?? 'ASC').toUpperCase() === 'ASC' ? 'ASC' : 'DESC',
    search: input.search ?? '',
  };
}
