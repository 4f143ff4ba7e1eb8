-- Triggers and the credit ledger function.

-- Every function pins its search_path, so no schema a caller can create
-- objects in (or put first on its path) can capture a name it uses.
create or replace function public.set_updated_at() returns trigger
language plpgsql set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

do $$
declare
  t text;
begin
  foreach t in array array['profiles', 'child_profiles', 'subscriptions', 'characters', 'stories', 'story_segments'] loop
    execute format('create trigger %I before update on public.%I for each row execute function public.set_updated_at()',
                   t || '_set_updated_at', t);
  end loop;
end
$$;

-- Audit trail of credit and subscription changes. SECURITY DEFINER so the
-- log is written even though users cannot write to it themselves.
create or replace function public.audit_change() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.audit_log (table_name, record_id, action, actor, old_data, new_data)
  values (
    tg_table_name,
    coalesce(new.id, old.id),
    tg_op,
    (select auth.uid()),
    case when tg_op <> 'INSERT' then to_jsonb(old) end,
    case when tg_op <> 'DELETE' then to_jsonb(new) end
  );
  return null;
end
$$;

create trigger credit_transactions_audit after insert or update or delete on public.credit_transactions
  for each row execute function public.audit_change();
create trigger subscriptions_audit after insert or update or delete on public.subscriptions
  for each row execute function public.audit_change();
create trigger profiles_credits_audit after update of credits_balance on public.profiles
  for each row when (old.credits_balance is distinct from new.credits_balance)
  execute function public.audit_change();

-- The only way a signed-in user changes their balance: the ledger row and
-- the balance move together, in one transaction, never below zero.
create or replace function public.spend_credits(
  p_amount integer,
  p_reference uuid default null,
  p_description text default null
) returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_balance integer;
begin
  if v_user is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  if p_amount is null or p_amount <= 0 then
    raise exception 'amount must be positive, got %', p_amount using errcode = '22023';
  end if;
  -- The ledger names only the caller's own stories.
  if p_reference is not null
     and not exists (select from public.stories where id = p_reference and user_id = v_user) then
    raise exception 'story % is not yours', p_reference using errcode = '42501';
  end if;
  update public.profiles
     set credits_balance = credits_balance - p_amount
   where id = v_user and credits_balance >= p_amount
  returning credits_balance into v_balance;
  if not found then
    raise exception 'insufficient credits' using errcode = 'P0001', hint = 'buy more credits';
  end if;
  insert into public.credit_transactions (user_id, amount, kind, reference_id, description)
  values (v_user, -p_amount, 'generation', p_reference, p_description);
  return v_balance;
end
$$;
comment on function public.spend_credits is 'Spends credits for the signed-in user: ledger row and balance in one transaction; refuses to go below zero.';
revoke execute on function public.spend_credits from public, anon;
grant execute on function public.spend_credits to authenticated, service_role;
revoke execute on function public.audit_change from public, anon, authenticated;
