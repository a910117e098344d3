-- What the WordPress admin pages and GET /v1/status read.

-- A notification's class code, copied from its source row when the notification is created (the
-- source may sit in another database, so the list cannot join it): shown in the list and searched by
-- prefix, case-insensitively. Notifications created before this migration have none.
ALTER TABLE {{schema}}.notifications ADD COLUMN class_code text CHECK (char_length(class_code) <= 191);
CREATE INDEX notifications_class_code ON {{schema}}.notifications (lower(class_code) text_pattern_ops)
  WHERE class_code IS NOT NULL;

-- E-mails sent and failed in the last 24 hours: a range over finished deliveries only.
CREATE INDEX deliveries_finished_updated ON {{schema}}.deliveries (updated_at) WHERE state IN ('sent', 'failed');
