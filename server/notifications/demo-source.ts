import type { Queryable } from '../db/port.ts';
import { quoteIdentifier } from '../db/port.ts';
import { quoteSourceTable } from './source.ts';

/**
 * A WeCoza-compatible source for the demo, the embedded default and the tests: a `classes` table with
 * WeCoza's columns, a `class_change_logs` table shaped like WeCoza's dump (reference §1.1), and the
 * trigger that fills it. Unlike WeCoza's trigger, the NOTIFY payload carries `{log_id}` only:
 * PostgreSQL refuses payloads of 8000 bytes or more and would abort the class save (reference §7.15).
 *
 * Never run against a production database: the sidecar does not create or alter WeCoza's tables.
 */

/** WeCoza's channel (reference §1.1); the sidecar LISTENs on it to process a change within a second. */
export const CLASS_CHANGE_CHANNEL = 'class_change_channel';

function schemaOf(table: string): string {
  return table.includes('.') ? (table.split('.')[0] as string) : 'public';
}

/** DDL for `table` (e.g. `public.class_change_logs`) with `classes` beside it in the same schema. */
export function demoSourceDdl(table: string, channel: string = CLASS_CHANGE_CHANNEL): string {
  const schema = quoteIdentifier(schemaOf(table));
  const logs = quoteSourceTable(table);
  // The channel is spliced as a literal; it is a constant or a test's own identifier, never user input.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`unsafe channel name: ${channel}`);
  return `
    CREATE SCHEMA IF NOT EXISTS ${schema};
    CREATE TABLE IF NOT EXISTS ${schema}.classes (
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
    CREATE TABLE IF NOT EXISTS ${logs} (
      log_id bigserial PRIMARY KEY,
      class_id integer REFERENCES ${schema}.classes (class_id) ON UPDATE CASCADE ON DELETE SET NULL,
      operation text NOT NULL,
      changed_at timestamp without time zone NOT NULL DEFAULT now(),
      new_row jsonb,
      old_row jsonb,
      diff jsonb,
      tasks jsonb DEFAULT '[]'::jsonb,
      ai_summary jsonb
    );
    CREATE OR REPLACE FUNCTION ${schema}.log_class_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
      INSERT INTO ${logs} (class_id, operation, changed_at, new_row, old_row, diff)
      VALUES (NEW.class_id, TG_OP, now(), new_json, old_json, change)
      RETURNING log_id INTO new_log_id;
      PERFORM pg_notify('${channel}', json_build_object('log_id', new_log_id)::text);
      RETURN NEW;
    END
    $fn$;
    DROP TRIGGER IF EXISTS classes_log_insert_update ON ${schema}.classes;
    CREATE TRIGGER classes_log_insert_update AFTER INSERT OR UPDATE ON ${schema}.classes
      FOR EACH ROW EXECUTE FUNCTION ${schema}.log_class_change();
  `;
}

/** Create the demo source when the table is missing; returns true when it did. */
export async function provisionDemoSource(db: Queryable, table: string, channel?: string): Promise<boolean> {
  const name = table.includes('.') ? table : `public.${table}`;
  const { rows } = await db.query<{ present: boolean }>('SELECT to_regclass($1::text) IS NOT NULL AS present', [name]);
  if (rows[0]?.present === true) return false;
  await db.query(demoSourceDdl(table, channel));
  return true;
}
