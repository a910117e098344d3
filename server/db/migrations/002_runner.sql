-- The runner's own state beside the actions table (001 already holds the claim and lease columns).

-- A hook paused as a whole until a time: a remote said "slow down" for everyone (OpenAI's 429), not
-- for one job. The claim statement skips every action of a hook paused here, in every process.
CREATE TABLE {{schema}}.hook_pauses (
  hook text PRIMARY KEY CHECK (char_length(hook) BETWEEN 1 AND 191),
  paused_until timestamptz NOT NULL,
  reason text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The cleaner deletes a hook with its own retention by range over (hook, finished_at); without this
-- index that pass would walk every finished row of every other hook older than the cutoff.
CREATE INDEX actions_hook_finished ON {{schema}}.actions (hook, finished_at) WHERE finished_at IS NOT NULL;
