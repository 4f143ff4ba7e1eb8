-- The usage materialized view's refresh, as a cron job would run it: measure
-- it under the app's load with
--   schemabench migrate --on usage_matview --sql scenarios/taleforge/maintenance/refresh_usage_daily.sql
refresh materialized view concurrently public.usage_daily;
