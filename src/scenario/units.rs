//! Parsers for the human-written values of scenario files and flags.

use std::time::Duration;

use chrono::{DateTime, NaiveDate};

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
