//! The cross-tenant attack suite on TaleForge: signed in as one user (and
//! as anon, with claims set the way PostgREST sets them), every read,
//! write, parent hijack, page-number squat and forged log aimed at another
//! user's data is refused, on the schema as migrated and on every
//! candidate. Controls show the same statements succeed on the caller's
//! own data, so a refusal is the policy's doing, not a typo's.

mod common;

use schemabench::candidate::{self, Candidate};
use schemabench::seed::seed;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

/// The ids an attack needs: the victim's rows and the attacker's own.
struct Tenants {
    attacker: String,
    attacker_story: String,
    attacker_segment: String,
    victim: String,
    victim_child: String,
    victim_character: String,
    private_story: String,
    private_segment: String,
    public_story: String,
}

impl Tenants {
    /// A victim owning a child, a character, a private story with an
    /// illustrated page and a public story with pages; an attacker owning
    /// a story with a page.
    async fn pick(db: &tokio_postgres::Client) -> Self {
        let victim = db
            .query_one(
                "select p.id::text,
                        (select c.id::text from child_profiles c where c.parent_id = p.id order by c.id limit 1),
                        (select c.id::text from characters c where c.user_id = p.id order by c.id limit 1),
                        (select s.id::text from stories s join story_segments g on g.story_id = s.id
                          join story_images i on i.segment_id = g.id
                          where s.user_id = p.id and not s.is_public order by s.id limit 1),
                        (select s.id::text from stories s join story_segments g on g.story_id = s.id
                          where s.user_id = p.id and s.is_public and s.deleted_at is null order by s.id limit 1)
                   from profiles p
                  where exists (select from child_profiles c where c.parent_id = p.id)
                    and exists (select from characters c where c.user_id = p.id)
                    and exists (select from stories s join story_segments g on g.story_id = s.id
                                 join story_images i on i.segment_id = g.id
                                 where s.user_id = p.id and not s.is_public)
                    and exists (select from stories s join story_segments g on g.story_id = s.id
                                 where s.user_id = p.id and s.is_public and s.deleted_at is null)
                  order by p.id limit 1",
                &[],
            )
            .await
            .expect("a victim with a child, a character, a private and a public story");
        let private_story: String = victim.get(3);
        let private_segment: String = db
            .query_one(
                "select g.id::text from story_segments g join story_images i on i.segment_id = g.id
                  where g.story_id = $1::text::uuid order by g.id limit 1",
                &[&private_story],
            )
            .await
            .expect("an illustrated page")
            .get(0);
        let victim_id: String = victim.get(0);
        let attacker = db
            .query_one(
                "select s.user_id::text, s.id::text, g.id::text
                   from stories s join story_segments g on g.story_id = s.id
                  where s.user_id <> $1::text::uuid and s.deleted_at is null
                  order by s.id, g.id limit 1",
                &[&victim_id],
            )
            .await
            .expect("an attacker with a story");
        Self {
            attacker: attacker.get(0),
            attacker_story: attacker.get(1),
            attacker_segment: attacker.get(2),
            victim: victim_id,
            victim_child: victim.get(1),
            victim_character: victim.get(2),
            private_story,
            private_segment,
            public_story: victim.get(4),
        }
    }

    /// Replaces `{name}` placeholders with the ids.
    fn fill(&self, sql: &str) -> String {
        [
            ("{attacker}", &self.attacker),
            ("{attacker_story}", &self.attacker_story),
            ("{attacker_segment}", &self.attacker_segment),
            ("{victim}", &self.victim),
            ("{victim_child}", &self.victim_child),
            ("{victim_character}", &self.victim_character),
            ("{private_story}", &self.private_story),
            ("{private_segment}", &self.private_segment),
            ("{public_story}", &self.public_story),
        ]
        .iter()
        .fold(sql.to_owned(), |sql, (key, id)| sql.replace(key, id))
    }
}

