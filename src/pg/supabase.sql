-- What a Supabase project provides before its own migrations run, following
-- Supabase's definitions (supabase/postgres roles, GoTrue's auth schema,
-- storage-api's storage schema): the API roles, `auth.users` with GoTrue's
-- columns and the JWT helpers RLS policies call, `storage` with its helper
-- functions, `extensions` on the search path, and stand-ins for the schemas
-- of extensions this server may lack (`net`, `cron`, `vault`, `realtime`,
-- `supabase_functions`), which record calls instead of making them.
--
-- It runs as the role that owns the database (as on the platform, where
-- `postgres` is no superuser); the roles (`supabase_roles.sql`) and
-- statement statistics (`supabase_stats.sql`) are the URL user's part.

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
  deleted_at timestamptz,
  -- The rest of GoTrue's columns: migrations that insert an admin user
  -- name them.
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz
);
create index if not exists users_instance_id_idx on auth.users (instance_id);

-- GoTrue's tables beside users that migrations and views name: a user's
-- sign-in identities and sessions.
create table if not exists auth.identities (
  id uuid primary key default gen_random_uuid(),
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  unique (provider_id, provider)
);
create table if not exists auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz,
  updated_at timestamptz,
  aal text,
  not_after timestamptz
);
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

-- The platform's search path: extensions' functions (gen_random_bytes,
-- uuid_generate_v4) resolve unqualified, in this session and in every later one.
do $path$
begin
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
end
$path$;
set search_path = "$user", public, extensions;

