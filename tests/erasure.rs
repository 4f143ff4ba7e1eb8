//! TaleForge's COPPA erasure (`public.erase_account`, migration 004) and
//! the designs its candidates measure beside it: the heaviest family's
//! every row goes, audit trail included, the counts returned are the rows
//! removed, and while the erasure holds its locks other tenants read and
//! write unblocked. Exact figures, no timings.

mod common;

use schemabench::candidate::{self, Candidate};
use tokio_postgres::Client;

/// Tables holding a family's rows, and the column naming the family.
const FAMILY: &[(&str, &str)] = &[
    ("auth.users", "id"),
    ("public.profiles", "id"),
    ("public.child_profiles", "parent_id"),
    ("public.subscriptions", "user_id"),
    ("public.characters", "user_id"),
    ("public.character_references", "user_id"),
    ("public.stories", "user_id"),
    ("public.story_segments", "user_id"),
    ("public.story_images", "user_id"),
    ("public.story_videos", "user_id"),
    ("public.generation_logs", "user_id"),
    ("public.credit_transactions", "user_id"),
];

/// Rows of each family table: the family's, and everyone's.
async fn rows(db: &Client, user: &str) -> Vec<(String, i64, i64)> {
    let mut out = Vec::new();
    for (table, column) in FAMILY {
        let row = db
            .query_one(
                &format!(
                    "select count(*) filter (where {column}::text = $1), count(*) from {table}"
                ),
                &[&user],
            )
            .await
            .expect("count");
        let short = table.trim_start_matches("public.").to_owned();
        out.push((short, row.get(0), row.get(1)));
    }
    out
}

/// Signs `user` in for this session, as PostgREST would for a request.
async fn sign_in(db: &Client, user: &str) {
    db.execute(
        "select set_config('request.jwt.claims', json_build_object('sub', $1::text, 'role', 'authenticated')::text, false)",
        &[&user],
    )
    .await
    .expect("claims");
}

/// One way to erase a family: the candidate whose SQL defines it (none:
/// the baseline's cascade) and the job that finishes a request (none: the
/// request itself erases).
struct Design {
    candidate: Option<&'static str>,
    purge: Option<&'static str>,
}

const DESIGNS: [Design; 3] = [
    Design {
        candidate: None,
        purge: None,
    },
    Design {
        candidate: Some("erasure_explicit"),
        purge: None,
    },
    Design {
        candidate: Some("erasure_soft_delete"),
        purge: Some("select public.purge_erased_accounts(10)"),
    },
];

#[tokio::test]
async fn every_erasure_design_removes_every_row_and_blocks_no_other_tenant() {
    let (server, report, admin) = common::seeded_taleforge(141, 0.02).await;
    let scenario = common::taleforge(141, 0.02);
    let dir = scenario.path.parent().expect("scenario folder");
    for (index, design) in DESIGNS.iter().enumerate() {
        let candidate = match design.candidate {
            None => Candidate::baseline(),
            Some(name) => {
                let spec = scenario
                    .spec
                    .candidates
                    .iter()
                    .find(|c| c.name == name)
                    .expect("the design's candidate");
                Candidate::from_spec(spec, dir).expect("candidate SQL")
            }
        };
        // A copy: the seeded data stays as its marker says.
        let copy = candidate::prepare(&server, &admin, &report.database, index + 1, candidate)
            .await
            .expect("copy");
        erase(&server, &copy.database, design).await;
        candidate::drop_copies(&admin, &[copy]).await.expect("drop");
    }
}

