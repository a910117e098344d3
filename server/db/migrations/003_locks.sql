-- Atomic TTL locks. A row outlives its holders so that `fence` keeps growing across every
-- acquisition of a key: a downstream writer can refuse a stale holder by its lower fence.
CREATE TABLE {{schema}}.locks (
  key text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 191),
  -- NULL once released: a released lock can be neither refreshed nor released again.
  token uuid,
  owner text CHECK (char_length(owner) <= 191),
  fence bigint NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
