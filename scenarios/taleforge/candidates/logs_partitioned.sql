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
  add foreign key (story_id) references public.stories (id) on delete set null;
create index generation_logs_user_id_idx on public.generation_logs (user_id);
create index generation_logs_story_id_idx on public.generation_logs (story_id);

alter table public.generation_logs enable row level security;
create policy "generation_logs: read own" on public.generation_logs
  for select to authenticated using (user_id = (select auth.uid()));
create policy "generation_logs: add own" on public.generation_logs
  for insert to authenticated with check (user_id = (select auth.uid()));
grant select, insert on public.generation_logs to authenticated;
grant all on public.generation_logs to service_role;
