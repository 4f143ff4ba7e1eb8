//! One load generator's share of a phase when several drive the same
//! server: shard `index` of `count` runs the clients, transactions and
//! open-loop arrivals whose number is `index` modulo `count`. The request
//! streams follow the client's number, not the process, so the shards
//! together send the requests one process would.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (`0/1` is a whole, unsharded run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Self { index: 0, count: 1 }
    }
}

impl Shard {
    /// One process does everything.
    pub fn whole(&self) -> bool {
        self.count == 1
    }

    /// The shard that seeds, prepares the copies and observes the server.
    pub fn leads(&self) -> bool {
        self.index == 0
    }

    /// Does item `n` (a client, an arrival) belong to this shard?
    pub fn owns(&self, n: u64) -> bool {
        n % u64::from(self.count) == u64::from(self.index)
    }

    /// The numbers of the clients of `clients` this shard runs.
    pub fn clients(&self, clients: u32) -> Vec<u32> {
        (self.index..clients).step_by(self.count as usize).collect()
    }

    /// This shard's part of `total` items numbered from 0.
    pub fn share(&self, total: u64) -> u64 {
        let count = u64::from(self.count);
        total / count + u64::from(u64::from(self.index) < total % count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with `0 <= I < N`.
    fn from_str(text: &str) -> Result<Self, String> {
        let expected = || format!("expected I/N with 0 <= I < N (such as 0/3), got {text:?}");
        let (i, n) = text.split_once('/').ok_or_else(expected)?;
        let (index, count) = (
            i.trim().parse::<u32>().map_err(|_| expected())?,
            n.trim().parse::<u32>().map_err(|_| expected())?,
        );
        if count == 0 || index >= count {
            return Err(expected());
        }
        Ok(Self { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards(count: u32) -> Vec<Shard> {
        (0..count).map(|index| Shard { index, count }).collect()
    }

    #[test]
    fn the_shards_split_clients_and_items_without_overlap_or_gap() {
        let mut clients: Vec<u32> = shards(3).iter().flat_map(|s| s.clients(8)).collect();
        clients.sort_unstable();
        assert_eq!(clients, (0..8).collect::<Vec<_>>());
        assert_eq!(shards(3)[1].clients(8), [1, 4, 7]);
        for total in [0, 1, 2, 3, 10, 1001] {
            let shares: Vec<u64> = shards(3).iter().map(|s| s.share(total)).collect();
            assert_eq!(shares.iter().sum::<u64>(), total, "{total}: {shares:?}");
            let owned: Vec<u64> = shards(3)
                .iter()
                .map(|s| (0..total).filter(|&n| s.owns(n)).count() as u64)
                .collect();
            assert_eq!(shares, owned, "{total}");
        }
        assert_eq!(Shard::default().share(7), 7);
        assert_eq!(Shard::default().clients(3), [0, 1, 2]);
    }

    #[test]
    fn a_shard_reads_as_index_over_count() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            let error = bad.parse::<Shard>().expect_err(bad);
            assert!(error.contains("expected I/N"), "{error}");
        }
        assert_eq!(Shard { index: 1, count: 4 }.to_string(), "1/4");
    }
}
