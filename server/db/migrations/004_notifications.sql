-- The notification pipeline's own state. WeCoza's source table (class_change_logs) is never created
-- or altered here: the sidecar only reads it and writes its ai_summary column.

-- One row per source row the processor has seen (log_id is the source's key), whatever happened to
-- it: the primary key is what makes concurrent processor passes create one notification per row.
CREATE TABLE {{schema}}.notifications (
  log_id bigint PRIMARY KEY,
  class_id bigint,
  operation text NOT NULL,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'enriching', 'sending', 'sent', 'failed', 'skipped')),
  -- Why a notification is skipped or failed (no_recipient, delivery_failed, source_row_missing).
  reason text,
  -- A snapshot of the ai_summary record the e-mails were built from (WeCoza's 11 keys).
  ai_summary jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  enriched_at timestamptz,
  finished_at timestamptz,
  CHECK ((state IN ('sent', 'failed', 'skipped')) = (finished_at IS NOT NULL))
);
CREATE INDEX notifications_state_log ON {{schema}}.notifications (state, log_id);
CREATE INDEX notifications_finished ON {{schema}}.notifications (finished_at) WHERE finished_at IS NOT NULL;

-- The delivery ledger: one row per (notification, recipient). The Message-ID is fixed when the row
-- is created, so every attempt (and the one extra copy a crash after the server's 250 can cause)
-- carries the same one. The e-mail job marks a row `sending` under its claim token before it talks
-- SMTP, and `sent` after the 250.
CREATE TABLE {{schema}}.deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  log_id bigint NOT NULL REFERENCES {{schema}}.notifications (log_id) ON DELETE CASCADE,
  recipient text NOT NULL CHECK (char_length(recipient) BETWEEN 3 AND 320),
  message_id text NOT NULL UNIQUE,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  claim_token uuid,
  smtp_code integer,
  -- The server's reply text: it may echo the address, so it lives here and never in action logs.
  smtp_response text,
  -- A reason word for the last failure (auth_failed, recipient_rejected, timeout …).
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  UNIQUE (log_id, recipient)
);

-- The stored settings, one row. Seeded once from NOTIFY_RECIPIENTS_* and AI_ENABLED; from then on
-- the stored values win over the environment.
CREATE TABLE {{schema}}.notification_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- {"INSERT": ["a@example.com"], "UPDATE": [...]}: operation name → addresses.
  recipients jsonb NOT NULL,
  ai_enabled boolean NOT NULL,
  ai_model text NOT NULL CHECK (char_length(ai_model) BETWEEN 1 AND 100),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The processor's cursor per source table: the highest log_id seen, and the floor below which the
-- look-back window never reaches (the cursor's first value, or an imported one), so history from
-- before the first start is never notified.
CREATE TABLE {{schema}}.notification_cursor (
  source_table text PRIMARY KEY,
  last_log_id bigint NOT NULL CHECK (last_log_id >= 0),
  floor_log_id bigint NOT NULL CHECK (floor_log_id >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
