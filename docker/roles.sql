-- Run by supabase/postgres on its first start (mounted into
-- /docker-entrypoint-initdb.d/init-scripts/): the image creates the
-- authenticator role without a password, and schemabench leaves existing
-- roles alone, so API requests could not log in the way PostgREST does.
\set pgpass `echo "$POSTGRES_PASSWORD"`
alter user authenticator with password :'pgpass';
