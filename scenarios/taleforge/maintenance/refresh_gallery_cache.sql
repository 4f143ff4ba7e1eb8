-- The gallery cache's scheduled refresh (candidates/gallery_cache.sql),
-- as pg_cron would run it: concurrently, so readers never wait for it.
refresh materialized view concurrently public.gallery_cache;
