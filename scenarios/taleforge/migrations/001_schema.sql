-- TaleForge / ImageWise Learn: tables, keys and indexes.
-- Written the Supabase way: UUID keys, created_at/updated_at, soft deletes
-- where users delete content, JSONB for flexible settings, an index on every
-- foreign key. Every user-owned table carries user_id so that RLS policies
-- are one indexed comparison instead of a join to the owning story, and a
-- child row's foreign key names its parent *together with that user_id*:
-- a user can never attach a page, image, log or child to another user's
-- row, whatever the policies say (tenant safety as a constraint).

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null check (char_length(display_name) between 1 and 100),
  avatar_url text,
  role text not null default 'parent' check (role in ('parent', 'teacher', 'admin')),
  settings jsonb not null default '{}'::jsonb,
  credits_balance integer not null default 0 check (credits_balance >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.profiles is 'One row per auth user: the account holder (a parent or teacher), never a child.';
comment on column public.profiles.credits_balance is 'Cached sum of credit_transactions.amount; changed only by public.spend_credits and service-role grants.';
comment on column public.profiles.settings is 'UI preferences (theme, language, notifications) as JSONB.';

create table public.child_profiles (
  id uuid primary key default gen_random_uuid(),
  parent_id uuid not null references public.profiles (id) on delete cascade,
  display_name text not null check (char_length(display_name) between 1 and 50),
  age smallint not null check (age between 2 and 14),
  reading_level text not null default 'early' check (reading_level in ('pre', 'early', 'fluent', 'advanced')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (id, parent_id)
);
comment on table public.child_profiles is 'Children a parent writes stories for. COPPA: readable only by the parent, never by anon.';
comment on column public.child_profiles.age is 'Age in years; drives vocabulary and content filters.';
create index child_profiles_parent_id_idx on public.child_profiles (parent_id);

create table public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references public.profiles (id) on delete cascade,
  plan text not null check (plan in ('free', 'starter', 'pro', 'family')),
  status text not null check (status in ('trialing', 'active', 'past_due', 'canceled')),
  monthly_credits integer not null check (monthly_credits >= 0),
  current_period_start timestamptz not null,
  current_period_end timestamptz not null,
  provider_customer_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (current_period_end > current_period_start)
);
comment on table public.subscriptions is 'Billing plan per user, written by the payment webhook (service role) only.';

create table public.characters (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 80),
  description text,
  traits jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (id, user_id)
);
comment on table public.characters is 'Reusable story characters; one character appears in many of its owner''s stories.';
comment on column public.characters.traits is 'Free-form traits used in prompts (species, colour, personality).';
create index characters_user_id_idx on public.characters (user_id);

create table public.character_references (
  id uuid primary key default gen_random_uuid(),
  character_id uuid not null,
  user_id uuid not null references public.profiles (id) on delete cascade,
  image_url text not null,
  prompt text,
  is_primary boolean not null default false,
  created_at timestamptz not null default now(),
  foreign key (character_id, user_id) references public.characters (id, user_id) on delete cascade
);
comment on table public.character_references is 'Reference images that keep a character consistent across generated illustrations.';
create index character_references_character_id_idx on public.character_references (character_id);
create index character_references_user_id_idx on public.character_references (user_id);

create table public.stories (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  child_id uuid,
  main_character_id uuid,
  title text not null check (char_length(title) between 1 and 200),
  genre text not null check (genre in ('adventure', 'fantasy', 'bedtime', 'animals', 'science', 'friendship', 'mystery')),
  age_group text not null check (age_group in ('2-4', '5-7', '8-10', '11-14')),
  status text not null default 'draft' check (status in ('draft', 'generating', 'complete', 'failed')),
  is_public boolean not null default false,
  word_count integer not null default 0 check (word_count >= 0),
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (id, user_id),
  foreign key (child_id, user_id) references public.child_profiles (id, parent_id) on delete set null (child_id),
  foreign key (main_character_id, user_id) references public.characters (id, user_id) on delete set null (main_character_id)
);
comment on table public.stories is 'A generated story; soft-deleted so a mistaken delete can be undone.';
comment on column public.stories.is_public is 'Shared to the community gallery (signed-in users only).';
comment on column public.stories.metadata is 'Generation settings (tone, length, language) as JSONB.';
create index stories_user_id_idx on public.stories (user_id);
create index stories_child_id_idx on public.stories (child_id);
create index stories_main_character_id_idx on public.stories (main_character_id);

