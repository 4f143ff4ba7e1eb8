-- The soft-delete design's second step (candidate erasure_soft_delete): the
-- heaviest family's request, then the scheduled purge that erases it, as
-- the job runs them as service_role. Measure it under the scenario's load with
--   schemabench migrate --on erasure_soft_delete --sql scenarios/taleforge/erasure/purge_heaviest_family.sql
set role service_role;
select public.erase_account(heaviest.user_id)
  from (select user_id from public.stories
         group by user_id order by count(*) desc, user_id limit 1) heaviest;
select public.purge_erased_accounts(10);
