//! Seeding against a real PostgreSQL: determinism, completeness, the
//! Supabase emulation and RLS, and hands off databases we did not create.

mod common;

use schemabench::pg::PgError;
use schemabench::pg::database::{self, Found};
use schemabench::seed::{SeedOptions, seed};
use tokio_postgres::Client;

/// md5 of every table's rows in primary-key order.
async fn checksums(client: &Client, tables: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for table in tables {
        let quoted = schemabench::pg::quote_ident(table);
        let sql = format!(
            "select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {quoted} t"
        );
        let sum: String = client.query_one(&sql, &[]).await.expect("checksum").get(0);
        out.push((table.clone(), sum));
    }
    out
}

/// The throwaway cluster admits only schemabench: no login without its
/// password, no `trust` line, a socket directory only its owner enters.
#[tokio::test]
async fn the_throwaway_cluster_admits_only_its_password() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = common::cluster();
    let port = cluster.port;
    let refused = |url: String| async move {
        let config: tokio_postgres::Config = url.parse().expect("url");
        match config.connect(tokio_postgres::NoTls).await {
            Ok(_) => panic!("{url} connected without the password"),
            Err(e) => e,
        }
    };
    // No password: the server asks for one (under `trust` it would not).
    let e = refused(format!("postgresql://postgres@127.0.0.1:{port}/postgres")).await;
    assert!(format!("{e:?}").contains("password missing"), "{e:?}");
    for user in ["postgres", "authenticator", "anon"] {
        let e = refused(format!(
            "postgresql://{user}:wrong@127.0.0.1:{port}/postgres"
        ))
        .await;
        let code = e.as_db_error().map(|d| d.code().code().to_owned());
        assert_eq!(code.as_deref(), Some("28P01"), "{user}: {e}");
    }
    let mut socket = tokio_postgres::Config::new();
    socket
        .host_path(&cluster.socket_dir)
        .port(port)
        .user("postgres")
        .dbname("postgres");
    let e = socket
        .connect(tokio_postgres::NoTls)
        .await
        .err()
        .expect("the socket asks for the password too");
    assert!(format!("{e:?}").contains("password missing"), "{e:?}");
    let mode = std::fs::metadata(&cluster.socket_dir)
        .expect("socket dir")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    let client = common::server()
        .await
        .admin("postgres")
        .await
        .expect("with the password");
    let lines: Vec<String> = client
        .query("select type, auth_method from pg_hba_file_rules", &[])
        .await
        .expect("pg_hba_file_rules")
        .iter()
        .map(|r| format!("{} {}", r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l.ends_with("scram-sha-256")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn same_seed_gives_identical_tables_and_another_seed_does_not() {
    let server = common::server().await;
    let scenario = common::taleforge(101, 0.02);
    let first = seed(&server, &scenario, &common::quiet())
        .await
        .expect("seed");
    assert!(!first.reused);
    let tables: Vec<String> = first.tables.iter().map(|(t, _)| t.clone()).collect();
    let client = server.admin(&first.database).await.expect("connect");
    let before = checksums(&client, &tables).await;
    drop(client);

    let again = seed(
        &server,
        &scenario,
        &SeedOptions {
            fresh: true,
            ..common::quiet()
        },
    )
    .await
    .expect("reseed");
    assert_eq!(again.database, first.database);
    let client = server.admin(&again.database).await.expect("connect");
    assert_eq!(
        checksums(&client, &tables).await,
        before,
        "same seed and scale must give byte-identical tables"
    );

    let other = seed(&server, &common::taleforge(102, 0.02), &common::quiet())
        .await
        .expect("seed other");
    assert_ne!(other.database, first.database);
    let other_client = server.admin(&other.database).await.expect("connect");
    let stories = vec!["stories".to_owned()];
    assert_ne!(
        checksums(&other_client, &stories).await,
        checksums(&client, &stories).await
    );
}

#[tokio::test]
async fn seeded_data_is_complete_consistent_and_constrained() {
    let server = common::server().await;
    let report = seed(&server, &common::taleforge(103, 0.03), &common::quiet())
        .await
        .expect("seed");
    let db = server.admin(&report.database).await.expect("connect");
    let count = |sql: &'static str| {
        let db = &db;
        async move { db.query_one(sql, &[]).await.expect(sql).get::<_, i64>(0) }
    };

    for (table, rows) in &report.tables {
        let n: i64 = db
            .query_one(
                &format!(
                    "select count(*) from {}",
                    schemabench::pg::quote_ident(table)
                ),
                &[],
            )
            .await
            .expect("count")
            .get(0);
        assert_eq!(n as u64, *rows, "{table} holds the planned rows");
    }
    let biggest = report
        .tables
        .iter()
        .max_by_key(|(_, rows)| *rows)
        .map(|(t, _)| t.as_str());
    assert_eq!(
        biggest,
        Some("generation_logs"),
        "generation_logs is the largest table"
    );

    assert_eq!(count("select count(*) from profiles p where credits_balance <> (select coalesce(sum(amount), 0) from credit_transactions c where c.user_id = p.id)").await, 0,
        "every balance equals the sum of its ledger");
    assert_eq!(count("select count(*) from profiles p where (select count(*) from subscriptions s where s.user_id = p.id) <> 1").await, 0);
    assert_eq!(count("select count(*) from (select story_id from story_segments group by story_id having count(*) not between 5 and 30 or max(position) <> count(*)) x").await, 0,
        "5-30 segments per story, numbered 1..n");
    assert_eq!(count("select count(*) from stories s join characters c on c.id = s.main_character_id where c.user_id <> s.user_id").await, 0,
        "stories reuse their own user's characters");
    assert!(count("select count(*) from (select main_character_id from stories where main_character_id is not null group by 1 having count(*) > 1) x").await > 0,
        "characters are reused across stories");
    let (power, median) = {
        let row = db
            .query_one("select max(n), percentile_cont(0.5) within group (order by n)::bigint from (select count(*) n from stories group by user_id) x", &[])
            .await
            .expect("skew");
        (row.get::<_, i64>(0), row.get::<_, i64>(1))
    };
    assert!(
        power >= 5 * median,
        "stories per user are skewed: max {power}, median {median}"
    );

    // The TaleForge migrations declare 18 foreign keys, 7 of them composite
    // (a child row's parent together with its owner).
    assert_eq!(count("select count(*) from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace and convalidated").await, 18,
        "foreign keys are back and validated");
    assert_eq!(count("select count(*) from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace and cardinality(conkey) > 1").await, 7,
        "composite foreign keys tie child rows to their owner");
    assert_eq!(
        count("select count(*) from pg_constraint where contype = 'f' and not convalidated").await,
        0
    );
    assert_eq!(
        count("select count(*) from pg_trigger where not tgisinternal and tgenabled = 'D'").await,
        0,
        "triggers are enabled again"
    );
    assert!(
        count("select count(*) from pg_indexes where schemaname = 'public'").await >= 25,
        "indexes are rebuilt"
    );
    assert!(count("select count(*) from pg_stats where schemaname = 'public' and tablename = 'generation_logs'").await > 0, "tables are analyzed");
}

/// Rows land in the order the app writes them (`order = "created_at"`),
/// not owner by owner, and the order moves no value: the same rows either
/// way. (Small tables are one COPY stream each, so the order is exact.)
#[tokio::test]
async fn rows_land_in_the_order_the_app_writes_them() {
    let server = common::server().await;
    let ordered = common::taleforge(107, 0.02);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = common::taleforge_variant(dir.path(), "unordered", "unordered", None, "");
    let text = std::fs::read_to_string(&path).expect("variant");
    let unordered_text: String = text
        .lines()
        .filter(|l| !l.starts_with("order = "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(unordered_text.len() < text.len(), "the variant had orders");
    std::fs::write(&path, unordered_text).expect("write variant");
    let unordered = schemabench::scenario::Scenario::load(&path)
        .and_then(|s| {
            s.with_overrides(
                Some(107),
                Some(schemabench::scenario::units::Scale::constant(0.02)),
            )
        })
        .expect("unordered variant");
    let mut layouts = Vec::new();
    let mut sums = Vec::new();
    for scenario in [&ordered, &unordered] {
        let seeded = seed(&server, scenario, &common::quiet())
            .await
            .expect("seed");
        let client = server.admin(&seeded.database).await.expect("connect");
        // Along the heap: rows whose owner differs from the row before,
        // rows older than the row before, and the owners.
        let row = client
            .query_one(
                "select count(*) filter (where user_id <> before_user)::bigint,
                        count(*) filter (where created_at < before_at)::bigint,
                        count(distinct user_id)::bigint
                   from (select user_id, created_at,
                                lag(user_id) over (order by ctid) before_user,
                                lag(created_at) over (order by ctid) before_at
                           from public.stories) s",
                &[],
            )
            .await
            .expect("layout");
        layouts.push((
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2),
        ));
        let tables = ["stories".to_owned(), "generation_logs".to_owned()];
        sums.push(checksums(&client, &tables).await);
    }
    let [
        (ordered_switches, ordered_older, owners),
        (unordered_switches, _, _),
    ] = layouts[..]
    else {
        panic!("two layouts: {layouts:?}");
    };
    assert_eq!(ordered_older, 0, "{layouts:?}");
    assert_eq!(
        unordered_switches,
        owners - 1,
        "owner by owner: {layouts:?}"
    );
    assert!(ordered_switches > 4 * unordered_switches, "{layouts:?}");
    assert_eq!(sums[0], sums[1], "the same rows in another order");
}

#[tokio::test]
async fn a_matching_seeded_database_is_reused() {
    let server = common::server().await;
    let scenario = common::taleforge(104, 0.01);
    let first = seed(&server, &scenario, &common::quiet())
        .await
        .expect("seed");
    let second = seed(&server, &scenario, &common::quiet())
        .await
        .expect("seed again");
    assert!(!first.reused);
    assert!(second.reused);
    assert_eq!(second.rows, first.rows);
}

#[tokio::test]
async fn databases_without_our_marker_are_never_dropped() {
    let server = common::server().await;
    let admin = server.admin("postgres").await.expect("connect");
    let name = "schemabench_not_really_ours";
    admin
        .batch_execute(&format!("drop database if exists {name}"))
        .await
        .expect("drop");
    admin
        .batch_execute(&format!("create database {name}"))
        .await
        .expect("create");
    assert_eq!(
        database::find(&admin, name).await.expect("find"),
        Found::NotOurs
    );
    assert!(matches!(
        database::drop_owned(&admin, name).await,
        Err(PgError::NotOurs { .. })
    ));
    assert!(matches!(
        database::drop_owned(&admin, "postgres").await,
        Err(PgError::NotOurs { .. })
    ));
    let still_there: i64 = admin
        .query_one(
            "select count(*) from pg_database where datname = $1",
            &[&name],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(still_there, 1);
}

#[tokio::test]
async fn supabase_roles_and_auth_functions_match_supabase() {
    let server = common::server().await;
    let report = seed(&server, &common::taleforge(105, 0.01), &common::quiet())
        .await
        .expect("seed");
    let db = server.admin(&report.database).await.expect("connect");

    let roles = db
        .query("select rolname::text, rolcanlogin, rolinherit, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by 1", &[])
        .await
        .expect("roles");
    let roles: Vec<(String, bool, bool, bool)> = roles
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("anon".into(), false, false, false),
            ("authenticated".into(), false, false, false),
            ("authenticator".into(), true, false, false),
            ("service_role".into(), false, false, true),
        ]
    );
    let timeouts: Vec<String> = db
        .query("select r.rolname || ':' || array_to_string(s.setconfig, ',') from pg_db_role_setting s join pg_roles r on r.oid = s.setrole order by 1", &[])
        .await
        .expect("settings")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        timeouts.contains(&"anon:statement_timeout=3s".to_owned()),
        "{timeouts:?}"
    );
    assert!(
        timeouts.contains(&"authenticated:statement_timeout=8s".to_owned()),
        "{timeouts:?}"
    );

    // Inlinable: plain SQL, stable, no SET clause.
    let fns: Vec<(String, String, String, bool)> = db
        .query("select p.proname::text, l.lanname::text, p.provolatile::text, p.proconfig is null from pg_proc p join pg_language l on l.oid = p.prolang where p.pronamespace = 'auth'::regnamespace order by 1", &[])
        .await
        .expect("functions")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    for f in ["email", "jwt", "role", "uid"] {
        assert!(
            fns.contains(&(f.to_owned(), "sql".to_owned(), "s".to_owned(), true)),
            "auth.{f} in {fns:?}"
        );
    }

    let uid = "6f1c2d34-0000-4000-8000-000000000001";
    let claims = format!(r#"{{"sub":"{uid}","role":"authenticated","email":"a@b.c"}}"#);
    let row = db
        .query_one(
            "select set_config('request.jwt.claims', $1, false), auth.uid()::text, auth.role(), auth.email(), auth.jwt() ->> 'sub'",
            &[&claims],
        )
        .await
        .expect("claims");
    assert_eq!(row.get::<_, String>(1), uid);
    assert_eq!(row.get::<_, String>(2), "authenticated");
    assert_eq!(row.get::<_, String>(3), "a@b.c");
    let legacy: String = db
        .query_one("select set_config('request.jwt.claim.sub', '00000000-0000-4000-8000-00000000000a', false), auth.uid()::text", &[])
        .await
        .expect("legacy claim")
        .get(1);
    assert_eq!(
        legacy, "00000000-0000-4000-8000-00000000000a",
        "the legacy per-claim setting wins, as on Supabase"
    );

    // What real Supabase migrations take for granted runs unchanged.
    db.batch_execute(
        "begin;
         grant usage on schema public to supabase_auth_admin, supabase_storage_admin, dashboard_user;
         alter default privileges in schema public grant select on tables to supabase_realtime_admin;
         alter publication supabase_realtime add table public.stories;
         select extensions.uuid_generate_v4(), extensions.gen_random_bytes(4), extensions.crypt('x', extensions.gen_salt('bf', 4));
         rollback;",
    )
    .await
    .expect("Supabase roles, the realtime publication and extensions");
}

#[tokio::test]
async fn rls_keeps_users_to_their_own_rows() {
    let server = common::server().await;
    let report = seed(&server, &common::taleforge(106, 0.02), &common::quiet())
        .await
        .expect("seed");
    let db = server.admin(&report.database).await.expect("connect");
    let owner: String = db
        .query_one(
            "select user_id::text from stories group by 1 order by count(*) desc limit 1",
            &[],
        )
        .await
        .expect("owner")
        .get(0);
    let count = |rows: Vec<tokio_postgres::Row>| rows[0].get::<_, i64>(0);
    let name = report.database.as_str();

    let all_private: i64 = db
        .query_one("select count(*) from stories where not is_public", &[])
        .await
        .expect("all")
        .get(0);
    let own = count(
        common::as_role(
            "authenticated",
            Some(&owner),
            name,
            "select count(*) from stories where not is_public",
        )
        .await
        .expect("own"),
    );
    assert!(
        own > 0 && own < all_private,
        "a user sees only their own private stories ({own} of {all_private})"
    );
    let foreign =
        format!("select count(*) from stories where user_id <> '{owner}' and not is_public");
    assert_eq!(
        count(
            common::as_role("authenticated", Some(&owner), name, &foreign)
                .await
                .expect("foreign")
        ),
        0
    );
    let children = format!("select count(*) from child_profiles where parent_id <> '{owner}'");
    assert_eq!(
        count(
            common::as_role("authenticated", Some(&owner), name, &children)
                .await
                .expect("children")
        ),
        0
    );
    assert!(
        common::as_role("anon", None, name, "select count(*) from child_profiles")
            .await
            .is_err(),
        "anon has no access to children's data"
    );
    assert_eq!(
        count(
            common::as_role("anon", None, name, "select count(*) from stories")
                .await
                .expect("anon stories")
        ),
        0
    );
    assert!(
        count(
            common::as_role(
                "service_role",
                None,
                name,
                "select count(*) from child_profiles"
            )
            .await
            .expect("service")
        ) > 0
    );

    let tamper = format!("update profiles set credits_balance = 999999 where id = '{owner}'");
    let err = common::as_role("authenticated", Some(&owner), name, &tamper)
        .await
        .expect_err("balance is tamper-proof");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    let overspend = common::as_role(
        "authenticated",
        Some(&owner),
        name,
        "select public.spend_credits(100000000)",
    )
    .await
    .expect_err("no overdraft");
    assert_eq!(err_code(&overspend), "P0001");
    let spend = "select public.spend_credits(1), (select credits_balance - (select sum(amount) from credit_transactions where user_id = auth.uid()) from profiles where id = auth.uid())";
    let rows = common::as_role("authenticated", Some(&owner), name, spend)
        .await
        .expect("spend");
    assert_eq!(
        rows[0].get::<_, Option<i64>>(1).or(Some(0)),
        Some(0),
        "ledger and balance move together"
    );
}

fn err_code(e: &tokio_postgres::Error) -> String {
    e.code().map(|c| c.code().to_owned()).unwrap_or_default()
}
