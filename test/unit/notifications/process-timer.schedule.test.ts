import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sidecarError } from '../../../server/errors.ts';
import { startProcessTimer } from '../../../server/notifications/process-timer.ts';
import type { Processor } from '../../../server/notifications/processor.ts';
import type { ProcessReply } from '../../../server/notifications/schemas.ts';
import { waitFor } from '../../support/runner.ts';

const reply = (scanned: number): ProcessReply => ({ status: 'processed', scanned, enrich_scheduled: 0, email_scheduled: 0, skipped: 0, cursor: 0, elapsed_ms: 1 });

function recordingLog() {
  const lines: Array<{ level: string; message: string }> = [];
  const push = (level: string) => (_details: object, message: string) => void lines.push({ level, message });
  return { lines, log: { info: push('info'), warn: push('warn'), error: push('error') } };
}

describe('startProcessTimer', () => {
  it('runs passes back to back while they come back full, then waits for the interval', async () => {
    const answers = [50, 50, 12];
    let calls = 0;
    const processor: Processor = { run: async () => reply(answers[calls++] ?? 0) };
    const { log } = recordingLog();
    const timer = startProcessTimer({ processor, intervalMs: 60_000, batchLimit: 50, log });
    try {
      await waitFor(() => calls >= 3, { what: 'three passes' });
      // An absence cannot be polled for: give a fourth pass a window in which it must not happen.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(calls, 3, 'a pass that was not full waits for the interval');
    } finally {
      await timer.stop();
    }
  });

  it('coalesces a burst of nudges into one pass and runs none with the interval at 0 until nudged', async () => {
    let calls = 0;
    const processor: Processor = { run: async () => (calls++, reply(0)) };
    const timer = startProcessTimer({ processor, intervalMs: 0, batchLimit: 50, log: recordingLog().log });
    try {
      // A window in which no pass may start (no interval, no nudge yet).
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(calls, 0);
      for (let i = 0; i < 20; i++) timer.nudge();
      await waitFor(() => calls === 1, { what: 'one pass' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(calls, 1);
    } finally {
      await timer.stop();
    }
  });

  it('says once that the source table is missing, keeps trying, and says when it is back', async () => {
    let calls = 0;
    const processor: Processor = {
      run: async () => {
        calls++;
        if (calls <= 3) throw sidecarError('source_unavailable', 'the source table x does not exist');
        return reply(0);
      },
    };
    const { lines, log } = recordingLog();
    const timer = startProcessTimer({ processor, intervalMs: 30, batchLimit: 50, log });
    try {
      await waitFor(() => calls >= 5, { what: 'five passes' });
      assert.equal(lines.filter((line) => line.level === 'warn').length, 1);
      assert.equal(lines.filter((line) => line.message.includes('available again')).length, 1);
      assert.equal(lines.filter((line) => line.level === 'error').length, 0);
    } finally {
      await timer.stop();
    }
  });

  it('runs the maintenance step after a pass, at most once per its interval', async () => {
    let passes = 0;
    let maintenance = 0;
    const processor: Processor = { run: async () => (passes++, reply(0)) };
    const timer = startProcessTimer({ processor, intervalMs: 20, batchLimit: 50, log: recordingLog().log, maintenance: async () => void maintenance++, maintenanceIntervalMs: 60_000 });
    try {
      await waitFor(() => passes >= 4, { what: 'four passes' });
      assert.equal(maintenance, 1);
    } finally {
      await timer.stop();
    }
  });

  it('runs the maintenance step on its own clock when periodic passes are off', async () => {
    let passes = 0;
    let maintenance = 0;
    const processor: Processor = { run: async () => (passes++, reply(0)) };
    const timer = startProcessTimer({ processor, intervalMs: 0, batchLimit: 50, log: recordingLog().log, maintenance: async () => void maintenance++, maintenanceIntervalMs: 25 });
    try {
      await waitFor(() => maintenance >= 2, { what: 'two maintenance steps' });
      assert.equal(passes, 0);
    } finally {
      await timer.stop();
    }
  });
});
