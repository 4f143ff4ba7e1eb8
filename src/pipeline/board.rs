//! The board through which the shards of one run meet: a small database of
//! schemabench's own on the server they all drive. Shard 0 (the leader)
//! creates it once its copies are ready and posts every phase slot there;
//! each shard checks in when its connections are open, and all start the
//! slot at one moment of the server's clock, a whole second after the
//! board's epoch, so their per-second data line up. The leader reads the
//! server's statistics only once every shard is done with the slot.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::RunError;
use crate::merge::Part;
use crate::pg::database::{self, Found, Marker, SeedState};
use crate::pg::{PgError, QueryContext, Server, quote_ident};
use crate::results::{PhaseLoad, RunResults, Shard};

/// How long the shards wait for one another (the leader may still be
/// seeding) before giving up.
const MEET_WITHIN: Duration = Duration::from_secs(30 * 60);
/// How often a waiting shard looks at the board.
const POLL: Duration = Duration::from_millis(20);
/// Polls between two looks for shards that vanished (about a second).
const PRESENCE_EVERY: u64 = 50;
/// How long the leader waits for the others to say goodbye.
const FAREWELL_WITHIN: Duration = Duration::from_secs(60);

/// What the shards must agree on, posted by the leader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    pub scenario: String,
    pub fingerprint: String,
    pub shards: u32,
    pub candidates: Vec<String>,
    pub load: Vec<PhaseLoad>,
    pub rounds: u32,
    /// Rounds a budget may extend the run to.
    pub most_rounds: u32,
    /// The database each copy of the run is, by copy.
    pub copies: Vec<String>,
}

impl RunPlan {
    /// What differs between the leader's plan and a follower's, in words.
    fn differences(&self, mine: &RunPlan) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, theirs: String, ours: String| {
            if theirs != ours {
                out.push(format!(
                    "{what}: the leader's {theirs}, this shard's {ours}"
                ));
            }
        };
        differ("scenario", self.scenario.clone(), mine.scenario.clone());
        differ(
            "data (fingerprint of migrations, tables, seed and scale)",
            self.fingerprint.clone(),
            mine.fingerprint.clone(),
        );
        differ("shards", self.shards.to_string(), mine.shards.to_string());
        differ(
            "candidates",
            self.candidates.join(", "),
            mine.candidates.join(", "),
        );
        differ(
            "phases",
            format!("{:?}", self.load),
            format!("{:?}", mine.load),
        );
        differ(
            "rounds",
            format!("{} (up to {})", self.rounds, self.most_rounds),
            format!("{} (up to {})", mine.rounds, mine.most_rounds),
        );
        out
    }
}

/// One shard's connection to the board.
pub struct Board {
    client: Client,
    name: String,
    shard: Shard,
    /// This machine's moment of the board's epoch: phase seconds count
    /// from it on every shard.
    pub anchor: Instant,
    pub plan: RunPlan,
}

/// The board's database for a run of this data.
pub fn board_name(scenario: &str, fingerprint: &str) -> String {
    format!("{}_board", database::data_db_name(scenario, fingerprint))
}

impl Board {
    /// The leader's: a fresh board (a stale one of a stopped run goes),
    /// then waits for every other shard to check in.
    pub async fn open(server: &Server, shard: Shard, plan: RunPlan) -> Result<Self, RunError> {
        let name = board_name(&plan.scenario, &plan.fingerprint);
        let admin = server.admin(&server.maintenance_db()).await?;
        let marker = Marker::scratch(
            plan.scenario.clone(),
            plan.fingerprint.clone(),
            SeedState::Ready,
        );
        database::fresh(&admin, None, &name, &marker, None).await?;
        admin
            .batch_execute(&format!(
                "revoke all on database {} from public",
                quote_ident(&name)
            ))
            .await
            .context_db("closing the shards' board to other roles")?;
        let client = server.admin(&name).await?;
        let info = serde_json::to_value(&plan).unwrap_or_default();
        client
            .batch_execute(
                "create table run (info jsonb not null, epoch timestamptz not null, finished boolean not null default false);
                 create table shard (shard int primary key, bye boolean not null default false);
                 create table slot (slot int primary key, start_at timestamptz);
                 create table ready (slot int, shard int, side int, primary key (slot, shard, side));
                 create table done (slot int, shard int, primary key (slot, shard));
                 create table part (shard int primary key, results text not null);",
            )
            .await
            .context_db("setting up the shards' board")?;
        client
            .execute(
                "insert into run (info, epoch) values ($1, date_trunc('second', clock_timestamp()))",
                &[&info],
            )
            .await
            .context_db("posting the run on the board")?;
        let board = Self::joined(client, name, shard, plan).await?;
        board.check_in().await?;
        let others = i64::from(shard.count - 1);
        let mut wait = board.patience("every shard to check in", MEET_WITHIN);
        loop {
            let row = board
                .client
                .query_one("select count(*) from shard where shard > 0", &[])
                .await
                .context_db("counting the shards")?;
            let here: i64 = row.get(0);
            if here >= others {
                break;
            }
            if wait.first() {
                crate::progress::line(format!(
                    "waiting for {} more shard(s) to join on {}",
                    others - here,
                    board.name
                ));
            }
            board.wait(&mut wait).await?;
        }
        Ok(board)
    }

