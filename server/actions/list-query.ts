import { sidecarError } from '../errors.ts';
import { canonicalMembers } from './args-canonical.ts';
import { buildMatchWhere } from './match.ts';
import type { ActionStatus, DATE_COMPARE, ORDER_BY, PARTIAL_ARGS_MATCHING } from './schemas.ts';
import { LIST_CAP } from './schemas.ts';
import { ACTION_COLUMNS } from './sql.ts';

/** The keys of `as_get_scheduled_actions`, normalised (defaults applied, dates parsed, args canonical). */
export interface ListFilter {
  hook: string;
  args: { canonical: string; value: unknown } | null;
  partialArgsMatching: (typeof PARTIAL_ARGS_MATCHING)[number];
  date: Date | null;
  dateCompare: (typeof DATE_COMPARE)[number];
  modified: Date | null;
  modifiedCompare: (typeof DATE_COMPARE)[number];
  group: string;
  statuses: ActionStatus[];
  claimed: boolean | string | null;
  perPage: number;
  offset: number;
  orderBy: (typeof ORDER_BY)[number];
  order: 'ASC' | 'DESC';
  search: string;
}

/**
 * Hooks and groups sort without regard to (ASCII) case, as Action Scheduler's MySQL tables order them
 * under WordPress's default `_ci` collation: the bridge merges this order with theirs.
 */
const ORDER_COLUMNS: Record<ListFilter['orderBy'], string | null> = {
  date: 'scheduled_at',
  hook: 'lower(hook)',
  group: 'lower(group_name)',
  modified: 'last_attempt_at',
  action_id: 'id',
  none: null,
};

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One `args LIKE` pattern per pair (object) or element (array), each in canonical text, literal for literal. */
function likePatterns(canonical: string): string[] {
  return canonicalMembers(canonical).map((member) => `%${escapeLike(member.keyText === null ? member.valueText : `${member.keyText}:${member.valueText}`)}%`);
}

export interface BuiltListQuery {
  text: string;
  values: unknown[];
  countText: string;
  countValues: unknown[];
}

/**
 * The list statement for a filter. Only the column names of the closed `ORDER_COLUMNS` map and fixed
 * operators enter the text; every value is a parameter. `count(*) OVER ()` gives the total in the same
 * pass; the count statement is for an offset past the last row.
 */
export function buildListQuery(schema: string, filter: ListFilter): BuiltListQuery {
  const values: unknown[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions: string[] = [];
  const exactArgs = filter.args !== null && filter.partialArgsMatching === 'off' ? filter.args.canonical : null;
  const match = buildMatchWhere({ hook: filter.hook, group: filter.group, args: exactArgs }, values);
  if (match.where !== 'TRUE') conditions.push(match.where);

  if (filter.args !== null && filter.partialArgsMatching === 'like') {
    for (const pattern of likePatterns(filter.args.canonical)) conditions.push(`args LIKE ${param(pattern)}::text`);
  }
  if (filter.args !== null && filter.partialArgsMatching === 'json') {
    const value = filter.args.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw sidecarError('validation_failed', 'partial_args_matching "json" needs args as a JSON object.');
    }
    for (const member of canonicalMembers(filter.args.canonical)) {
      if (member.value !== null && typeof member.value === 'object') {
        throw sidecarError('validation_failed', 'partial_args_matching "json" compares scalar values only (string, number, boolean).');
      }
      conditions.push(`(args::jsonb -> ${param(member.key)}::text) = ${param(member.valueText)}::jsonb`);
    }
  }
  if (filter.date !== null) conditions.push(`scheduled_at ${filter.dateCompare} ${param(filter.date)}::timestamptz`);
  if (filter.modified !== null) conditions.push(`last_attempt_at ${filter.modifiedCompare} ${param(filter.modified)}::timestamptz`);
  if (filter.statuses.length > 0) conditions.push(`status = ANY(${param(filter.statuses)}::text[])`);
  if (filter.claimed === true) conditions.push('claim_token IS NOT NULL');
  else if (filter.claimed === false) conditions.push('claim_token IS NULL');
  else if (typeof filter.claimed === 'string') conditions.push(`claim_token::text = ${param(filter.claimed)}::text`);
  if (filter.search !== '') {
    const pattern = param(`%${escapeLike(filter.search)}%`);
    const exact = param(filter.search);
    conditions.push(`(hook LIKE ${pattern}::text OR args LIKE ${pattern}::text OR claim_token::text = ${exact}::text)`);
  }

  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  const countValues = [...values];
  const column = ORDER_COLUMNS[filter.orderBy];
  // NULL (never attempted) sorts as the smallest value, as Action Scheduler's zero date does in MySQL:
  // the bridge merges this order with Action Scheduler's own and both must agree.
  const nulls = filter.order === 'ASC' ? 'NULLS FIRST' : 'NULLS LAST';
  const orderBy = column === null ? '' : `ORDER BY ${column} ${filter.order} ${nulls}${column === 'id' ? '' : `, id ${filter.order}`}`;
  const limit = filter.perPage <= 0 ? LIST_CAP : Math.min(filter.perPage, LIST_CAP);
  const text = `SELECT ${ACTION_COLUMNS}, count(*) OVER ()::integer AS total FROM ${schema}.actions ${where} ${orderBy}
    LIMIT ${param(limit)}::integer OFFSET ${param(filter.offset)}::integer`;
  return { text, values, countText: `SELECT count(*)::integer AS total FROM ${schema}.actions ${where}`, countValues };
}
