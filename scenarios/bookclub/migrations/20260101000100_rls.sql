-- Row Level Security: members see public clubs and the clubs they belong to;
-- they write only as themselves.

alter table public.members enable row level security;
alter table public.books enable row level security;
alter table public.clubs enable row level security;
alter table public.memberships enable row level security;
alter table public.shelves enable row level security;
alter table public.discussions enable row level security;
alter table public.comments enable row level security;

create function public.is_member(club bigint) returns boolean
  language sql stable security definer set search_path = ''
  as $$ select exists (select 1 from public.memberships m
                        where m.club_id = club and m.member_id = (select auth.uid())) $$;

create policy "members are public" on public.members for select to authenticated using (true);
create policy "members edit themselves" on public.members for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));
create policy "books are public" on public.books for select to authenticated using (true);
create policy "clubs: public or joined" on public.clubs for select to authenticated
  using (not is_private or owner_id = (select auth.uid()) or public.is_member(id));
create policy "clubs: owners create" on public.clubs for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy "memberships: own and own clubs'" on public.memberships for select to authenticated
  using (member_id = (select auth.uid()) or public.is_member(club_id));
create policy "shelves: own" on public.shelves for all to authenticated
  using (member_id = (select auth.uid())) with check (member_id = (select auth.uid()));
create policy "discussions: members'" on public.discussions for select to authenticated
  using (public.is_member(club_id) or exists (select 1 from public.clubs c where c.id = club_id and (not c.is_private or c.owner_id = (select auth.uid()))));
create policy "comments: members'" on public.comments for select to authenticated
  using (exists (select 1 from public.discussions d where d.id = discussion_id));
create policy "comments: as yourself" on public.comments for insert to authenticated
  with check (author_id = (select auth.uid()));