    /// A follower's: waits for the leader's board, checks that it runs the
    /// same plan, and checks in.
    pub async fn join(server: &Server, shard: Shard, mine: &RunPlan) -> Result<Self, RunError> {
        let name = board_name(&mine.scenario, &mine.fingerprint);
        let admin = server.admin(&server.maintenance_db()).await?;
        let waited = Instant::now();
        let mut said = false;
        let leader = session_name(Shard {
            index: 0,
            count: shard.count,
        });
        let client = loop {
            if let Found::Ours(_) = database::find(&admin, &name).await?
                && let Ok(client) = server.admin(&name).await
                // A finished run's board is the last measurement's (capacity
                // runs one after another), about to go: not this run's. One
                // whose leader has no session left is a killed run's: the
                // next leader replaces it.
                && let Ok(Some(_)) = client
                    .query_opt(
                        "select 1 from run where not finished and exists (
                                select 1 from pg_stat_activity a
                                 where a.datname = current_database() and a.application_name = $1)",
                        &[&leader],
                    )
                    .await
            {
                break client;
            }
            if waited.elapsed() > MEET_WITHIN {
                return Err(RunError::Shards(format!(
                    "shard 0 (the leader) did not open the run on {name} within {} minutes",
                    MEET_WITHIN.as_secs() / 60
                )));
            }
            if !said {
                crate::progress::line(format!(
                    "shard {shard}: waiting for shard 0 (the leader) to seed and open {name}"
                ));
                said = true;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        let row = client
            .query_one("select info from run", &[])
            .await
            .context_db("reading the run off the board")?;
        let info: serde_json::Value = row.get(0);
        let theirs: RunPlan = serde_json::from_value(info)
            .map_err(|e| RunError::Shards(format!("the board's run does not read: {e}")))?;
        let differences = theirs.differences(mine);
        if !differences.is_empty() {
            return Err(RunError::Shards(format!(
                "shard {shard} does not run what the leader runs: {}",
                differences.join("; ")
            )));
        }
        let board = Self::joined(client, name, shard, theirs).await?;
        board.check_in().await?;
        Ok(board)
    }

    async fn joined(
        client: Client,
        name: String,
        shard: Shard,
        plan: RunPlan,
    ) -> Result<Self, PgError> {
        let row = client
            .query_one(
                "select extract(epoch from clock_timestamp() - epoch)::float8 from run",
                &[],
            )
            .await
            .context_db("reading the board's clock")?;
        let since: f64 = row.get(0);
        let now = Instant::now();
        let anchor = now
            .checked_sub(Duration::from_secs_f64(since.max(0.0)))
            .unwrap_or(now);
        Ok(Self {
            client,
            name,
            shard,
            anchor,
            plan,
        })
    }

    /// Inserts this shard's row and names its session in one round trip,
    /// so a shard on the board always has a session the others can look for.
    async fn check_in(&self) -> Result<(), PgError> {
        self.client
            .batch_execute(&format!(
                "set application_name = '{}';
                 insert into shard (shard) values ({}) on conflict (shard) do update set bye = false",
                session_name(self.shard),
                self.shard.index
            ))
            .await
            .context_db("checking in on the board")
    }

    /// A wait on the board for `what`, for at most `within`.
    fn patience(&self, what: &'static str, within: Duration) -> Patience {
        Patience {
            what,
            within,
            began: Instant::now(),
            polls: 0,
            who: format!("shard {} on {}", self.shard, self.name),
        }
    }

    /// Sleeps until the next look at the board; fails once waited too long,
    /// or as soon as a shard that joined and did not leave lost its board
    /// session (it crashed, or was killed): the others would wait for it
    /// in vain.
    async fn wait(&self, patience: &mut Patience) -> Result<(), RunError> {
        if patience.polls % PRESENCE_EVERY == PRESENCE_EVERY - 1 {
            let gone: Vec<i32> = self
                .client
                .query(
                    "select s.shard from shard s
                      where not s.bye and not exists (
                            select 1 from pg_stat_activity a
                             where a.datname = current_database()
                               and a.application_name = 'schemabench shard ' || s.shard || '/' || $1::int)
                      order by s.shard",
                    &[&(self.shard.count as i32)],
                )
                .await
                .context_db("looking for the other shards")?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if let Some(first) = gone.first() {
                return Err(RunError::Shards(format!(
                    "shard {first}/{} left the run (its connection to {} closed) while {} waited for {}",
                    self.shard.count, self.name, patience.who, patience.what
                )));
            }
        }
        patience.next().await
    }

    /// The leader: slot `slot` may start once its shards are ready.
    pub async fn post(&self, slot: usize) -> Result<(), PgError> {
        self.client
            .execute(
                "insert into slot (slot) values ($1) on conflict do nothing",
                &[&(slot as i32)],
            )
            .await
            .context_db("posting a phase on the board")?;
        Ok(())
    }

    /// A follower: waits for the leader to post slot `slot`; false when
    /// the run ended before it.
    pub async fn posted(&self, slot: usize) -> Result<bool, RunError> {
        let mut wait = self.patience("the leader's next phase", MEET_WITHIN);
        loop {
            let row = self
                .client
                .query_one(
                    "select exists (select 1 from slot where slot = $1), (select finished from run)",
                    &[&(slot as i32)],
                )
                .await
                .context_db("reading the board")?;
            let (posted, finished): (bool, bool) = (row.get(0), row.get(1));
            if posted || finished {
                return Ok(posted);
            }
            self.wait(&mut wait).await?;
        }
    }

    /// Side `side` of slot `slot` has its connections open: waits for every
    /// side of every shard (`sides` per shard), then until the slot's
    /// start, a whole second of the board's clock every shard reads alike.
    pub async fn start(&self, slot: usize, side: usize, sides: usize) -> Result<(), RunError> {
        let (slot, expected) = (slot as i32, (sides as u32 * self.shard.count) as i64);
        self.client
            .execute(
                "insert into ready (slot, shard, side) values ($1, $2, $3) on conflict do nothing",
                &[&slot, &(self.shard.index as i32), &(side as i32)],
            )
            .await
            .context_db("checking in for a phase")?;
        let mut wait = self.patience("every shard's connections", MEET_WITHIN);
        let delay = loop {
            // Whoever sees everyone ready sets the start; the rest read it.
            self.client
                .execute(
                    "update slot set start_at = (select epoch from run)
                       + ceil(extract(epoch from clock_timestamp() - (select epoch from run)) + 0.5) * interval '1 second'
                     where slot = $1 and start_at is null
                       and (select count(*) from ready where slot = $1) >= $2",
                    &[&slot, &expected],
                )
                .await
                .context_db("starting a phase")?;
            let row = self
                .client
                .query_one(
                    "select extract(epoch from start_at - clock_timestamp())::float8 from slot where slot = $1",
                    &[&slot],
                )
                .await
                .context_db("reading a phase's start")?;
            if let Some(delay) = row.get::<_, Option<f64>>(0) {
                break delay;
            }
            self.wait(&mut wait).await?;
        };
        if delay > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(delay)).await;
        }
        Ok(())
    }

    /// This shard finished slot `slot`.
    pub async fn done(&self, slot: usize) -> Result<(), PgError> {
        self.client
            .execute(
                "insert into done (slot, shard) values ($1, $2) on conflict do nothing",
                &[&(slot as i32), &(self.shard.index as i32)],
            )
            .await
            .context_db("reporting a phase done")?;
        Ok(())
    }

    /// The leader: waits for every shard to finish slot `slot`, so the
    /// statistics it reads next hold all of the slot's requests.
    pub async fn all_done(&self, slot: usize) -> Result<(), RunError> {
        let mut wait = self.patience("every shard to finish the phase", MEET_WITHIN);
        loop {
            let row = self
                .client
                .query_one(
                    "select count(*) from done where slot = $1",
                    &[&(slot as i32)],
                )
                .await
                .context_db("counting the shards done")?;
            if row.get::<_, i64>(0) >= i64::from(self.shard.count) {
                return Ok(());
            }
            self.wait(&mut wait).await?;
        }
    }

    /// Posts this shard's results and waits for every other shard's: each
    /// shard then adds up the same parts into the same whole run.
    pub async fn share(&self, mine: &RunResults) -> Result<Vec<Part>, RunError> {
        let text = serde_json::to_string(mine)
            .map_err(|e| RunError::Shards(format!("this shard's results do not write: {e}")))?;
        self.client
            .execute(
                "insert into part (shard, results) values ($1, $2)
                 on conflict (shard) do update set results = excluded.results",
                &[&(self.shard.index as i32), &text],
            )
            .await
            .context_db("posting this shard's results")?;
        let mut wait = self.patience("every shard's results", MEET_WITHIN);
        loop {
            let rows = self
                .client
                .query(
                    "select shard, results from part where shard <> $1 order by shard",
                    &[&(self.shard.index as i32)],
                )
                .await
                .context_db("reading the shards' results")?;
            if rows.len() + 1 >= self.shard.count as usize {
                return rows
                    .iter()
                    .map(|row| {
                        let (index, text): (i32, String) = (row.get(0), row.get(1));
                        let from = format!("shard {index}/{} on {}", self.shard.count, self.name);
                        serde_json::from_str(&text)
                            .map(|results| Part {
                                file: from.clone().into(),
                                results,
                            })
                            .map_err(|e| {
                                RunError::Shards(format!("the results of {from} do not read: {e}"))
                            })
                    })
                    .collect();
            }
            self.wait(&mut wait).await?;
        }
    }

    /// A follower leaves: the leader may drop the board.
    pub async fn leave(&self) -> Result<(), PgError> {
        self.client
            .execute(
                "update shard set bye = true where shard = $1",
                &[&(self.shard.index as i32)],
            )
            .await
            .context_db("leaving the board")?;
        Ok(())
    }

    /// The leader: no slot comes after the last posted.
    pub async fn finish(&self) -> Result<(), PgError> {
        self.client
            .execute("update run set finished = true", &[])
            .await
            .context_db("ending the run on the board")?;
        Ok(())
    }

    /// The leader: the run is over; waits (bounded) for the others to
    /// leave, then drops the board.
    pub async fn close(&self, server: &Server) -> Result<(), RunError> {
        self.finish().await?;
        let mut wait = self.patience("every shard to leave", FAREWELL_WITHIN);
        let farewell = loop {
            let row = self
                .client
                .query_one("select bool_and(bye) from shard where shard > 0", &[])
                .await
                .context_db("reading who left")?;
            if row.get::<_, Option<bool>>(0).unwrap_or(true) {
                break Ok(());
            }
            if let Err(e) = self.wait(&mut wait).await {
                break Err(e);
            }
        };
        drop_board(server, &self.name).await?;
        farewell
    }
}

