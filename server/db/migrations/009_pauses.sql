-- Operator pauses (issue 13). A pause lives in the database, so every process sharing it honours it.
--
-- A hook pause is a row of hook_pauses (002), written by an operator (reason 'operator') or by the
-- runner when a remote asks to slow down (OpenAI's 429: its reason says so). An indefinite pause runs
-- until 'infinity': the claim's `paused_until > now()` needs no change, and the automatic pause, which
-- keeps the later of two ends (GREATEST), can neither shorten nor relabel it. A resume does not delete
-- the row: it ends the pause now. The ended window stays, so an action held by it can be told so in
-- its log when it is finally claimed (no per-row write at pause or resume time).
--
-- The runner pause holds back every claim of every process; one row at most, same rules.
CREATE TABLE {{schema}}.runner_pause (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  paused_until timestamptz NOT NULL,
  reason text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- GET /v1/hooks counts each hook's failures of the last 24 hours: a range over failed rows only, read
-- from the index alone (hook is in it), not a walk of every finished row of the day.
CREATE INDEX actions_failed_finished ON {{schema}}.actions (finished_at, hook) WHERE status = 'failed';
