-- The policies on the read paths written with a bare auth.uid() instead of
-- (select auth.uid()): Supabase's documented anti-pattern. The function is
-- then evaluated per row instead of once per statement (no initPlan), which
-- costs most on queries that touch many rows.

drop policy "stories: read own or public" on public.stories;
create policy "stories: read own or public" on public.stories
  for select to authenticated using ((user_id = auth.uid() or is_public) and deleted_at is null);
drop policy "stories: edit own" on public.stories;
create policy "stories: edit own" on public.stories
  for update to authenticated using (user_id = auth.uid()) with check (user_id = auth.uid());

drop policy "story_segments: read own or public" on public.story_segments;
create policy "story_segments: read own or public" on public.story_segments
  for select to authenticated using (user_id = auth.uid() or exists (
    select from public.stories s where s.id = story_id and s.is_public and s.deleted_at is null));
drop policy "story_images: read own or public" on public.story_images;
create policy "story_images: read own or public" on public.story_images
  for select to authenticated using (user_id = auth.uid() or exists (
    select from public.stories s where s.id = story_id and s.is_public and s.deleted_at is null));

drop policy "characters: read own" on public.characters;
create policy "characters: read own" on public.characters
  for select to authenticated using (user_id = auth.uid() and deleted_at is null);
drop policy "character_references: read own" on public.character_references;
create policy "character_references: read own" on public.character_references
  for select to authenticated using (user_id = auth.uid());

drop policy "generation_logs: read own" on public.generation_logs;
create policy "generation_logs: read own" on public.generation_logs
  for select to authenticated using (user_id = auth.uid());
