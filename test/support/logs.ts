import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

/** A pino logger writing into memory, and its lines parsed, to check what the process logs. */
export function captureLogs(level = 'info'): { logger: FastifyBaseLogger; text(): string; lines(): Array<Record<string, unknown>> } {
  let text = '';
  const logger = pino({ level }, new Writable({ write: (chunk: Buffer, _encoding, done) => void ((text += chunk.toString()), done()) })) as FastifyBaseLogger;
  return {
    logger,
    text: () => text,
    lines: () => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
