//! The `[workload]` and `[load]` sections of a scenario file, as written.

use serde::Deserialize;

use super::generator::Generator;
use super::units::Length;
pub use crate::results::{Arrivals, Offered, Protocol};

/// The query mix and how the acting user is chosen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// The table whose rows are the users that act (usually `profiles`).
    pub actor: ActorSpec,
    pub queries: Vec<QuerySpec>,
}

/// Who sends each request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    pub table: String,
    /// The column holding the user's id, sent as the JWT `sub` claim.
    #[serde(default = "id_column")]
    pub column: String,
    /// Zipf exponent of user activity: rank k acts with weight k^-exponent;
    /// 0 makes every user equally active.
    #[serde(default = "default_activity")]
    pub activity_exponent: f64,
    /// The `email` column for the JWT claims, when the table has one.
    pub email_column: Option<String>,
    /// Custom JWT claims, as a Supabase custom access token hook adds them:
    /// claim name -> column of the actor's table (`user_role = "role"`),
    /// read by policies through `auth.jwt() ->> 'user_role'`; a dotted name
    /// nests (`"app_metadata.org_id" = "org_id"`).
    #[serde(default)]
    pub claims: std::collections::BTreeMap<String, String>,
}

fn id_column() -> String {
    "id".to_owned()
}

fn default_activity() -> f64 {
    1.0
}

/// The database role a query runs as.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Anon,
    Authenticated,
    ServiceRole,
    /// Raw, on the owner connection: no PostgREST request set-up.
    Postgres,
}

/// Whether a query only reads (PostgREST's `READ ONLY` transactions) or writes.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

/// One named query of the mix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    pub name: String,
    /// Relative frequency in the mix.
    pub weight: f64,
    #[serde(rename = "as", default = "default_role")]
    pub role: Role,
    pub access: Access,
    pub sql: String,
    #[serde(default)]
    pub params: Vec<ParamSpec>,
    /// Wrap a read in PostgREST's `json_agg` response shape.
    #[serde(default)]
    pub postgrest_shape: bool,
    /// Pause after the query before the client's next one ("50ms").
    pub think: Option<Length>,
    /// The request path PostgREST would see (`request.path`).
    pub path: Option<String>,
    /// The app cannot afford this query slower: the default gate fails a
    /// change that slows it, whatever it does for the app as a whole.
    #[serde(default)]
    pub critical: bool,
}

fn default_role() -> Role {
    Role::Authenticated
}

/// Where a query parameter's value comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum ParamSpec {
    /// A column of the acting user's row.
    Actor { column: String },
    /// A column of one of the acting user's own rows (`stories.id`), chosen
    /// uniformly, or the newest one by `latest_by`.
    Owned {
        column: String,
        latest_by: Option<String>,
        /// Only users owning at least this many rows of the table send the
        /// query (a deep page needs a user with that many pages); where the
        /// data has none, the users owning the most.
        at_least: Option<u64>,
    },
    /// A fresh value from a column generator (titles, text, amounts, times).
    Value { of: Generator },
}

/// The load phases, run in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSpec {
    /// `simple`, `extended` or `prepared`, like pgbench's `-M`.
    #[serde(default)]
    pub protocol: Protocol,
    pub phases: Vec<PhaseSpec>,
}

/// One load phase.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    pub name: String,
    /// A warmup phase runs but is not counted in the results.
    #[serde(default)]
    pub warmup: bool,
    /// How long the phase lasts ("30s"); or give `transactions`.
    pub duration: Option<Length>,
    pub transactions: Option<u64>,
    /// Concurrent connections (closed loop), or the worker cap (open loop).
    pub clients: u32,
    /// Target arrivals per second: present means open loop.
    pub rate: Option<f64>,
    #[serde(default)]
    pub arrivals: Arrivals,
}

impl PhaseSpec {
    /// The load the phase offers: the one place where a file's `rate`,
    /// present or not, becomes the kind of phase.
    pub fn offered(&self) -> Offered {
        match self.rate {
            Some(rate) => Offered::Open {
                rate,
                arrivals: self.arrivals,
                workers: self.clients,
            },
            None => Offered::Closed {
                clients: self.clients,
            },
        }
    }
}
