-- What a Supabase project provides before its own migrations run, following
-- Supabase's definitions (supabase/postgres roles and GoTrue's auth schema):
-- the API roles, the `auth` schema with `auth.users`, and the JWT helper
-- functions that RLS policies call.
--
-- Roles are cluster-wide: they are created only where missing, marked as
-- schemabench's, and existing roles (a real Supabase stack) are left as they are.

do $roles$
declare
  r record;
begin
  for r in
    select * from (values
      ('anon',          'nologin noinherit',           '3s'),
      ('authenticated', 'nologin noinherit',           '8s'),
      ('service_role',  'nologin noinherit bypassrls', null),
      ('authenticator', 'login noinherit',             null),
      -- Roles real Supabase migrations grant to or alter default privileges
      -- for: present, so such migrations run unchanged.
      ('supabase_auth_admin',     'nologin noinherit', null),
      ('supabase_storage_admin',  'nologin noinherit', null),
      ('supabase_realtime_admin', 'nologin noinherit', null),
      ('dashboard_user',          'nologin noinherit', null)
    ) as v(name, options, timeout)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      begin
        execute format('create role %I %s', r.name, r.options);
        execute format('comment on role %I is %L', r.name, 'schemabench: Supabase API role emulation');
        if r.timeout is not null then
          execute format('alter role %I set statement_timeout = %L', r.name, r.timeout);
        end if;
      exception when unique_violation or duplicate_object then
        null; -- another schemabench seeding at the same moment created it
      end;
    end if;
  end loop;
  if (select description from pg_shdescription d join pg_roles o on o.oid = d.objoid
      where o.rolname = 'authenticator') like 'schemabench:%' then
    -- Only the memberships missing: granting one again raises a NOTICE.
    for r in
      select g.rolname from pg_roles g
       where g.rolname in ('anon', 'authenticated', 'service_role')
         and not pg_has_role('authenticator', g.oid, 'member')
    loop
      execute format('grant %I to authenticator', r.rolname);
    end loop;
  end if;
end
$roles$;

create schema if not exists auth;
create schema if not exists extensions;

create table if not exists auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique,
  is_sso_user boolean not null default false,
  is_anonymous boolean not null default false,
  deleted_at timestamptz
);
create index if not exists users_instance_id_idx on auth.users (instance_id);
create unique index if not exists users_email_partial_key on auth.users (email) where is_sso_user = false;

-- The claim helpers: language sql, stable, and without a SET clause so the
-- planner can inline them, exactly as on Supabase.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;

grant usage on schema public to anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

-- Statement statistics, where the server has the extension (optional),
-- for schemabench's own connection only: the API roles must not read other
-- sessions' statements and timings.
do $ext$
begin
  create extension if not exists pg_stat_statements with schema extensions;
  revoke all on extensions.pg_stat_statements, extensions.pg_stat_statements_info from public, anon, authenticated;
  revoke execute on function extensions.pg_stat_statements(boolean) from public, anon, authenticated;
exception when others then
  raise notice 'pg_stat_statements is not available: %', sqlerrm;
end
$ext$;

-- What every Supabase project has before its migrations: the Realtime
-- publication (`alter publication supabase_realtime add table ...`) and
-- uuid-ossp and pgcrypto in `extensions` (where the server has contrib).
do $realtime$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$realtime$;

do $ext$
begin
  create extension if not exists "uuid-ossp" with schema extensions;
  create extension if not exists pgcrypto with schema extensions;
exception when others then
  raise notice 'uuid-ossp or pgcrypto is not available: %', sqlerrm;
end
$ext$;