-- Storage (storage-api's schema): buckets, objects and the helpers policies
-- call; RLS on, open to the API roles as on the platform.
-- Made only where the schema is missing: a real Supabase database keeps its own.
do $storage$
begin
  if to_regnamespace('storage') is not null then
    return;
  end if;
  create schema storage;
  create table if not exists storage.buckets (
    id text primary key,
    name text not null,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[]
  );
  create unique index if not exists bname on storage.buckets (name);
  create table if not exists storage.objects (
    id uuid primary key default gen_random_uuid(),
    bucket_id text references storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    user_metadata jsonb
  );
  create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
  alter table storage.buckets enable row level security;
  alter table storage.objects enable row level security;

  -- `a/b/c.png`: folders {a,b}, file `c.png`, extension `png`.
  create or replace function storage.foldername(name text) returns text[]
  language sql immutable
  as $$
    select (string_to_array(name, '/'))[1:greatest(cardinality(string_to_array(name, '/')) - 1, 0)]
  $$;
  create or replace function storage.filename(name text) returns text
  language sql immutable
  as $$
    select (string_to_array(name, '/'))[cardinality(string_to_array(name, '/'))]
  $$;
  create or replace function storage.extension(name text) returns text
  language sql immutable
  as $$
    select case when storage.filename(name) like '%.%'
                then reverse(split_part(reverse(storage.filename(name)), '.', 1))
                else '' end
  $$;
  grant usage on schema storage to anon, authenticated, service_role;
  grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
end
$storage$;

-- Stand-ins for extensions' schemas: the calls a migration or trigger
-- makes are kept in a table, nothing leaves the database.
-- pg_net's requests.
-- Made only where the schema is missing: a real Supabase database keeps its own.
do $net$
begin
  if to_regnamespace('net') is not null then
    return;
  end if;
  create schema net;
  create table if not exists net.http_request_queue (
    id bigserial primary key,
    method text not null,
    url text not null,
    headers jsonb,
    body jsonb,
    timeout_milliseconds int,
    created_at timestamptz not null default now()
  );
  create or replace function net.http_post(
    url text, body jsonb default '{}', params jsonb default '{}',
    headers jsonb default '{"Content-Type": "application/json"}', timeout_milliseconds int default 5000
  ) returns bigint
  language sql
  as $$
    insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('POST', url, headers, body, timeout_milliseconds) returning id
  $$;
  create or replace function net.http_get(
    url text, params jsonb default '{}', headers jsonb default '{}', timeout_milliseconds int default 5000
  ) returns bigint
  language sql
  as $$
    insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('GET', url, headers, timeout_milliseconds) returning id
  $$;
  create or replace function net.http_delete(
    url text, params jsonb default '{}', headers jsonb default '{}', timeout_milliseconds int default 5000
  ) returns bigint
  language sql
  as $$
    insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('DELETE', url, headers, timeout_milliseconds) returning id
  $$;
  grant usage on schema net to anon, authenticated, service_role;
  grant all on net.http_request_queue to anon, authenticated, service_role;
  grant usage on sequence net.http_request_queue_id_seq to anon, authenticated, service_role;
end
$net$;

-- Database webhooks: `execute function supabase_functions.http_request(url,
-- method, headers, params, timeout)` on a table's trigger.
-- Made only where the schema is missing: a real Supabase database keeps its own.
do $webhooks$
begin
  if to_regnamespace('supabase_functions') is not null then
    return;
  end if;
  create schema supabase_functions;
  create or replace function supabase_functions.http_request() returns trigger
  language plpgsql security definer
  as $$
  begin
    perform net.http_post(tg_argv[0], jsonb_build_object('type', tg_op, 'table', tg_table_name));
    return coalesce(new, old);
  end
  $$;
end
$webhooks$;

-- pg_cron: schedules are kept, never run.
-- Made only where the schema is missing: a real Supabase database keeps its own.
do $cron$
begin
  if to_regnamespace('cron') is not null then
    return;
  end if;
  create schema cron;
  create table if not exists cron.job (
    jobid bigserial primary key,
    schedule text not null,
    command text not null,
    jobname text unique
  );
  create or replace function cron.schedule(job_name text, schedule text, command text) returns bigint
  language sql
  as $$
    insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
    on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command
    returning jobid
  $$;
  create or replace function cron.schedule(schedule text, command text) returns bigint
  language sql
  as $$
    insert into cron.job (schedule, command) values (schedule, command) returning jobid
  $$;
  create or replace function cron.unschedule(job_name text) returns boolean
  language sql
  as $$
    with gone as (delete from cron.job where jobname = job_name returning 1)
    select exists (select from gone)
  $$;
  create or replace function cron.unschedule(job_id bigint) returns boolean
  language sql
  as $$
    with gone as (delete from cron.job where jobid = job_id returning 1)
    select exists (select from gone)
  $$;
end
$cron$;

-- Vault: secrets kept in a table (this database is a scratch copy).
-- Made only where the schema is missing: a real Supabase database keeps its own.
do $vault$
begin
  if to_regnamespace('vault') is not null then
    return;
  end if;
  create schema vault;
  create table if not exists vault.secrets (
    id uuid primary key default gen_random_uuid(),
    name text unique,
    description text not null default '',
    secret text not null,
    key_id uuid,
    nonce bytea,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  );
  create or replace view vault.decrypted_secrets as
    select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
    from vault.secrets;
  create or replace function vault.create_secret(
    new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null
  ) returns uuid
  language sql
  as $$
    insert into vault.secrets (secret, name, description, key_id)
    values (new_secret, new_name, new_description, new_key_id) returning id
  $$;
  create or replace function vault.update_secret(
    secret_id uuid, new_secret text default null, new_name text default null,
    new_description text default null, new_key_id uuid default null
  ) returns void
  language sql
  as $$
    update vault.secrets
       set secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
           description = coalesce(new_description, description), updated_at = now()
     where id = secret_id
  $$;
end
$vault$;

-- Realtime: broadcast messages with their RLS, and the helpers policies
-- and triggers call.
-- Made only where the schema is missing: a real Supabase database keeps its own.
do $realtime$
begin
  if to_regnamespace('realtime') is not null then
    return;
  end if;
  create schema realtime;
  create table if not exists realtime.messages (
    id uuid not null default gen_random_uuid(),
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    updated_at timestamp not null default now(),
    inserted_at timestamp not null default now(),
    primary key (id, inserted_at)
  );
  alter table realtime.messages enable row level security;
  create or replace function realtime.topic() returns text
  language sql stable
  as $$ select nullif(current_setting('realtime.topic', true), '')::text $$;
  create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
  returns void
  language sql
  as $$
    insert into realtime.messages (payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast')
  $$;
  create or replace function realtime.broadcast_changes(
    topic_name text, event_name text, operation text, table_name text, table_schema text,
    new record, old record, level text default 'ROW'
  ) returns void
  language plpgsql
  as $$
  begin
    perform realtime.send(jsonb_build_object('operation', operation, 'table', table_name), event_name, topic_name);
  end
  $$;
  grant usage on schema realtime to anon, authenticated, service_role;
  grant all on realtime.messages to anon, authenticated, service_role;
end
$realtime$;

-- Schemas migrations grant on without using.
create schema if not exists graphql;
create schema if not exists graphql_public;
create schema if not exists pgsodium;
grant usage on schema graphql, graphql_public to anon, authenticated, service_role;
