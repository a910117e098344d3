-- WeCoza Sidecar: PostgreSQL roles (docs/production.md, "PostgreSQL roles").
-- Run once as a superuser or the database owner, connected to WeCoza's database (here `wecoza`):
--   psql -d wecoza -f deploy/postgres-roles.sql
-- Then set the passwords (ALTER ROLE … PASSWORD) and put them in the two URLs.
--
-- wecoza_sidecar_migrate owns the sidecar's schema and runs the migrations (npm run migrate, or the
-- service itself at start when it is given this role). wecoza_sidecar_app is what the service runs as:
-- it reads and writes the sidecar's tables and creates nothing.

CREATE ROLE wecoza_sidecar_migrate LOGIN;
CREATE ROLE wecoza_sidecar_app LOGIN;

-- The sidecar's own schema (SIDECAR_SCHEMA, default sidecar), owned by the migration role: it needs
-- no CREATE on the database itself.
CREATE SCHEMA sidecar AUTHORIZATION wecoza_sidecar_migrate;

-- The runtime role: use the schema; read and write every table and sequence the migrations create,
-- now and in later versions (default privileges of the migration role).
GRANT USAGE ON SCHEMA sidecar TO wecoza_sidecar_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA sidecar TO wecoza_sidecar_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA sidecar TO wecoza_sidecar_app;
ALTER DEFAULT PRIVILEGES FOR ROLE wecoza_sidecar_migrate IN SCHEMA sidecar
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO wecoza_sidecar_app;
ALTER DEFAULT PRIVILEGES FOR ROLE wecoza_sidecar_migrate IN SCHEMA sidecar
  GRANT USAGE, SELECT ON SEQUENCES TO wecoza_sidecar_app;

-- WeCoza's change log (SOURCE_TABLE): the sidecar reads it and writes only ai_summary. When it lives
-- in another database (SOURCE_DATABASE_URL), run these two there instead.
GRANT USAGE ON SCHEMA public TO wecoza_sidecar_app;
GRANT SELECT, UPDATE (ai_summary) ON public.class_change_logs TO wecoza_sidecar_app;
