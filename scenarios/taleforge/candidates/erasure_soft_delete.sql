-- Erasure in two steps: the parent's request hides the family at once
-- (their stories leave the gallery and every feed; the account is marked)
-- and queues it; a scheduled purge erases queued families later, a few at
-- a time, with the cascade of 004_erasure.sql (kept as
-- public.erase_account_now). The request costs two UPDATEs; the data stays
-- until the purge, which COPPA's "reasonable time" allows.
alter function public.erase_account(uuid) rename to erase_account_now;
revoke execute on function public.erase_account_now(uuid) from service_role;

create table public.erasure_requests (
  user_id uuid primary key references auth.users (id) on delete cascade,
  requested_at timestamptz not null default now()
);
comment on table public.erasure_requests is 'Families waiting for the purge: no API role reads it (RLS on, no policy).';
alter table public.erasure_requests enable row level security;

create function public.erase_account(target uuid) returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  hidden bigint;
begin
  insert into public.erasure_requests (user_id) values (target) on conflict do nothing;
  update public.profiles set deleted_at = now() where id = target and deleted_at is null;
  update public.stories set deleted_at = now()
   where user_id = target and deleted_at is null;
  get diagnostics hidden = row_count;
  return jsonb_build_object('stories_hidden', hidden, 'queued', true);
end
$$;
comment on function public.erase_account(uuid) is 'COPPA erasure request: hides the family now and queues it for public.purge_erased_accounts.';
revoke execute on function public.erase_account(uuid) from public, anon, authenticated;
grant execute on function public.erase_account(uuid) to service_role;

-- The scheduled job (pg_cron or an edge function as service_role): up to
-- `batch` queued families, oldest first; rows removed per table, summed.
create function public.purge_erased_accounts(batch integer) returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  family uuid;
  removed jsonb := '{}'::jsonb;
  one jsonb;
begin
  for family in
    select user_id from public.erasure_requests order by requested_at, user_id limit batch
  loop
    one := public.erase_account_now(family);
    select jsonb_object_agg(key, total) into removed
      from (select key, sum(value::bigint) as total
              from (select * from jsonb_each_text(removed)
                    union all
                    select * from jsonb_each_text(one)) as counts
             group by key) as summed;
  end loop;
  return removed;
end
$$;
revoke execute on function public.purge_erased_accounts(integer) from public, anon, authenticated;
grant execute on function public.purge_erased_accounts(integer) to service_role;
