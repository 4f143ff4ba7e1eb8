-- Statement statistics, where the server has the extension (optional),
-- for schemabench's own connection only: the API roles must not read other
-- sessions' statements and timings.
do $ext$
begin
  create extension if not exists pg_stat_statements with schema extensions;
  revoke all on extensions.pg_stat_statements, extensions.pg_stat_statements_info from public, anon, authenticated;
  revoke execute on function extensions.pg_stat_statements(boolean) from public, anon, authenticated;
exception when others then
  raise notice 'pg_stat_statements is not available: %', sqlerrm;
end
$ext$;
