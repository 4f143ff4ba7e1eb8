-- story_segments hash-partitioned by story into 8 partitions, the seeded
-- rows moved across. A story's pages live in one partition, so the app's
-- reads and writes (all by story_id) prune to it. The key becomes
-- (id, story_id): a partitioned table's unique keys must hold the
-- partition key. The illustrations' foreign key, the policies, the
-- updated_at trigger and the index are recreated.

alter table public.story_segments rename to story_segments_unpartitioned;

create table public.story_segments (
  like public.story_segments_unpartitioned including defaults including constraints including comments
) partition by hash (story_id);

do $$
begin
  for i in 0..7 loop
    execute format(
      'create table public.%I partition of public.story_segments for values with (modulus 8, remainder %s)',
      'story_segments_p' || i, i);
  end loop;
end
$$;

insert into public.story_segments select * from public.story_segments_unpartitioned;
-- cascade drops story_images' foreign key, recreated below
drop table public.story_segments_unpartitioned cascade;

alter table public.story_segments
  add primary key (id, story_id),
  add unique (story_id, position),
  add unique (id, story_id, user_id),
  add foreign key (user_id) references public.profiles (id) on delete cascade,
  add foreign key (story_id, user_id) references public.stories (id, user_id) on delete cascade;
alter table public.story_images
  add foreign key (segment_id, story_id, user_id) references public.story_segments (id, story_id, user_id) on delete cascade;
create index story_segments_user_id_idx on public.story_segments (user_id);

create trigger story_segments_set_updated_at before update on public.story_segments
  for each row execute function public.set_updated_at();

alter table public.story_segments enable row level security;
create policy "story_segments: read own or public" on public.story_segments
  for select to authenticated using (user_id = (select auth.uid()) or exists (
    select from public.stories s where s.id = story_id and s.is_public and s.deleted_at is null));
create policy "story_segments: add own" on public.story_segments
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "story_segments: edit own" on public.story_segments
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
-- The partitions have no policies of their own: a partition read directly
-- would skip the parent's row security, so no user role may touch one.
do $$
declare
  part regclass;
begin
  for part in select inhrelid::regclass from pg_inherits where inhparent = 'public.story_segments'::regclass loop
    execute format('revoke all on %s from anon, authenticated', part);
  end loop;
end
$$;
