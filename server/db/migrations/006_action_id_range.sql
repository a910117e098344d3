-- Sidecar action ids get a range of their own, so that they never meet Action Scheduler's: the
-- WordPress bridge answers for both stores by id (server/db/action-id-range.ts has the whole layout).
--   1 … 10^15 - 1                  Action Scheduler's MySQL AUTO_INCREMENT
--   10^15 … 4 999 999 999 999 999  this sequence
--   5 × 10^15 … 2^53 - 1           reserved (provisional ids of the bridge's spool)
--
-- A database made before this migration holds ids from 1 up, which Action Scheduler hands out too.
-- They move into the range by adding 10^15 (action 28 becomes 1 000 000 000 000 028), log lines
-- with them: the foreign key now cascades updates for that.
ALTER TABLE {{schema}}.action_logs DROP CONSTRAINT action_logs_action_id_fkey;
ALTER TABLE {{schema}}.action_logs
  ADD CONSTRAINT action_logs_action_id_fkey FOREIGN KEY (action_id)
  REFERENCES {{schema}}.actions (id) ON DELETE CASCADE ON UPDATE CASCADE;

UPDATE {{schema}}.actions SET id = id + 1000000000000000 WHERE id < 1000000000000000;

ALTER SEQUENCE {{schema}}.actions_id_seq MAXVALUE 4999999999999999 NO CYCLE;
SELECT setval('{{schema}}.actions_id_seq',
              GREATEST(1000000000000000, (SELECT COALESCE(max(id), 0) + 1 FROM {{schema}}.actions)),
              false);
