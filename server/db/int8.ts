/**
 * How both adapters read PostgreSQL's int8 (bigint, count(*)): as a JS number, since ids and counts
 * stay far below 2^53; a larger value keeps its exact text rather than being rounded.
 */
export const INT8_OID = 20;

export function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}
