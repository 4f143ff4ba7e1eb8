-- The public gallery's newest stories per language, cached in a
-- materialized view refreshed on a schedule (the brief's "cache frequently
-- accessed data"): readers then see the gallery as of the last refresh.
-- A materialized view has no row level security, so the API roles never
-- read it directly (Supabase's advisor flags one they can): they call
-- public.gallery_latest, which returns public stories only.
-- maintenance/refresh_gallery_cache.sql refreshes it (measure that with
-- `schemabench migrate --on gallery_cache --sql ...`).
create materialized view public.gallery_cache as
select id, title, genre, created_at, language
  from (select id, title, genre, created_at, metadata ->> 'language' as language,
               row_number() over (partition by metadata ->> 'language' order by created_at desc, id desc) as newest
          from public.stories
         where is_public and deleted_at is null) s
 where newest <= 200;
-- Unique, so it can be refreshed concurrently (readers never wait).
create unique index gallery_cache_id_idx on public.gallery_cache (id);
create index gallery_cache_language_idx on public.gallery_cache (language, created_at desc);
revoke all on public.gallery_cache from anon, authenticated;

create function public.gallery_latest(p_language text)
returns table (id uuid, title text, genre text, created_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select g.id, g.title, g.genre, g.created_at
    from public.gallery_cache g
   where g.language = p_language
   order by g.created_at desc
   limit 20
$$;
revoke execute on function public.gallery_latest from public;
grant execute on function public.gallery_latest to anon, authenticated;
