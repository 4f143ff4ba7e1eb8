\set n random(0, 999)
SELECT s.title, s.status FROM public.stories s WHERE s.id = (SELECT k.id FROM bench_keys k WHERE k.n = :n);
