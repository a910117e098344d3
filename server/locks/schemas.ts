import { Type } from 'typebox';
import { PathText, Text } from '../schema-types.ts';

const strict = { additionalProperties: false } as const;
const Ttl = Type.Integer({ minimum: 1, maximum: 86_400, description: 'Seconds until the lock expires unless refreshed.' });
const Token = Text({ minLength: 1, maxLength: 64, description: 'The token returned by acquire; any other text is simply not the holder’s (409 lock_lost).' });

export const LockParams = Type.Object({ key: PathText({ minLength: 1, maxLength: 191, description: 'The lock name, e.g. wecoza_ai_summary_lock; 1–191 characters, neither "." nor "..".' }) });
export const AcquireBody = Type.Object({ ttl_seconds: Ttl, owner: Type.Optional(Text({ maxLength: 191, description: 'Who holds it; shown to those who are refused.' })) }, strict);
export const RefreshBody = Type.Object({ token: Token, ttl_seconds: Ttl }, strict);
export const ReleaseBody = Type.Object({ token: Token }, strict);

export const LockGranted = Type.Object({
  key: Type.String(),
  token: Type.String(),
  fence: Type.Integer({ minimum: 1, description: 'Grows by one at every acquisition of the key: a downstream writer can refuse a lower fence.' }),
  expires_at: Type.String({ format: 'date-time' }),
});
export const LockReleased = Type.Object({ key: Type.String(), released: Type.Literal(true) });
export const LockStateReply = Type.Object({
  key: Type.String(),
  held: Type.Boolean(),
  owner: Type.Union([Type.String(), Type.Null()]),
  fence: Type.Integer(),
  expires_at: Type.String({ format: 'date-time' }),
});
