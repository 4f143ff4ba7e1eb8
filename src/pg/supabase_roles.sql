-- The Supabase API roles, cluster-wide, created by the URL's user (roles
-- need a superuser or CREATEROLE): only where missing, marked as
-- schemabench's; existing roles (a real Supabase stack) are left as they are.

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
      ('dashboard_user',          'nologin noinherit', null),
      -- Owners and grantees that `supabase db dump` and projects' own
      -- migrations name.
      ('supabase_admin',             'nologin noinherit', null),
      ('supabase_functions_admin',   'nologin noinherit', null),
      ('supabase_read_only_user',    'nologin noinherit', null),
      ('supabase_replication_admin', 'nologin noinherit', null),
      ('pgbouncer',                  'nologin noinherit', null)
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
      begin
        execute format('grant %I to authenticator', r.rolname);
      exception when unique_violation or duplicate_object then
        null; -- another schemabench granted it at the same moment
      end;
    end loop;
  end if;
end
$roles$;
