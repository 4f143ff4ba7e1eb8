-- The public gallery's newest stories per language, cached in a
-- materialized view refreshed on a schedule (the brief's "cache frequently
-- accessed data"): readers then see the gallery as of the last refresh.
-- Only public stories are in it, so no row level security is lost; a
-- materialized view has none, and the API roles read it by grant.
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
grant select on public.gallery_cache to anon, authenticated;
