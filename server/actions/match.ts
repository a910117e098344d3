import { ARGS_DIGEST } from './sql.ts';

/**
 * The filter of has / next / unschedule: an empty hook or group means any; `args` null means any,
 * otherwise equality of canonical text (digest first, so the live-key index serves it).
 */
export interface MatchFilter {
  hook: string;
  group: string;
  args: string | null;
}

export interface BuiltWhere {
  where: string;
  values: unknown[];
}

export function buildMatchWhere(filter: MatchFilter, values: unknown[] = []): BuiltWhere {
  const conditions: string[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.hook !== '') conditions.push(`hook = ${param(filter.hook)}::text`);
  if (filter.group !== '') conditions.push(`group_name = ${param(filter.group)}::text`);
  if (filter.args !== null) {
    const p = param(filter.args);
    conditions.push(`args_digest = ${ARGS_DIGEST(`${p}::text`)} AND args = ${p}::text`);
  }
  return { where: conditions.length === 0 ? 'TRUE' : conditions.join(' AND '), values };
}
