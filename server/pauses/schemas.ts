import { Type, type Static } from 'typebox';
import { MAX_UNIX_SECONDS, PathText, Text } from '../schema-types.ts';

/** Route schemas of the pauses: POST /v1/hooks/{hook}/pause|resume and /v1/runner/pause|resume. */
const strict = { additionalProperties: false } as const;

export const HookParams = Type.Object({
  hook: PathText({ minLength: 1, maxLength: 191, description: 'The hook name, 1–191 characters, neither "." nor "..".' }),
});

const Until = Type.Union(
  [
    Text({ minLength: 10, maxLength: 64, description: 'ISO 8601, e.g. 2026-12-07T06:00:00Z.' }),
    Type.Integer({ minimum: 0, maximum: MAX_UNIX_SECONDS, description: 'Unix seconds.' }),
  ],
  { description: 'When the pause ends by itself; it must be in the future (by the database clock). Absent: paused until resumed.' },
);

export const PauseBody = Type.Object({ until: Type.Optional(Until) }, { ...strict, examples: [{}, { until: '2026-12-07T06:00:00Z' }] });
export type PauseBody = Static<typeof PauseBody>;
export const ResumeBody = Type.Object({}, strict);

const PausedUntil = Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'ISO 8601, UTC; null while paused indefinitely.' });
const Reason = Type.String({ description: '"operator" for a pause set through this API; any other text is the runner’s own pause (a remote’s 429), with its reason.' });

export const HookPauseReply = Type.Object({ hook: Type.String(), paused: Type.Literal(true), paused_until: PausedUntil, reason: Reason });
export const HookResumeReply = Type.Object({ hook: Type.String(), paused: Type.Literal(false), was_paused: Type.Boolean() });
export const RunnerPauseReply = Type.Object({ paused: Type.Literal(true), paused_until: PausedUntil, reason: Reason });
export const RunnerResumeReply = Type.Object({ paused: Type.Literal(false), was_paused: Type.Boolean() });

/** Epoch ms (null: indefinite) as the replies write it. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
