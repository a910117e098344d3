import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { pino } from 'pino';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionTexts, FIXTURE_CLASS, INSERT_RECIPIENTS, PERSONAL_DATA, startPipeline, UPDATE_RECIPIENTS } from '../../support/notifications.ts';

const FILE = import.meta.url;
const NOTES = [{ date: '2026-03-02', note: 'Called Thandi Mokoena on 082 123 4567, mailed thandi.mokoena@learners.example' }];

describeEachDatabase('personal data in the pipeline', FILE, (ctx) => {
  it('keeps learner names, learner contacts and recipient addresses out of prompts, job args, action logs and process logs', async () => {
    let logged = '';
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => void ((logged += chunk.toString()), done()) }));
    const pipeline = await startPipeline(ctx, { logger });
    try {
      await pipeline.process();
      const classId = await pipeline.insertClass({ ...FIXTURE_CLASS, class_notes_data: NOTES });
      // The learner leaves: the diff's old side is the only place the name is left.
      await pipeline.updateClass(classId, { learner_ids: [], class_notes_data: [...NOTES, { date: '2026-03-03', note: 'Thandi withdrew' }] });
      const { cursor } = await pipeline.process();
      const update = await pipeline.waitForState(cursor, ['sent']);
      await pipeline.waitForState(cursor - 1, ['sent']);
      assert.equal(update.ai_summary?.status, 'success');

      assert.match(logged, /smtp attempt/, 'the handlers did log');
      const prompts = pipeline.ai.promptText();
      assert.match(prompts, /Learner A/);
      assert.match(prompts, /XXXXXXXX67/);
      assert.match(prompts, /\*\*\*\*@learners\.example/);
      const stored = await actionTexts(ctx.db);
      for (const text of [...PERSONAL_DATA, 'Thandi']) {
        assert.ok(!prompts.includes(text), `prompts leak ${text}`);
        assert.ok(!stored.includes(text), `action args or logs leak ${text}`);
        assert.ok(!logged.includes(text), `process logs leak ${text}`);
      }
      for (const address of [...INSERT_RECIPIENTS, ...UPDATE_RECIPIENTS]) {
        assert.ok(!stored.includes(address), `action args or logs leak ${address}`);
        assert.ok(!logged.includes(address), `process logs leak ${address}`);
      }
      // The e-mails themselves, to staff, carry the alias table rebuilt at send time.
      const updateMail = pipeline.smtp.messages.find((mail) => mail.raw.includes('Class update'));
      assert.match(updateMail?.raw ?? '', /Learner A: Thandi Mokoena/);
    } finally {
      await pipeline.close();
    }
  });
});
