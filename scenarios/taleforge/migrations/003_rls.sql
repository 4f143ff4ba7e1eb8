-- Row Level Security on every table. Policies name their role (`to
-- authenticated`) and wrap auth.uid() in a sub-select so it is evaluated once
-- per statement (an initPlan), not once per row.

alter table public.profiles enable row level security;
alter table public.child_profiles enable row level security;
alter table public.subscriptions enable row level security;
alter table public.characters enable row level security;
alter table public.character_references enable row level security;
alter table public.stories enable row level security;
alter table public.story_segments enable row level security;
alter table public.story_images enable row level security;
alter table public.story_videos enable row level security;
alter table public.generation_logs enable row level security;
alter table public.credit_transactions enable row level security;
alter table public.audit_log enable row level security;

-- profiles: read and edit your own; the balance is not yours to edit.
create policy "profiles: read own" on public.profiles
  for select to authenticated using (id = (select auth.uid()));
create policy "profiles: update own" on public.profiles
  for update to authenticated using (id = (select auth.uid())) with check (id = (select auth.uid()));
revoke insert, update, delete on public.profiles from anon, authenticated;
grant update (display_name, avatar_url, settings) on public.profiles to authenticated;

-- child_profiles: children's data, the parent only; never anon.
create policy "child_profiles: parent reads" on public.child_profiles
  for select to authenticated using (parent_id = (select auth.uid()) and deleted_at is null);
create policy "child_profiles: parent adds" on public.child_profiles
  for insert to authenticated with check (parent_id = (select auth.uid()));
create policy "child_profiles: parent edits" on public.child_profiles
  for update to authenticated using (parent_id = (select auth.uid())) with check (parent_id = (select auth.uid()));
revoke all on public.child_profiles from anon;

-- subscriptions: read your own; only the payment webhook (service_role) writes.
create policy "subscriptions: read own" on public.subscriptions
  for select to authenticated using (user_id = (select auth.uid()));
revoke insert, update, delete on public.subscriptions from anon, authenticated;

-- characters and their reference images.
create policy "characters: read own" on public.characters
  for select to authenticated using (user_id = (select auth.uid()) and deleted_at is null);
create policy "characters: add own" on public.characters
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "characters: edit own" on public.characters
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "character_references: read own" on public.character_references
  for select to authenticated using (user_id = (select auth.uid()));
create policy "character_references: add own" on public.character_references
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "character_references: delete own" on public.character_references
  for delete to authenticated using (user_id = (select auth.uid()));

-- stories: your own, plus other users' public ones (signed-in users only).
-- "Public" means shared to the community gallery: any signed-in user reads
-- the story with its pages, illustrations and video; only its owner writes
-- it, and anon reads nothing.
-- One permissive policy per role and command: PostgreSQL evaluates every
-- permissive policy of a table for every row (splinter's
-- multiple_permissive_policies), so "own" and "public" are one condition.
create policy "stories: read own or public" on public.stories
  for select to authenticated
  using ((user_id = (select auth.uid()) or is_public) and deleted_at is null);
create policy "stories: add own" on public.stories
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "stories: edit own" on public.stories
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

-- the story's pages and media follow the story's owner; those of a public
-- story are readable like the story. Writes name the caller as user_id, and
-- the composite foreign keys tie that user_id to the parent story's owner.
create policy "story_segments: read own or public" on public.story_segments
  for select to authenticated using (user_id = (select auth.uid()) or exists (
    select from public.stories s where s.id = story_id and s.is_public and s.deleted_at is null));
create policy "story_segments: add own" on public.story_segments
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "story_segments: edit own" on public.story_segments
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "story_images: read own or public" on public.story_images
  for select to authenticated using (user_id = (select auth.uid()) or exists (
    select from public.stories s where s.id = story_id and s.is_public and s.deleted_at is null));
create policy "story_images: add own" on public.story_images
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "story_videos: read own or public" on public.story_videos
  for select to authenticated using (user_id = (select auth.uid()) or exists (
    select from public.stories s where s.id = story_id and s.is_public and s.deleted_at is null));

-- usage and money: read your own. Generation logs are written by the server
-- (the edge function that called the AI provider, as service_role): a log a
-- user could write would claim whatever credits_used it liked.
create policy "generation_logs: read own" on public.generation_logs
  for select to authenticated using (user_id = (select auth.uid()));
revoke insert, update, delete on public.generation_logs from anon, authenticated;
create policy "credit_transactions: read own" on public.credit_transactions
  for select to authenticated using (user_id = (select auth.uid()));
revoke insert, update, delete on public.credit_transactions from anon, authenticated;

-- the audit log: no policy, so only service_role (BYPASSRLS) reads it.
revoke all on public.audit_log from anon, authenticated;