/// A bounded wait on the board.
struct Patience {
    what: &'static str,
    within: Duration,
    began: Instant,
    polls: u64,
    who: String,
}

impl Patience {
    /// Nothing polled yet.
    fn first(&self) -> bool {
        self.polls == 0
    }

    /// Sleeps until the next look, or fails once waited long enough.
    async fn next(&mut self) -> Result<(), RunError> {
        if self.began.elapsed() > self.within {
            return Err(RunError::Shards(format!(
                "{} waited {} s for {}",
                self.who,
                self.within.as_secs(),
                self.what
            )));
        }
        self.polls += 1;
        tokio::time::sleep(POLL).await;
        Ok(())
    }
}

/// The application name of a shard's board session.
fn session_name(shard: Shard) -> String {
    format!("schemabench shard {shard}")
}

/// Drops a run's board, if it is there.
pub async fn drop_board(server: &Server, name: &str) -> Result<(), PgError> {
    let admin = server.admin(&server.maintenance_db()).await?;
    database::drop_owned(&admin, name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_is_told_every_way_its_run_differs_from_the_leaders() {
        let leader = RunPlan {
            scenario: "s".into(),
            fingerprint: "f".into(),
            shards: 3,
            candidates: vec!["baseline".into(), "a".into()],
            load: Vec::new(),
            rounds: 3,
            most_rounds: 3,
            copies: vec!["x".into()],
        };
        assert!(leader.differences(&leader.clone()).is_empty());
        let follower = RunPlan {
            candidates: vec!["baseline".into()],
            rounds: 1,
            most_rounds: 1,
            copies: Vec::new(),
            ..leader.clone()
        };
        assert_eq!(
            leader.differences(&follower),
            [
                "candidates: the leader's baseline, a, this shard's baseline",
                "rounds: the leader's 3 (up to 3), this shard's 1 (up to 1)"
            ]
        );
    }
}
