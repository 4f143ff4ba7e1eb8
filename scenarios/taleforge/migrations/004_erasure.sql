-- Erasing a family (COPPA): a parent asks for their account and every
-- child's data to be removed. The app's edge function calls
-- public.erase_account(user) as service_role. Deleting the auth user
-- cascades over profiles, child profiles, subscriptions, characters and
-- their reference images, stories, segments, images, videos, generation
-- logs and the credit ledger (001_schema.sql's ON DELETE CASCADE).
--
-- Retention rule: the audit log keeps no trace of an erased family. The
-- cascade itself fires the ledger's and the subscription's audit triggers,
-- which would copy the deleted rows into audit_log.old_data; those rows,
-- and every earlier one the family appears in (as actor, as the record, or
-- by user_id in the copied data), go too. One row records that an erasure
-- happened and how many rows it removed per table, with no identifier
-- (public.forget_erased_family, shared by the designs the candidates
-- erasure_explicit and erasure_soft_delete measure).
create or replace function public.forget_erased_family(target uuid, removed jsonb) returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  audit bigint;
begin
  delete from public.audit_log
   where actor = target
      or record_id = target
      or (old_data ->> 'user_id')::uuid = target
      or (new_data ->> 'user_id')::uuid = target;
  get diagnostics audit = row_count;
  removed := removed || jsonb_build_object('audit_log', audit);
  insert into public.audit_log (table_name, action, new_data)
  values ('erasure', 'DELETE', jsonb_build_object('removed', removed));
  return removed;
end
$$;
comment on function public.forget_erased_family(uuid, jsonb) is 'The audit log''s part of an erasure, once the family''s rows are gone: every audit row naming the family goes, one row records the counts.';
revoke execute on function public.forget_erased_family(uuid, jsonb) from public, anon, authenticated, service_role;

create or replace function public.erase_account(target uuid) returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  removed jsonb;
begin
  select jsonb_build_object(
    'auth.users', (select count(*) from auth.users where id = target),
    'profiles', (select count(*) from public.profiles where id = target),
    'child_profiles', (select count(*) from public.child_profiles where parent_id = target),
    'subscriptions', (select count(*) from public.subscriptions where user_id = target),
    'characters', (select count(*) from public.characters where user_id = target),
    'character_references', (select count(*) from public.character_references where user_id = target),
    'stories', (select count(*) from public.stories where user_id = target),
    'story_segments', (select count(*) from public.story_segments where user_id = target),
    'story_images', (select count(*) from public.story_images where user_id = target),
    'story_videos', (select count(*) from public.story_videos where user_id = target),
    'generation_logs', (select count(*) from public.generation_logs where user_id = target),
    'credit_transactions', (select count(*) from public.credit_transactions where user_id = target)
  ) into removed;
  delete from auth.users where id = target;
  return public.forget_erased_family(target, removed);
end
$$;
comment on function public.erase_account(uuid) is 'COPPA erasure of a family: the account, every child''s data and their audit trail; returns rows removed per table.';
revoke execute on function public.erase_account(uuid) from public, anon, authenticated;
grant execute on function public.erase_account(uuid) to service_role;