/// Tables, partitions and views of `public` the caller may read that row
/// security does not guard (a partition read directly skips its parent's
/// policies; a view runs as its owner).
const UNGUARDED: &str =
    "select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p', 'm', 'v')
    and not c.relrowsecurity and has_table_privilege(c.oid, 'select')";

/// Attacks by the signed-in attacker on the victim's data. Each returns
/// rows only if it got through.
const SIGNED_IN_ATTACKS: &[(&str, &str)] = &[
    // Reads.
    ("read a private story", "select id from stories where id = '{private_story}'"),
    ("read a private story's pages", "select id from story_segments where story_id = '{private_story}'"),
    ("read a private page's illustration", "select id from story_images where segment_id = '{private_segment}'"),
    ("read a private story's video", "select id from story_videos where story_id = '{private_story}'"),
    ("read a child", "select id from child_profiles where parent_id = '{victim}'"),
    ("read a character", "select id from characters where user_id = '{victim}'"),
    ("read reference images", "select id from character_references where user_id = '{victim}'"),
    ("read a profile", "select id from profiles where id = '{victim}'"),
    ("read a subscription", "select id from subscriptions where user_id = '{victim}'"),
    ("read the credit ledger", "select id from credit_transactions where user_id = '{victim}'"),
    ("read generation logs", "select id from generation_logs where user_id = '{victim}'"),
    ("read the audit log", "select id from audit_log"),
    ("read statement statistics", "select query from extensions.pg_stat_statements"),
    ("find a table without row security", UNGUARDED),
    // Writes into the victim's stories and media (parent hijack).
    ("add a page to a private story",
     "insert into story_segments (story_id, user_id, position, content) values ('{private_story}', '{attacker}', 9999, 'x') returning id"),
    ("add a page as the victim",
     "insert into story_segments (story_id, user_id, position, content) values ('{private_story}', '{victim}', 9999, 'x') returning id"),
    ("squat the next page number of a public story",
     "insert into story_segments (story_id, user_id, position, content)
      select '{public_story}', '{attacker}', n, 'x' from generate_series(1, 50) n
      on conflict do nothing returning id"),
    ("illustrate someone else's page",
     "insert into story_images (segment_id, story_id, user_id, image_url, width, height)
      values ('{private_segment}', '{private_story}', '{attacker}', 'https://x', 1, 1) returning id"),
    ("illustrate someone else's page under one's own story",
     "insert into story_images (segment_id, story_id, user_id, image_url, width, height)
      values ('{private_segment}', '{attacker_story}', '{attacker}', 'https://x', 1, 1) returning id"),
    ("attach a video to someone else's story",
     "insert into story_videos (story_id, user_id, video_url, duration_seconds)
      values ('{private_story}', '{attacker}', 'https://x', 1) returning id"),
    ("write a story naming someone else's child",
     "insert into stories (user_id, child_id, title, genre, age_group)
      values ('{attacker}', '{victim_child}', 't', 'bedtime', '5-7') returning id"),
    ("write a story starring someone else's character",
     "insert into stories (user_id, main_character_id, title, genre, age_group)
      values ('{attacker}', '{victim_character}', 't', 'bedtime', '5-7') returning id"),
    ("add a reference image to someone else's character",
     "insert into character_references (character_id, user_id, image_url)
      values ('{victim_character}', '{attacker}', 'https://x') returning id"),
    ("add a child to someone else's account",
     "insert into child_profiles (parent_id, display_name, age) values ('{victim}', 'x', 5) returning id"),
    ("write a story as someone else",
     "insert into stories (user_id, title, genre, age_group) values ('{victim}', 't', 'bedtime', '5-7') returning id"),
    // Forged money and usage.
    ("log a generation against someone else's story",
     "insert into generation_logs (user_id, story_id, kind, model, latency_ms, status)
      values ('{attacker}', '{private_story}', 'image', 'm', 1, 'success') returning id"),
    ("log a free generation of one's own",
     "insert into generation_logs (user_id, story_id, kind, model, credits_used, latency_ms, status)
      values ('{attacker}', '{attacker_story}', 'image', 'm', 0, 1, 'success') returning id"),
    ("grant oneself credits",
     "insert into credit_transactions (user_id, amount, kind) values ('{attacker}', 1000, 'purchase') returning id"),
    ("spend credits against someone else's story",
     "select public.spend_credits(1, '{private_story}')"),
    ("raise one's own balance", "update profiles set credits_balance = 999999 where id = '{attacker}' returning id"),
    // Updates and deletes of the victim's rows, and moving one's own rows under them.
    ("retitle someone else's story", "update stories set title = 'x' where id = '{public_story}' returning id"),
    ("publish someone else's story", "update stories set is_public = true where id = '{private_story}' returning id"),
    ("edit someone else's page", "update story_segments set content = 'x' where story_id = '{public_story}' returning id"),
    ("rename someone else's child", "update child_profiles set display_name = 'x' where parent_id = '{victim}' returning id"),
    ("rename someone else's character", "update characters set name = 'x' where user_id = '{victim}' returning id"),
    ("edit someone else's profile", "update profiles set display_name = 'x' where id = '{victim}' returning id"),
    ("move one's page into someone else's story",
     "update story_segments set story_id = '{private_story}' where id = '{attacker_segment}' returning id"),
    ("point one's story at someone else's child",
     "update stories set child_id = '{victim_child}' where id = '{attacker_story}' returning id"),
    ("give one's story away", "update stories set user_id = '{victim}' where id = '{attacker_story}' returning id"),
    ("delete someone else's story", "delete from stories where user_id = '{victim}' returning id"),
    ("delete someone else's pages", "delete from story_segments where user_id = '{victim}' returning id"),
    ("delete someone else's reference images", "delete from character_references where user_id = '{victim}' returning id"),
    ("delete someone else's logs", "delete from generation_logs where user_id = '{victim}' returning id"),
    // Erasure is the service role's (an edge function's), whatever the design.
    ("erase someone else's family", "select public.erase_account('{victim}')"),
];

/// Attacks without signing in.
const ANON_ATTACKS: &[(&str, &str)] = &[
    (
        "read a public story",
        "select id from stories where id = '{public_story}'",
    ),
    (
        "read a public story's pages",
        "select id from story_segments where story_id = '{public_story}'",
    ),
    ("read children", "select id from child_profiles"),
    ("read profiles", "select id from profiles"),
    ("read generation logs", "select id from generation_logs"),
    (
        "read statement statistics",
        "select query from extensions.pg_stat_statements",
    ),
    ("find a table without row security", UNGUARDED),
    (
        "write a story",
        "insert into stories (user_id, title, genre, age_group) values ('{victim}', 't', 'bedtime', '5-7') returning id",
    ),
    (
        "add a page",
        "insert into story_segments (story_id, user_id, position, content) values ('{public_story}', '{victim}', 9999, 'x') returning id",
    ),
    (
        "log a generation",
        "insert into generation_logs (user_id, kind, model, latency_ms, status) values ('{victim}', 'image', 'm', 1, 'success') returning id",
    ),
    ("spend credits", "select public.spend_credits(1)"),
    (
        "edit a story",
        "update stories set title = 'x' where id = '{public_story}' returning id",
    ),
    ("delete stories", "delete from stories returning id"),
    ("erase a family", "select public.erase_account('{victim}')"),
];

/// What the attacker may do, so the refusals above are the policies' doing.
const CONTROLS: &[(&str, &str)] = &[
    ("read a public story", "select id from stories where id = '{public_story}'"),
    ("read a public story's pages", "select id from story_segments where story_id = '{public_story}'"),
    ("add a page to one's own story",
     "insert into story_segments (story_id, user_id, position, content) values ('{attacker_story}', '{attacker}', 9999, 'x') returning id"),
    ("illustrate one's own page",
     "insert into story_images (segment_id, story_id, user_id, image_url, width, height)
      values ('{attacker_segment}', '{attacker_story}', '{attacker}', 'https://x', 1, 1) returning id"),
    ("retitle one's own story", "update stories set title = 'x' where id = '{attacker_story}' returning id"),
    ("write a story", "insert into stories (user_id, title, genre, age_group) values ('{attacker}', 't', 'bedtime', '5-7') returning id"),
];

/// Refused: no rows back, or an error saying so (no privilege, a row
/// security check, or a foreign key that ties a child row to its owner).
fn refused(result: &Result<Vec<Row>, tokio_postgres::Error>) -> Result<(), String> {
    match result {
        Ok(rows) if rows.is_empty() => Ok(()),
        Ok(rows) => Err(format!("got through: {} row(s)", rows.len())),
        Err(e)
            if [
                Some(&SqlState::INSUFFICIENT_PRIVILEGE),
                Some(&SqlState::FOREIGN_KEY_VIOLATION),
            ]
            .contains(&e.code()) =>
        {
            Ok(())
        }
        Err(e) => Err(format!("failed for another reason: {e:?}")),
    }
}

/// Every attack against `database`; the failures, named.
async fn attack(database: &str, tenants: &Tenants) -> Vec<String> {
    let mut failures = Vec::new();
    let attacker = Some(tenants.attacker.as_str());
    let cases = SIGNED_IN_ATTACKS
        .iter()
        .map(|c| ("authenticated", attacker, c))
        .chain(ANON_ATTACKS.iter().map(|c| ("anon", None, c)));
    for (role, sub, (name, sql)) in cases {
        let result = common::as_role(role, sub, database, &tenants.fill(sql)).await;
        if let Err(why) = refused(&result) {
            failures.push(format!("{database}: {role} could {name}: {why}"));
        }
    }
    for (name, sql) in CONTROLS {
        match common::as_role("authenticated", attacker, database, &tenants.fill(sql)).await {
            Ok(rows) if !rows.is_empty() => {}
            other => failures.push(format!("{database}: control '{name}' failed: {other:?}")),
        }
    }
    failures
}

#[tokio::test]
async fn no_user_reads_or_writes_another_users_data_on_any_candidate() {
    let server = common::server().await;
    let scenario = common::taleforge(107, 0.02);
    let report = seed(&server, &scenario, &common::quiet())
        .await
        .expect("seed");
    let tenants = {
        let db = server.admin(&report.database).await.expect("connect");
        Tenants::pick(&db).await
    };
    let admin = server
        .admin(&server.maintenance_db())
        .await
        .expect("admin connection");
    let dir = scenario.path.parent().expect("scenario folder");
    let mut failures = attack(&report.database, &tenants).await;
    let mut prepared = Vec::new();
    for (index, spec) in scenario.spec.candidates.iter().enumerate() {
        let candidate = Candidate::from_spec(spec, dir).expect("candidate SQL");
        let copy = candidate::prepare(&server, &admin, &report.database, index + 1, candidate)
            .await
            .expect("prepare the candidate");
        let found = attack(&copy.database, &tenants).await;
        if spec.name == "spend_credits_unchecked" {
            // Built to price the check it removes: exactly that attack gets
            // through, which shows the attacks would catch the hole.
            let through: Vec<&str> = found.iter().filter_map(|f| f.split(": ").nth(1)).collect();
            assert_eq!(
                through,
                ["authenticated could spend credits against someone else's story"],
                "{found:?}"
            );
        } else {
            failures.extend(found);
        }
        prepared.push(copy);
    }
    candidate::drop_copies(&admin, &prepared)
        .await
        .expect("drop the copies");
    // The default set and the groups: a new candidate must face them too.
    assert_eq!(
        prepared.len(),
        20,
        "every TaleForge candidate faced the attacks"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
