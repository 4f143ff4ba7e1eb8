//! PostgreSQL's binary COPY format, written straight from the data plan.
//!
//! The same encoder feeds `COPY ... FROM STDIN` while seeding and writes the
//! files the seeding benchmark loads with server-side `COPY ... FROM 'file'`,
//! so both load byte-identical rows.

use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{IsNull, ToSql, Type};

use super::plan::DataPlan;

/// Signature, flags and header-extension length of a binary COPY stream.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end-of-data marker: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// A cell that could not be encoded for its column.
#[derive(Debug, thiserror::Error)]
#[error("tables.{table}.columns.{column} (row {row}): {message}")]
pub struct EncodeError {
    pub table: String,
    pub column: String,
    pub row: u64,
    pub message: String,
}

/// Encodes rows of one table for columns of the given database types.
pub struct RowEncoder<'a> {
    plan: &'a DataPlan,
    table: usize,
    types: &'a [Type],
}

impl<'a> RowEncoder<'a> {
    /// `types` holds one database type per generated column, in plan order.
    pub fn new(plan: &'a DataPlan, table: usize, types: &'a [Type]) -> Self {
        Self { plan, table, types }
    }

    /// Appends the encoded rows to `out`.
    pub fn encode(
        &self,
        rows: impl IntoIterator<Item = u64>,
        out: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let columns = &self.plan.tables[self.table].columns;
        let field_count = i16::try_from(columns.len()).unwrap_or(i16::MAX);
        for row in rows {
            out.put_i16(field_count);
            for (column, ty) in self.types.iter().enumerate() {
                let value = self.plan.value(self.table, column, row);
                let length_at = out.len();
                out.put_i32(0);
                let written = value.to_sql(ty, out).map_err(|e| EncodeError {
                    table: self.plan.tables[self.table].name.clone(),
                    column: columns[column].name.clone(),
                    row,
                    message: e.to_string(),
                })?;
                let length = match written {
                    IsNull::Yes => -1,
                    IsNull::No => i32::try_from(out.len() - length_at - 4).unwrap_or(i32::MAX),
                };
                out[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
            }
        }
        Ok(())
    }
}
