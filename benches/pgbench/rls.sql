\set n random(0, :users - 1)
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"public", "extensions"', true), set_config('role', 'authenticated', true), set_config('request.jwt.claims', (SELECT c.claims FROM bench_claims c WHERE c.n = :n), true), set_config('request.method', 'GET', true), set_config('request.path', '/rest/v1/stories', true), set_config('statement_timeout', '8s', true);
SELECT s.id, s.title FROM public.stories s WHERE s.user_id = auth.uid() ORDER BY s.created_at DESC LIMIT 10;
COMMIT;
