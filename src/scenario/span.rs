//! Mapping between key paths and byte spans of the scenario source, so every
//! error can name both the key and its line and column.

use std::ops::Range;

use toml_edit::{Document, Item, Value};

use super::error::{KeyPath, KeySeg};

/// The parsed document kept beside the typed scenario for locating errors.
pub struct SourceMap {
    doc: Document<String>,
}

impl SourceMap {
    /// `None` when the text is not valid TOML; serde reports that error itself.
    pub fn parse(source: &str) -> Option<Self> {
        Document::parse(source.to_owned())
            .ok()
            .map(|doc| Self { doc })
    }

    /// Span of the deepest existing item along `path`.
    pub fn span_of(&self, path: &KeyPath) -> Option<Range<usize>> {
        let mut item = self.doc.as_item();
        let mut best = None;
        for seg in &path.0 {
            let next = match seg {
                KeySeg::Key(k) => item.get(k.as_str()),
                KeySeg::Index(i) => item.get(*i),
            };
            match next {
                Some(child) => {
                    item = child;
                    if let Some(span) = item.span() {
                        best = Some(span);
                    } else if let Some(t) = first_key_span(item) {
                        best = Some(t);
                    }
                }
                None => break,
            }
        }
        best
    }

    /// The key path of the innermost value whose span holds `offset`.
    pub fn path_at(&self, offset: usize) -> KeyPath {
        let mut segs = Vec::new();
        find_in_item(self.doc.as_item(), offset, &mut segs);
        KeyPath(segs)
    }
}

/// Implicit tables (`[tables.x.columns]` headers) carry no span of their own;
/// the span of their first key stands in for them.
fn first_key_span(item: &Item) -> Option<Range<usize>> {
    let table = item.as_table_like()?;
    let (first, _) = table.iter().next()?;
    table.get_key_value(first).and_then(|(k, _)| k.span())
}

fn contains(span: Option<Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

fn find_in_item(item: &Item, offset: usize, segs: &mut Vec<KeySeg>) -> bool {
    if let Some(value) = item.as_value() {
        return find_in_value(value, offset, segs);
    }
    if let Some(aot) = item.as_array_of_tables() {
        for (i, table) in aot.iter().enumerate() {
            segs.push(KeySeg::Index(i));
            if contains(table.span(), offset) || find_in_table_like(table, offset, segs) {
                return true;
            }
            segs.pop();
        }
        return false;
    }
    item.as_table_like()
        .is_some_and(|t| find_in_table_like(t, offset, segs))
}

fn find_in_table_like(
    table: &dyn toml_edit::TableLike,
    offset: usize,
    segs: &mut Vec<KeySeg>,
) -> bool {
    for (name, child) in table.iter() {
        segs.push(KeySeg::Key(name.to_owned()));
        if find_in_item(child, offset, segs) {
            return true;
        }
        let key_span = table.get_key_value(name).and_then(|(k, _)| k.span());
        if contains(key_span, offset) || contains(child.span(), offset) {
            return true;
        }
        segs.pop();
    }
    false
}

fn find_in_value(value: &Value, offset: usize, segs: &mut Vec<KeySeg>) -> bool {
    match value {
        Value::InlineTable(t) if find_in_table_like(t, offset, segs) => return true,
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                segs.push(KeySeg::Index(i));
                if find_in_value(v, offset, segs) {
                    return true;
                }
                segs.pop();
            }
        }
        _ => {}
    }
    contains(value.span(), offset)
}
