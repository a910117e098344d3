-- The Action Scheduler model. Args are canonical JSON text (never jsonb: jsonb reorders keys and
-- rounds numbers); args_digest is sha256 of that text so the uniqueness index stays small even for
-- 8000-byte args.
CREATE SEQUENCE {{schema}}.actions_id_seq;

CREATE TABLE {{schema}}.actions (
  id bigint PRIMARY KEY DEFAULT nextval('{{schema}}.actions_id_seq'),
  hook text NOT NULL CHECK (char_length(hook) BETWEEN 1 AND 191),
  group_name text NOT NULL DEFAULT '' CHECK (char_length(group_name) <= 191),
  args text NOT NULL CHECK (octet_length(args) <= 8000),
  args_digest bytea NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'in-progress', 'complete', 'failed', 'canceled')),
  priority smallint NOT NULL DEFAULT 10 CHECK (priority BETWEEN 0 AND 255),
  is_unique boolean NOT NULL DEFAULT false,
  schedule_type text NOT NULL CHECK (schedule_type IN ('async', 'single', 'interval', 'cron')),
  schedule_interval integer CHECK (schedule_interval > 0),
  schedule_cron text,
  scheduled_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 1 CHECK (max_attempts BETWEEN 1 AND 100),
  last_attempt_at timestamptz,
  finished_at timestamptz,
  -- The claim: a token fences every write of the worker that holds it; the lease bounds how long.
  claim_token uuid,
  claimed_by text,
  lease_expires_at timestamptz,
  lease_expiries smallint NOT NULL DEFAULT 0,
  snoozes integer NOT NULL DEFAULT 0,
  first_snoozed_at timestamptz,
  last_error text,
  -- Consecutive failed instances of a recurring series up to and including this one's predecessor.
  series_failures smallint NOT NULL DEFAULT 0,
  CHECK ((schedule_type = 'interval') = (schedule_interval IS NOT NULL)),
  CHECK ((schedule_type = 'cron') = (schedule_cron IS NOT NULL)),
  CHECK ((status = 'in-progress') = (claim_token IS NOT NULL))
);
ALTER SEQUENCE {{schema}}.actions_id_seq OWNED BY {{schema}}.actions.id;

-- Claim order (priority, date, id) over pending rows only.
CREATE INDEX actions_claim_order ON {{schema}}.actions (priority, scheduled_at, id) WHERE status = 'pending';
-- Lists by status and date; also the next due time (status = 'pending' ORDER BY scheduled_at).
CREATE INDEX actions_status_date ON {{schema}}.actions (status, scheduled_at);
-- has / next / unschedule / the plain-twin check of unique enqueues.
CREATE INDEX actions_live_key ON {{schema}}.actions (hook, group_name, args_digest)
  WHERE status IN ('pending', 'in-progress');
-- Uniqueness among live unique actions; ON CONFLICT against it decides concurrent identical enqueues.
CREATE UNIQUE INDEX actions_unique_live ON {{schema}}.actions (hook, group_name, args_digest)
  WHERE is_unique AND status IN ('pending', 'in-progress');
CREATE INDEX actions_hook_date ON {{schema}}.actions (hook, scheduled_at);
CREATE INDEX actions_group_date ON {{schema}}.actions (group_name, scheduled_at) WHERE group_name <> '';
-- The reaper looks for expired leases; the cleaner for old finished rows.
CREATE INDEX actions_lease ON {{schema}}.actions (lease_expires_at) WHERE status = 'in-progress';
CREATE INDEX actions_finished ON {{schema}}.actions (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE {{schema}}.action_logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action_id bigint NOT NULL REFERENCES {{schema}}.actions (id) ON DELETE CASCADE,
  message text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_logs_action ON {{schema}}.action_logs (action_id, id);
