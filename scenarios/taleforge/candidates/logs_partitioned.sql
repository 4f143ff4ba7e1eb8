-- generation_logs range-partitioned by month, the seeded rows moved across.
-- The key becomes (id, created_at): a partitioned table's unique keys must
-- hold the partition key. Policies, grants and indexes are recreated.

alter table public.generation_logs rename to generation_logs_unpartitioned;

create table public.generation_logs (
  like public.generation_logs_unpartitioned including defaults including constraints including comments
) partition by range (created_at);

do $$
declare
  month date := date '2025-05-01';
begin
  while month < date '2027-01-01' loop
    execute format(
      'create table public.%I partition of public.generation_logs for values from (%L) to (%L)',
      'generation_logs_' || to_char(month, 'YYYY_MM'), month, month + interval '1 month');
    month := month + interval '1 month';
  end loop;
end
$$;
create table public.generation_logs_default partition of public.generation_logs default;

insert into public.generation_logs select * from public.generation_logs_unpartitioned;
drop table public.generation_logs_unpartitioned;

alter table public.generation_logs add primary key (id, created_at);
alter table public.generation_logs
  add foreign key (user_id) references public.profiles (id) on delete cascade,
  add foreign key (story_id, user_id) references public.stories (id, user_id) on delete set null (story_id);
create index generation_logs_user_id_idx on public.generation_logs (user_id);
create index generation_logs_story_id_idx on public.generation_logs (story_id);

alter table public.generation_logs enable row level security;
create policy "generation_logs: read own" on public.generation_logs
  for select to authenticated using (user_id = (select auth.uid()));
-- New tables inherit the schema's default grants: take the writes back, and
-- every privilege on the partitions themselves, which have no policies (a
-- partition read directly would skip the parent's row security).
revoke insert, update, delete on public.generation_logs from anon, authenticated;
do $$
declare
  part regclass;
begin
  for part in select inhrelid::regclass from pg_inherits where inhparent = 'public.generation_logs'::regclass loop
    execute format('revoke all on %s from anon, authenticated', part);
  end loop;
end
$$;
grant all on public.generation_logs to service_role;
