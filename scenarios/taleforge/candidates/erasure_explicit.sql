-- Erasure by explicit deletes, leaves first, instead of one DELETE of the
-- auth user fanning out through ON DELETE CASCADE. The cascade deletes the
-- stories row by row through the foreign keys' triggers, and its SET NULL
-- keys (generation_logs.story_id, stories.child_id and main_character_id)
-- update rows it is about to delete; deleting each table's rows by user_id,
-- leaves first, leaves the cascades nothing to find. One transaction, as
-- the cascade: the same locks, held as long as the deletes take.
create or replace function public.erase_account(target uuid) returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  removed jsonb := '{}'::jsonb;
  t record;
  n bigint;
begin
  for t in
    select * from (values
      ('story_images', 'public.story_images', 'user_id'),
      ('story_segments', 'public.story_segments', 'user_id'),
      ('story_videos', 'public.story_videos', 'user_id'),
      ('generation_logs', 'public.generation_logs', 'user_id'),
      ('stories', 'public.stories', 'user_id'),
      ('character_references', 'public.character_references', 'user_id'),
      ('characters', 'public.characters', 'user_id'),
      ('child_profiles', 'public.child_profiles', 'parent_id'),
      ('credit_transactions', 'public.credit_transactions', 'user_id'),
      ('subscriptions', 'public.subscriptions', 'user_id'),
      ('profiles', 'public.profiles', 'id'),
      ('auth.users', 'auth.users', 'id')
    ) as leaves_first (key, relation, family_column)
  loop
    execute format('delete from %s where %I = $1', t.relation, t.family_column) using target;
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object(t.key, n);
  end loop;
  return public.forget_erased_family(target, removed);
end
$$;
