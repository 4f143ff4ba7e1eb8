//! Generated values and their binary wire encoding for COPY and query
//! parameters, adapted to whatever type the target column has.

use std::error::Error;
use std::fmt;

use bytes::{BufMut, BytesMut};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use tokio_postgres::types::{IsNull, Kind, ToSql, Type, to_sql_checked};
use uuid::Uuid;

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// One generated cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Uuid(Uuid),
    Text(String),
    Int(i64),
    Decimal(Decimal),
    Float(f64),
    Bool(bool),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    Json(serde_json::Value),
    /// An array column's value (`text[]`, `int[]`).
    Array(Vec<Value>),
}

impl Value {
    /// The value as JSON, for JSONB objects built from generators.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Uuid(u) => J::String(u.to_string()),
            Value::Text(s) => J::String(s.clone()),
            Value::Int(i) => J::from(*i),
            Value::Decimal(d) => d
                .to_f64()
                .and_then(serde_json::Number::from_f64)
                .map_or(J::Null, J::Number),
            Value::Float(f) => J::from(*f),
            Value::Bool(b) => J::Bool(*b),
            Value::Timestamp(t) => J::String(rfc3339(*t)),
            Value::Json(j) => j.clone(),
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
        }
    }

    /// The value as an SQL literal, for the simple query protocol.
    pub fn to_sql_literal(&self) -> String {
        match self {
            Value::Null => "NULL".to_owned(),
            Value::Uuid(u) => format!("'{u}'"),
            Value::Text(s) => quote(s),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Float(f) => format!("'{f}'"),
            Value::Bool(b) => b.to_string(),
            Value::Timestamp(t) => format!("'{}'", rfc3339(*t)),
            Value::Json(j) => quote(&j.to_string()),
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(Value::to_sql_literal).collect();
                format!("ARRAY[{}]", items.join(", "))
            }
        }
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `15 minutes`, `2 hours`, `1 day` as microseconds.
fn interval_micros(text: &str) -> Option<i64> {
    let (n, unit) = text.trim().split_once(' ')?;
    let n: i64 = n.parse().ok()?;
    let unit_micros = match unit.trim_end_matches('s') {
        "second" => 1_000_000,
        "minute" => 60_000_000,
        "hour" => 3_600_000_000,
        "day" => 86_400_000_000,
        _ => return None,
    };
    n.checked_mul(unit_micros)
}

/// RFC 3339 text of a Unix-epoch microsecond timestamp.
pub fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_else(|| micros.to_string())
}

/// A value that does not fit the column type it is written to.
#[derive(Debug)]
struct Mismatch {
    value: &'static str,
    ty: Type,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot write a generated {} into a column of type {}",
            self.value, self.ty
        )
    }
}

impl Error for Mismatch {}

impl Value {
    fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Uuid(_) => "uuid",
            Value::Text(_) => "text",
            Value::Int(_) => "integer",
            Value::Decimal(_) => "decimal",
            Value::Float(_) => "float",
            Value::Bool(_) => "boolean",
            Value::Timestamp(_) => "timestamp",
            Value::Json(_) => "JSON object",
            Value::Array(_) => "list",
        }
    }
}

