-- WeCoza's source table and the trigger that fills it, as the sidecar expects them (docs/production.md,
-- "The WeCoza source table"). WeCoza creates its own; use this on a database that has none, or to compare.
-- The NOTIFY payload is {"log_id": N} only: PostgreSQL refuses payloads of 8000 bytes or more, which
-- would abort the class save with WeCoza's full-diff payload.
-- Generated from server/notifications/demo-source.ts (a test fails when they differ).

CREATE SCHEMA IF NOT EXISTS "public";
CREATE TABLE IF NOT EXISTS "public".classes (
  class_id serial PRIMARY KEY,
  client_id integer,
  class_address_line text,
  class_type text,
  original_start_date date,
  seta_funded boolean,
  seta text,
  exam_class boolean,
  exam_type text,
  project_supervisor_id integer,
  created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now(),
  site_id integer,
  class_subject text,
  class_code text,
  class_duration integer,
  class_agent integer,
  initial_class_agent integer,
  initial_agent_start_date date,
  order_nr text,
  learner_ids jsonb DEFAULT '[]'::jsonb,
  backup_agent_ids jsonb DEFAULT '[]'::jsonb,
  schedule_data jsonb DEFAULT '{}'::jsonb,
  stop_restart_dates jsonb DEFAULT '[]'::jsonb,
  class_notes_data jsonb DEFAULT '[]'::jsonb,
  exam_learners jsonb DEFAULT '[]'::jsonb,
  event_dates jsonb DEFAULT '[]'::jsonb
);
CREATE TABLE IF NOT EXISTS "public"."class_change_logs" (
  log_id bigserial PRIMARY KEY,
  class_id integer REFERENCES "public".classes (class_id) ON UPDATE CASCADE ON DELETE SET NULL,
  operation text NOT NULL,
  changed_at timestamp without time zone NOT NULL DEFAULT now(),
  new_row jsonb,
  old_row jsonb,
  diff jsonb,
  tasks jsonb DEFAULT '[]'::jsonb,
  ai_summary jsonb
);
CREATE OR REPLACE FUNCTION "public".log_class_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  new_json jsonb := to_jsonb(NEW);
  old_json jsonb;
  change jsonb := '{}'::jsonb;
  field text;
  new_log_id bigint;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    old_json := to_jsonb(OLD);
    FOR field IN SELECT jsonb_object_keys(new_json) LOOP
      IF (new_json -> field) IS DISTINCT FROM (old_json -> field) THEN
        change := change || jsonb_build_object(field, jsonb_build_object('old', old_json -> field, 'new', new_json -> field));
      END IF;
    END LOOP;
  ELSE
    change := new_json;
  END IF;
  INSERT INTO "public"."class_change_logs" (class_id, operation, changed_at, new_row, old_row, diff)
  VALUES (NEW.class_id, TG_OP, now(), new_json, old_json, change)
  RETURNING log_id INTO new_log_id;
  PERFORM pg_notify('class_change_channel', json_build_object('log_id', new_log_id)::text);
  RETURN NEW;
END
$fn$;
DROP TRIGGER IF EXISTS classes_log_insert_update ON "public".classes;
CREATE TRIGGER classes_log_insert_update AFTER INSERT OR UPDATE ON "public".classes
  FOR EACH ROW EXECUTE FUNCTION "public".log_class_change();
