-- Usage analytics from a materialized view of daily totals instead of the
-- live aggregate over generation_logs. Materialized views have no RLS, so
-- the view is not exposed: a SECURITY DEFINER function returns the caller's
-- own rows only.

create materialized view public.usage_daily as
select user_id, date_trunc('day', created_at) as day, kind,
       count(*) as calls, sum(credits_used) as credits, avg(latency_ms)::int as avg_latency_ms
  from public.generation_logs
 group by 1, 2, 3;
create unique index usage_daily_key on public.usage_daily (user_id, day, kind);
revoke all on public.usage_daily from anon, authenticated;

create function public.usage_by_day(p_user uuid, p_from timestamptz)
returns table (day timestamptz, kind text, calls bigint, credits bigint, avg_latency_ms int)
language sql stable security definer set search_path = ''
as $$
  select u.day, u.kind, u.calls, u.credits, u.avg_latency_ms
    from public.usage_daily u
   where u.user_id = p_user and p_user = (select auth.uid())
     and u.day >= p_from and u.day < p_from + interval '30 days'
   order by 1, 2
$$;
revoke execute on function public.usage_by_day from public, anon;
grant execute on function public.usage_by_day to authenticated;
