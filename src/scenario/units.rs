//! Parsers for the human-written values of scenario files and flags.

use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use serde::{Deserialize, Deserializer, de::Error};

/// A length of time as a scenario writes it ("30s", "250ms"), parsed where
/// the file is read: later stages get a `Duration`, never text to re-parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Length(pub Duration);

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parsed(d, parse_duration).map(Length)
    }
}

/// Text read by `parse`; its complaint, and the text, become the error.
fn parsed<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(|e| D::Error::custom(format!("expected {e}, not {text:?}")))
}

impl std::fmt::Display for Length {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A finite number greater than 0, checked where it enters (a flag, a
/// constant): what a scale or a rate must be before anything uses it.
macro_rules! positive_number {
    ($(#[$doc:meta])* $name:ident, $expected:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
        pub struct $name(f64);

        impl $name {
            /// A value written in the code; not a user's.
            pub const fn constant(value: f64) -> Self {
                assert!(value.is_finite() && value > 0.0);
                Self(value)
            }

            pub fn get(self) -> f64 {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                match text.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() && v > 0.0 => Ok(Self(v)),
                    _ => Err(format!("expected {}", $expected)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_number!(
    /// A multiple of a scenario's row counts (`--scale 0.1`).
    Scale,
    "a number greater than 0"
);
positive_number!(
    /// Arrivals per second (`--rate 300`).
    Rate,
    "arrivals per second greater than 0"
);

/// Bytes of a size as PostgreSQL writes it (`512MB`, `128kB`, `1GB`,
/// `8TB`, or a bare number of bytes): settings and `--server-memory`.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "kB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// A size in bytes given on the command line (`--server-memory 2GB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl std::str::FromStr for Bytes {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        parse_bytes(text)
            .filter(|b| *b > 0)
            .map(Bytes)
            .ok_or_else(|| "expected a size such as \"512MB\" or \"2GB\"".to_owned())
    }
}

/// An instant as a scenario writes it ("2026-11-01" or RFC 3339), as
/// microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(pub i64);

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parsed(d, parse_instant).map(Moment)
    }
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match DateTime::from_timestamp_micros(self.0) {
            Some(t) => write!(f, "{}", t.to_rfc3339()),
            None => write!(f, "{} µs after 1970", self.0),
        }
    }
}

/// "30s", "250ms", "2h", "30d".
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|_| "a duration such as \"250ms\", \"30s\", \"2h\" or \"30d\"".to_owned())
}

/// "2026-11-01" (midnight UTC) or an RFC 3339 time, as microseconds since
/// the Unix epoch.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    let expected = || "a date \"YYYY-MM-DD\" or an RFC 3339 time".to_owned();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| expected())?;
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .ok_or_else(expected)
}

/// Largest `$n` placeholder in a statement: how many parameters it takes.
pub fn placeholder_count(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut max = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits: String = sql[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<usize>() {
                max = max.max(n);
            }
            i += digits.len();
        }
        i += 1;
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_settings_read_as_postgresql_writes_them() {
        assert_eq!(parse_bytes("512MB"), Some(512 << 20));
        assert_eq!(parse_bytes("128kB"), Some(128 << 10));
        assert_eq!(parse_bytes("8GB"), Some(8 << 30));
        assert_eq!(parse_bytes("8192"), Some(8192));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("5 parsecs"), None);
    }

    #[test]
    fn scales_and_rates_are_finite_and_above_zero() {
        assert_eq!("0.5".parse::<Scale>().map(Scale::get), Ok(0.5));
        assert_eq!(" 300 ".parse::<Rate>().map(Rate::get), Ok(300.0));
        for bad in ["0", "-1", "NaN", "inf", "x", ""] {
            assert_eq!(
                bad.parse::<Scale>(),
                Err("expected a number greater than 0".to_owned()),
                "{bad:?}"
            );
            assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_and_dates_parse() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_instant("1970-01-02"), Ok(86_400_000_000));
        assert_eq!(parse_instant("1970-01-01T00:00:01Z"), Ok(1_000_000));
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn placeholders_are_counted_by_their_highest_number() {
        assert_eq!(placeholder_count("select 1"), 0);
        assert_eq!(placeholder_count("select $1, $2, $1"), 2);
        assert_eq!(placeholder_count("select $10 where x = $3"), 10);
    }
}