create table public.story_segments (
  id uuid primary key default gen_random_uuid(),
  story_id uuid not null,
  user_id uuid not null references public.profiles (id) on delete cascade,
  position integer not null check (position >= 1),
  content text not null,
  audio_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (story_id, position),
  unique (id, story_id, user_id),
  foreign key (story_id, user_id) references public.stories (id, user_id) on delete cascade
);
comment on table public.story_segments is 'The pages of a story, in order.';
comment on column public.story_segments.position is '1-based page number within the story.';
create index story_segments_user_id_idx on public.story_segments (user_id);

create table public.story_images (
  id uuid primary key default gen_random_uuid(),
  segment_id uuid not null,
  story_id uuid not null,
  user_id uuid not null references public.profiles (id) on delete cascade,
  image_url text not null,
  prompt text,
  style text not null default 'watercolor' check (style in ('watercolor', 'cartoon', 'pencil', 'storybook', 'pixel')),
  width integer not null check (width > 0),
  height integer not null check (height > 0),
  created_at timestamptz not null default now(),
  foreign key (segment_id, story_id, user_id) references public.story_segments (id, story_id, user_id) on delete cascade
);
comment on table public.story_images is 'Illustrations of story segments (URLs into storage; never the image bytes).';
create index story_images_segment_id_idx on public.story_images (segment_id);
create index story_images_story_id_idx on public.story_images (story_id);
create index story_images_user_id_idx on public.story_images (user_id);

create table public.story_videos (
  id uuid primary key default gen_random_uuid(),
  story_id uuid not null,
  user_id uuid not null references public.profiles (id) on delete cascade,
  video_url text not null,
  duration_seconds integer not null check (duration_seconds > 0),
  status text not null default 'ready' check (status in ('queued', 'rendering', 'ready', 'failed')),
  created_at timestamptz not null default now(),
  foreign key (story_id, user_id) references public.stories (id, user_id) on delete cascade
);
comment on table public.story_videos is 'Rendered story videos; a few stories have one.';
create index story_videos_story_id_idx on public.story_videos (story_id);
create index story_videos_user_id_idx on public.story_videos (user_id);

create table public.generation_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  story_id uuid,
  kind text not null check (kind in ('text', 'image', 'video', 'audio')),
  model text not null,
  prompt_tokens integer not null default 0 check (prompt_tokens >= 0),
  completion_tokens integer not null default 0 check (completion_tokens >= 0),
  credits_used integer not null default 0 check (credits_used >= 0),
  latency_ms integer not null check (latency_ms >= 0),
  status text not null check (status in ('success', 'error')),
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  foreign key (story_id, user_id) references public.stories (id, user_id) on delete set null (story_id)
);
comment on table public.generation_logs is 'Every AI generation call: the largest, append-only table, used for usage analytics.';
comment on column public.generation_logs.metadata is 'Provider details (region, cache hit, moderation flags) as JSONB.';
create index generation_logs_user_id_idx on public.generation_logs (user_id);
create index generation_logs_story_id_idx on public.generation_logs (story_id);

create table public.credit_transactions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  amount integer not null check (amount <> 0),
  kind text not null check (kind in ('signup_bonus', 'purchase', 'subscription_grant', 'generation', 'refund', 'adjustment')),
  reference_id uuid,
  description text,
  created_at timestamptz not null default now(),
  check ((kind = 'generation') = (amount < 0) or kind = 'adjustment')
);
comment on table public.credit_transactions is 'Append-only credit ledger: profiles.credits_balance is always the sum of amount.';
comment on column public.credit_transactions.amount is 'Credits added (positive) or spent (negative).';
create index credit_transactions_user_id_idx on public.credit_transactions (user_id);

create table public.audit_log (
  id bigint generated always as identity primary key,
  table_name text not null,
  record_id uuid,
  action text not null check (action in ('INSERT', 'UPDATE', 'DELETE')),
  actor uuid,
  old_data jsonb,
  new_data jsonb,
  created_at timestamptz not null default now()
);
comment on table public.audit_log is 'Who changed credits and subscriptions, and how; written by triggers only.';
create index audit_log_record_id_idx on public.audit_log (record_id);
