//! The inferred scenario as a commented TOML file.

use std::fmt::Write as _;

use super::infer::Inferred;

/// Where the scenario came from, for its header.
pub struct Origin<'a> {
    pub name: &'a str,
    /// The command that wrote it.
    pub command: &'a str,
    /// The `migrations` entry, relative to the scenario file.
    pub migrations: &'a str,
}

/// A TOML key: bare when it can be.
fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        toml::Value::String(name.to_owned()).to_string()
    }
}

fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The scenario file's text. Long on purpose: it writes the file top to
/// bottom, so the code reads in the order the user reads the file.
pub fn scenario(inferred: &Inferred, origin: &Origin) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}: written by `{}` (schemabench {}).\n\
         # Every choice below was inferred from the migrated schema; the comment\n\
         # beside it says why. Change any of them, then `schemabench check` this file.",
        origin.name,
        origin.command,
        env!("CARGO_PKG_VERSION")
    );
    for gap in &inferred.gaps {
        let _ = writeln!(out, "# TO DO: {gap}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "name = {}", string(origin.name));
    let _ = writeln!(
        out,
        "description = {}",
        string(&format!("Inferred from {}", origin.migrations))
    );
    let _ = writeln!(out, "migrations = [{}]", string(origin.migrations));
    let _ = writeln!(out, "seed = 1");
    let _ = writeln!(out, "scale = 1.0");
    if !inferred.kept.is_empty() {
        let _ = writeln!(
            out,
            "\n# Left as the migrations fill them (keys to them draw from their rows):"
        );
        for (name, rows) in &inferred.kept {
            let _ = writeln!(out, "#   {name}: {rows} row(s)");
        }
    }
    for t in &inferred.tables {
        let _ = writeln!(out, "\n# {}: {}", t.name, t.why);
        let _ = writeln!(out, "[tables.{}]", key(&t.name));
        if let Some(rows) = t.rows {
            let _ = writeln!(out, "rows = {rows}");
            if !t.scaled {
                let _ = writeln!(out, "scaled = false");
            }
        }
        if let (Some(per), Some(count)) = (&t.per, &t.count) {
            let _ = writeln!(out, "per = {}", string(per));
            let _ = writeln!(out, "count = {count}");
        }
        if let Some(order) = &t.order {
            let _ = writeln!(
                out,
                "# rows land in {order} order, as the app inserts them, not owner by owner"
            );
            let _ = writeln!(out, "order = {}", string(order));
        }
        if !t.left_out.is_empty() {
            let _ = writeln!(out, "# left to the database:");
            for (column, why) in &t.left_out {
                let _ = writeln!(out, "#   {column}: {why}");
            }
        }
        let _ = writeln!(out, "\n[tables.{}.columns]", key(&t.name));
        for (column, choice) in &t.columns {
            let _ = writeln!(out, "# {}", choice.why);
            let _ = writeln!(out, "{} = {}", key(column), choice.generator);
        }
    }
    let _ = writeln!(
        out,
        "\n# ---------------------------------------------------------------- workload\n\
         # One read per table under the acting user, by its most common access\n\
         # path. Replace them with your app's real queries (and add its writes)."
    );
    for why in &inferred.unread {
        let _ = writeln!(out, "# Not read: {why}");
    }
    let _ = writeln!(out, "\n[workload.actor]");
    let _ = writeln!(out, "# {}", inferred.actor.why);
    let _ = writeln!(out, "table = {}", string(&inferred.actor.table));
    let _ = writeln!(out, "column = {}", string(&inferred.actor.column));
    if !inferred.actor.claims.is_empty() {
        let claims: Vec<String> = inferred
            .actor
            .claims
            .iter()
            .map(|(claim, column)| format!("{} = {}", string(claim), string(column)))
            .collect();
        let _ = writeln!(
            out,
            "# JWT claims the policies read, from the user's row (as a custom access token hook adds them)"
        );
        let _ = writeln!(out, "claims = {{ {} }}", claims.join(", "));
    }
    for q in &inferred.queries {
        let _ = writeln!(out, "\n# {}", q.why);
        let _ = writeln!(out, "[[workload.queries]]");
        let _ = writeln!(out, "name = {}", string(&q.name));
        let _ = writeln!(out, "weight = {}", q.weight);
        let _ = writeln!(out, "as = {}", string(q.role));
        let _ = writeln!(
            out,
            "access = {}",
            string(if q.write { "write" } else { "read" })
        );
        let _ = writeln!(out, "sql = {}", string(&q.sql));
        let _ = writeln!(out, "params = [{}]", q.params.join(", "));
    }
    let _ = writeln!(
        out,
        "\n# ---------------------------------------------------------------- load\n\
         # A short warmup, then a steady closed loop: enough to compare schema\n\
         # changes; see the README for open-loop phases at a fixed rate.\n\
         [load]\n\n\
         [[load.phases]]\n\
         name = \"warmup\"\n\
         warmup = true\n\
         duration = \"3s\"\n\
         clients = 4\n\n\
         [[load.phases]]\n\
         name = \"steady\"\n\
         duration = \"10s\"\n\
         clients = 4\n\n\
         # Fail the run when more than 1% of requests fail.\n\
         [[thresholds]]\n\
         limits = [\"error_rate < 1%\"]"
    );
    for q in &inferred.queries {
        if let Some(limit) = &q.limit {
            let _ = writeln!(
                out,
                "\n# Ten times the source's own mean, so a schema change that slows it that much fails.\n\
                 [[thresholds]]\nquery = {}\nlimits = [{}]",
                string(&q.name),
                string(limit)
            );
        }
    }
    out
}
