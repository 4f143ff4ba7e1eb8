-- The public gallery from a narrow copy of the public stories kept by a
-- trigger on every story write: always fresh (no refresh, no staleness),
-- paid for on each write that touches a public story instead. Beside
-- gallery_cache (a materialized view refreshed on a schedule) it answers
-- whether the cache's write cost or its staleness is the better price.
-- The API roles never read the copy (row level security on, no policy):
-- they call public.gallery_latest, as with gallery_cache.
create table public.gallery_public (
  id uuid primary key,
  language text,
  title text,
  genre text,
  created_at timestamptz not null
);
create index gallery_public_language_idx on public.gallery_public (language, created_at desc);
comment on table public.gallery_public is 'Public, live stories for the gallery, kept by stories_gallery_sync; no API role reads it.';
alter table public.gallery_public enable row level security;
revoke all on public.gallery_public from anon, authenticated;

insert into public.gallery_public (id, language, title, genre, created_at)
select id, metadata ->> 'language', title, genre, created_at
  from public.stories
 where is_public and deleted_at is null;

-- Only a write that makes, changes or ends a public story touches the copy:
-- a private draft (most of the app's writes) costs one comparison.
create function public.stories_gallery_sync() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and old.is_public and old.deleted_at is null then
    delete from public.gallery_public where id = old.id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.is_public and new.deleted_at is null then
    insert into public.gallery_public (id, language, title, genre, created_at)
    values (new.id, new.metadata ->> 'language', new.title, new.genre, new.created_at);
  end if;
  return null;
end
$$;
revoke execute on function public.stories_gallery_sync() from public, anon, authenticated;
create trigger stories_gallery_sync
after insert or update or delete on public.stories
for each row execute function public.stories_gallery_sync();

create function public.gallery_latest(p_language text)
returns table (id uuid, title text, genre text, created_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select g.id, g.title, g.genre, g.created_at
    from public.gallery_public g
   where g.language = p_language
   order by g.created_at desc
   limit 20
$$;
revoke execute on function public.gallery_latest from public;
grant execute on function public.gallery_latest to anon, authenticated;
