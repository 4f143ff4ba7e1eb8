-- A parent's erasure request (COPPA), as the app's edge function makes it:
-- as service_role, public.erase_account (004_erasure.sql) on the family with
-- the most stories. Measure it under the scenario's load with
--   schemabench migrate --sql scenarios/taleforge/erasure/heaviest_family.sql
set role service_role;
select public.erase_account(heaviest.user_id)
  from (select user_id from public.stories
         group by user_id order by count(*) desc, user_id limit 1) heaviest;
