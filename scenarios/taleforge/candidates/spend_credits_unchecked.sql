-- spend_credits without its ownership check of the story it names: what
-- that protection costs per call (the rest, the balance's row lock and the
-- ledger row in one transaction, is what makes credits tamper-proof, and
-- stays). Never to ship: the check is what keeps a user's ledger to their
-- own stories.
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
