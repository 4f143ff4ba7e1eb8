//! Least privilege on a server reached as a superuser: scenario SQL runs as
//! `schemabench_owner`, which owns what schemabench creates and nothing
//! else, so a hostile migration or candidate fails at its line and leaves
//! other databases, the server's settings and the host alone.

mod common;

use schemabench::candidate::{self, Candidate};
use schemabench::seed::seed;

fn candidate(name: &str, sql: &str) -> Candidate {
    common::candidate(name, sql, &[])
}

#[tokio::test]
async fn scenario_sql_runs_as_an_owner_that_cannot_touch_anything_else() {
    let (server, report, admin) = common::seeded_taleforge(131, 0.01).await;

    // The seeded database and every table in it are the owner's, and the
    // owner is no superuser.
    let role = admin
        .query_one(
            "select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = 'schemabench_owner'",
            &[],
        )
        .await
        .expect("owner role");
    assert_eq!(
        (
            role.get::<_, bool>(0),
            role.get::<_, bool>(1),
            role.get::<_, bool>(2)
        ),
        (false, false, false)
    );
    let owners: Vec<String> = server
        .admin(&report.database)
        .await
        .expect("connect")
        .query(
            "select distinct pg_get_userbyid(relowner)::text from pg_class c
               join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' and c.relkind in ('r', 'p')",
            &[],
        )
        .await
        .expect("owners")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, ["schemabench_owner"]);

    // A database schemabench did not create, and a setting of the server.
    let other = format!("privilege_other_{}", std::process::id());
    admin
        .batch_execute(&format!("create database {other}"))
        .await
        .expect("create the other database");
    let work_mem = || async {
        admin
            .query_one(
                "select setting from pg_settings where name = 'work_mem'",
                &[],
            )
            .await
            .expect("work_mem")
            .get::<_, String>(0)
    };
    let work_mem_before = work_mem().await;

    let hostile = [
        ("drops_another", format!("drop database {other}")),
        (
            "alters_the_server",
            "alter system set work_mem = '1GB'".to_owned(),
        ),
        (
            "grants_itself",
            "alter role schemabench_owner superuser".to_owned(),
        ),
    ];
    for (i, (name, sql)) in hostile.iter().enumerate() {
        let error = candidate::prepare(
            &server,
            &admin,
            &report.database,
            i + 1,
            candidate(name, sql),
        )
        .await
        .err()
        .unwrap_or_else(|| panic!("{name} ran"))
        .to_string();
        assert!(error.contains(&format!("candidate {name}")), "{error}");
        assert!(error.contains("42501"), "{error}");
        assert!(
            error.contains("schemabench_owner, which is no superuser"),
            "{error}"
        );
    }
    let survived: bool = admin
        .query_one(
            "select exists (select from pg_database where datname = $1)",
            &[&other],
        )
        .await
        .expect("look up")
        .get(0);
    assert!(survived, "{other} was dropped");
    let work_mem_after = work_mem().await;
    assert_eq!(work_mem_before, work_mem_after);
    let auto_conf: i64 = admin
        .query_one(
            "select count(*) from pg_file_settings where sourcefile like '%postgresql.auto.conf' and name = 'work_mem'",
            &[],
        )
        .await
        .expect("auto.conf")
        .get(0);
    assert_eq!(auto_conf, 0, "ALTER SYSTEM reached postgresql.auto.conf");

    // What a candidate may need of the URL's user, an extension, it gets.
    let trigram = candidate::prepare(
        &server,
        &admin,
        &report.database,
        9,
        candidate(
            "trigram_titles",
            "create extension if not exists pg_trgm with schema extensions;\n\
             create index stories_title_trgm on public.stories using gin (title extensions.gin_trgm_ops);",
        ),
    )
    .await
    .expect("a candidate that creates an extension");
    let index_owner: String = server
        .admin(&trigram.database)
        .await
        .expect("connect")
        .query_one(
            "select pg_get_userbyid(relowner)::text from pg_class where relname = 'stories_title_trgm'",
            &[],
        )
        .await
        .expect("index")
        .get(0);
    assert_eq!(index_owner, "schemabench_owner");
    admin
        .batch_execute(&format!("drop database {other}"))
        .await
        .expect("drop the other database");
}

/// A migration that would run a program on the server's host fails at its
/// file and line, and the program never runs.
#[tokio::test]
async fn a_migration_that_needs_a_superuser_fails_at_its_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let planted = tmp.path().join("pwned");
    let sql = format!(
        "-- a migration with a statement no project needs\n\
         create table public.harmless (id int);\n\
         copy (select 1) to program 'touch {}';\n",
        planted.display()
    );
    let path = common::taleforge_variant(
        tmp.path(),
        "privilege_copy",
        "hostile",
        Some(&sql),
        "[workload.actor]\ntable = \"profiles\"\n\
         [[workload.queries]]\nname = \"one\"\nweight = 1\nas = \"postgres\"\naccess = \"read\"\n\
         sql = \"select 1\"\n\
         [load]\n[[load.phases]]\nname = \"steady\"\ntransactions = 10\nclients = 1\n",
    );
    let scenario = schemabench::scenario::Scenario::load(&path)
        .expect("valid scenario")
        .with_overrides(
            Some(132),
            Some(schemabench::scenario::units::Scale::constant(0.01)),
        )
        .expect("overrides");
    let server = common::server().await;
    let error = seed(&server, &scenario, &common::quiet())
        .await
        .expect_err("the migration must fail")
        .to_string();
    assert!(error.contains("hostile.sql:3:1"), "{error}");
    assert!(error.contains("42501"), "{error}");
    assert!(
        error.contains("schemabench_owner, which is no superuser"),
        "{error}"
    );
    assert!(!planted.exists(), "the program ran");
}