/// Erases the heaviest family of `database` by `design`, held open while
/// another family works, and checks every row of it went.
async fn erase(server: &schemabench::pg::Server, database: &str, design: &Design) {
    let name = design.candidate.unwrap_or("baseline");
    let db = server.admin(database).await.expect("connect");
    let db = &db;
    let pick = |order: &'static str| async move {
        let sql = format!(
            "select user_id::text from public.stories group by user_id order by count(*) {order}, user_id limit 1"
        );
        db.query_one(&sql, &[])
            .await
            .expect("family")
            .get::<_, String>(0)
    };
    let target = pick("desc").await;
    let other = pick("asc").await;
    assert_ne!(target, other);

    // The audit trail the workload leaves: each spends credits as
    // themselves (the ledger's trigger writes who and what).
    for user in [&target, &other] {
        sign_in(db, user).await;
        db.execute(
            "insert into public.credit_transactions (user_id, amount, kind) values ($1::text::uuid, -1, 'generation')",
            &[user],
        )
        .await
        .expect("spend");
    }
    let before = rows(db, &target).await;
    let family_rows: i64 = before.iter().map(|(_, family, _)| family).sum();
    assert!(family_rows > 50, "{before:?}");
    let audit_of = |user: &str| {
        format!("select count(*) from public.audit_log a where a::text like '%{user}%'")
    };
    let other_audit: i64 = db
        .query_one(&audit_of(&other), &[])
        .await
        .expect("audit")
        .get(0);
    assert!(other_audit >= 1);

    // The erasure, as the edge function runs it, held open.
    let eraser = server.admin(database).await.expect("connect");
    eraser
        .batch_execute("begin; set local role service_role")
        .await
        .expect("begin");
    let removed: serde_json::Value = eraser
        .query_one("select public.erase_account($1::text::uuid)", &[&target])
        .await
        .expect("erase")
        .get(0);

    // Meanwhile another family reads its stories and the gallery and
    // writes a story: none waits on the erasure's locks (a wait would fail
    // at the lock timeout instead of hanging the test).
    let tenant = server.admin(database).await.expect("connect");
    tenant
        .batch_execute("set lock_timeout = '20s'; begin; set local role authenticated")
        .await
        .expect("tenant");
    sign_in(&tenant, &other).await;
    let own: i64 = tenant
        .query_one("select count(*) from public.stories", &[])
        .await
        .expect("own stories")
        .get(0);
    let other_before = before
        .iter()
        .find(|(t, _, _)| t == "stories")
        .map(|(_, _, all)| *all)
        .unwrap_or_default();
    assert!(own >= 1 && own < other_before, "{own} of {other_before}");
    tenant
        .query(
            "select id from public.stories where is_public and deleted_at is null order by created_at desc limit 20",
            &[],
        )
        .await
        .expect("gallery");
    tenant
        .execute(
            "insert into public.stories (user_id, title, genre, age_group) values ($1::text::uuid, 'A new one', 'bedtime', '2-4')",
            &[&other],
        )
        .await
        .expect("a write beside the erasure");
    let waiting: i64 = db
        .query_one(
            "select count(*) from pg_locks where not granted and database = (select oid from pg_database where datname = current_database())",
            &[],
        )
        .await
        .expect("pg_locks")
        .get(0);
    assert_eq!(waiting, 0);
    tenant.batch_execute("commit").await.expect("tenant commit");
    eraser.batch_execute("commit").await.expect("commit");
    let removed = match design.purge {
        None => removed,
        Some(purge) => {
            // The request hid the family from everyone at once and removed
            // nothing yet; the purge erases it.
            assert_eq!(removed["queued"], true, "{name}: {removed}");
            let family = |rows: &[(String, i64, i64)]| -> Vec<i64> {
                rows.iter().map(|(_, family, _)| *family).collect()
            };
            assert_eq!(family(&rows(db, &target).await), family(&before), "{name}");
            let shown: i64 = db
                .query_one(
                    "select count(*) from public.stories where user_id::text = $1 and deleted_at is null",
                    &[&target],
                )
                .await
                .expect("shown")
                .get(0);
            assert_eq!(shown, 0, "{name}: the family's stories still show");
            eraser
                .batch_execute("set role service_role")
                .await
                .expect("role");
            let removed = eraser
                .query_one(purge, &[])
                .await
                .expect("purge")
                .get::<_, serde_json::Value>(0);
            let queued: i64 = db
                .query_one("select count(*) from public.erasure_requests", &[])
                .await
                .expect("queue")
                .get(0);
            assert_eq!(queued, 0, "{name}");
            removed
        }
    };

    // What it says it removed is what was there; nothing of it is left.
    let after = rows(db, &target).await;
    for ((table, family, all), (_, left, all_after)) in before.iter().zip(&after) {
        assert_eq!(
            removed[table.as_str()],
            *family,
            "{name} {table}: {removed}"
        );
        assert_eq!(*left, 0, "{name} {table}");
        let added = i64::from(table == "stories");
        assert_eq!(*all_after, all - family + added, "{name} {table}");
    }
    let audit_left: i64 = db
        .query_one(&audit_of(&target), &[])
        .await
        .expect("audit")
        .get(0);
    assert_eq!(
        audit_left, 0,
        "{name}: the audit log still names the family"
    );
    assert!(
        removed["audit_log"].as_i64().unwrap_or_default() >= 1,
        "{removed}"
    );
    let erasures: Vec<serde_json::Value> = db
        .query(
            "select new_data from public.audit_log where table_name = 'erasure'",
            &[],
        )
        .await
        .expect("erasure record")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(erasures, [serde_json::json!({ "removed": removed })]);
    let other_after: i64 = db
        .query_one(&audit_of(&other), &[])
        .await
        .expect("audit")
        .get(0);
    assert_eq!(
        other_after, other_audit,
        "{name}: another family's trail is kept"
    );
}