/// Text-like types whose binary form is the UTF-8 text itself: enums,
/// citext and domains over text.
fn is_text_like(ty: &Type) -> bool {
    matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME)
        || matches!(ty.kind(), Kind::Enum(_))
        || ty.name() == "citext"
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        let mismatch = || -> Box<dyn Error + Sync + Send> {
            Box::new(Mismatch {
                value: self.kind_name(),
                ty: ty.clone(),
            })
        };
        let ty = match ty.kind() {
            Kind::Domain(inner) => inner,
            _ => ty,
        };
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Uuid(u) if *ty == Type::UUID => u.to_sql(ty, out),
            Value::Uuid(u) if is_text_like(ty) => {
                out.put_slice(u.to_string().as_bytes());
                Ok(IsNull::No)
            }
            // A number into text: unique codes numbered like their rows.
            Value::Int(i) if is_text_like(ty) => {
                out.put_slice(i.to_string().as_bytes());
                Ok(IsNull::No)
            }
            Value::Text(s) if is_text_like(ty) => {
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            // An enum's values are text: a number column takes them parsed
            // (the keys of a lookup table the migrations fill).
            Value::Text(s)
                if matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::NUMERIC) =>
            {
                let n: i64 = s.trim().parse().map_err(|_| mismatch())?;
                Value::Int(n).to_sql(ty, out)
            }
            // Times of day, durations, addresses and bytes listed as text.
            Value::Text(s) if *ty == Type::TIME => chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
                .map_err(|_| mismatch())?
                .to_sql(ty, out),
            Value::Text(s) if *ty == Type::INTERVAL => {
                let micros = interval_micros(s).ok_or_else(mismatch)?;
                out.put_i64(micros);
                out.put_i32(0);
                out.put_i32(0);
                Ok(IsNull::No)
            }
            Value::Text(s) if *ty == Type::INET || *ty == Type::CIDR => {
                let ip: std::net::Ipv4Addr = s.parse().map_err(|_| mismatch())?;
                // PostgreSQL's binary inet: family, mask bits, is-cidr, length, address.
                out.put_slice(&[2, 32, u8::from(*ty == Type::CIDR), 4]);
                out.put_slice(&ip.octets());
                Ok(IsNull::No)
            }
            Value::Text(s) if *ty == Type::BYTEA => {
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            // Dates and times listed as text (values a CHECK allows).
            Value::Text(s) if *ty == Type::DATE => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| mismatch())?
                .to_sql(ty, out),
            Value::Text(s) if *ty == Type::TIMESTAMPTZ || *ty == Type::TIMESTAMP => {
                let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| mismatch())?;
                Value::Timestamp(t.timestamp_micros()).to_sql(ty, out)
            }
            Value::Text(s) if *ty == Type::JSON || *ty == Type::JSONB => {
                serde_json::Value::String(s.clone()).to_sql(ty, out)
            }
            Value::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i).map_err(|_| mismatch())?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i).map_err(|_| mismatch())?.to_sql(ty, out),
                Type::INT8 => i.to_sql(ty, out),
                Type::NUMERIC => Decimal::from(*i).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::Decimal(d) => match *ty {
                Type::NUMERIC => d.to_sql(ty, out),
                Type::FLOAT8 => d.to_f64().ok_or_else(mismatch)?.to_sql(ty, out),
                Type::FLOAT4 => d.to_f32().ok_or_else(mismatch)?.to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::Float(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                Type::NUMERIC => Decimal::from_f64_retain(*f)
                    .ok_or_else(mismatch)?
                    .to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            Value::Timestamp(t) if *ty == Type::TIMESTAMPTZ || *ty == Type::TIMESTAMP => {
                out.put_i64(t - PG_EPOCH_OFFSET_MICROS);
                Ok(IsNull::No)
            }
            Value::Timestamp(t) if *ty == Type::DATE => {
                let days = (t - PG_EPOCH_OFFSET_MICROS).div_euclid(86_400_000_000);
                out.put_i32(i32::try_from(days).map_err(|_| mismatch())?);
                Ok(IsNull::No)
            }
            Value::Json(j) if *ty == Type::JSON || *ty == Type::JSONB => j.to_sql(ty, out),
            Value::Array(items) if matches!(ty.kind(), Kind::Array(_)) => items.to_sql(ty, out),
            Value::Array(items) if *ty == Type::JSON || *ty == Type::JSONB => {
                self.to_json().to_sql(ty, out).map_err(|_| {
                    format!("cannot write a list of {} items as JSON", items.len()).into()
                })
            }
            _ => Err(mismatch()),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Compatibility depends on the value, so it is checked in `to_sql`,
        // which names both sides when they do not fit.
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_units() {
        assert_eq!(interval_micros("15 minutes"), Some(900_000_000));
        assert_eq!(interval_micros("1 day"), Some(86_400_000_000));
        assert_eq!(interval_micros("2 fortnights"), None);
    }

    #[test]
    fn timestamps_use_the_postgres_epoch() {
        let mut buf = BytesMut::new();
        Value::Timestamp(PG_EPOCH_OFFSET_MICROS + 5)
            .to_sql(&Type::TIMESTAMPTZ, &mut buf)
            .unwrap();
        assert_eq!(&buf[..], &5i64.to_be_bytes());
    }

    #[test]
    fn mismatched_types_are_named() {
        let mut buf = BytesMut::new();
        let Err(err) = Value::Bool(true).to_sql(&Type::INT4, &mut buf) else {
            panic!("a boolean must not fit an int4 column");
        };
        assert_eq!(
            err.to_string(),
            "cannot write a generated boolean into a column of type int4"
        );
        assert!(Value::Int(70_000).to_sql(&Type::INT2, &mut buf).is_err());
    }

    #[test]
    fn literals_are_quoted() {
        assert_eq!(Value::Text("it's".into()).to_sql_literal(), "'it''s'");
        assert_eq!(Value::Null.to_sql_literal(), "NULL");
    }
}
