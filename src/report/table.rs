//! One table model for the reports: a table is built once from the results
//! and drawn by each format (HTML for report.html, Markdown for summary.md
//! and regression.md), so the two cannot drift apart.

use std::fmt::Write as _;

use super::html::esc;

/// Where a column's text sits: names left, figures right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A name from the schema or the scenario, or SQL: `<code>`, backticks.
    Code(String),
    /// A judged figure: HTML colours it with `class`, Markdown leads with
    /// `icon`.
    Judged {
        text: String,
        class: &'static str,
        icon: &'static str,
    },
    /// Markup only HTML can show (a colour swatch, a tooltip), and the
    /// plain text Markdown shows instead.
    Rich {
        html: String,
        text: String,
    },
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    pub fn code(text: impl Into<String>) -> Self {
        Self::Code(text.into())
    }
}

/// Columns (a title and an alignment each) and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new<'a>(columns: impl IntoIterator<Item = (&'a str, Align)>) -> Self {
        Self {
            columns: columns
                .into_iter()
                .map(|(title, align)| (title.to_owned(), align))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; one cell per column.
    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// `<table>`, a header row and a row per line, each ending its line.
    pub fn html(&self) -> String {
        let mut out = String::from("<table><tr>");
        for (title, align) in &self.columns {
            let _ = match align {
                Align::Left => write!(out, "<th class=\"l\">{}</th>", esc(title)),
                Align::Right => write!(out, "<th>{}</th>", esc(title)),
            };
        }
        out.push_str("</tr>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for (cell, (_, align)) in row.iter().zip(&self.columns) {
                let (class, inner) = match cell {
                    Cell::Text(t) => ("", esc(t)),
                    Cell::Code(t) => ("", format!("<code>{}</code>", esc(t))),
                    Cell::Judged { text, class, .. } => (*class, esc(text)),
                    Cell::Rich { html, .. } => ("", html.clone()),
                };
                let classes = match (align, class) {
                    (Align::Left, "") => "l".to_owned(),
                    (Align::Left, c) => format!("l {c}"),
                    (Align::Right, c) => c.to_owned(),
                };
                if classes.is_empty() {
                    let _ = write!(out, "<td>{inner}</td>");
                } else {
                    let _ = write!(out, "<td class=\"{classes}\">{inner}</td>");
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
        out
    }

    /// A GitHub-flavoured Markdown table, each line ending in a newline.
    pub fn markdown(&self) -> String {
        let mut out = String::from("|");
        for (title, _) in &self.columns {
            let _ = write!(out, " {} |", plain(title));
        }
        out.push_str("\n|");
        for (_, align) in &self.columns {
            out.push_str(match align {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        out.push('\n');
        for row in &self.rows {
            out.push('|');
            for cell in row {
                let text = match cell {
                    Cell::Text(t) => plain(t),
                    Cell::Code(t) if t.is_empty() => String::new(),
                    Cell::Code(t) => format!("`{}`", plain(t)),
                    Cell::Judged { text, icon, .. } => [icon.to_string(), plain(text)]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" "),
                    Cell::Rich { text, .. } => plain(text),
                };
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
        out
    }
}

/// Text that keeps a Markdown table's row whole: no pipe ends a cell, no
/// line break ends the row.
fn plain(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new([("query", Align::Left), ("p99 ms", Align::Right)]);
        t.row(vec![Cell::code("feed<a|b>"), Cell::text("1.50")]);
        t.row(vec![
            Cell::text("two\nlines"),
            Cell::Judged {
                text: "slower".into(),
                class: "bad",
                icon: "🔴",
            },
        ]);
        t
    }

    #[test]
    fn one_table_draws_as_html_and_markdown() {
        assert_eq!(
            sample().html(),
            "<table><tr><th class=\"l\">query</th><th>p99 ms</th></tr>\n\
             <tr><td class=\"l\"><code>feed&lt;a|b&gt;</code></td><td>1.50</td></tr>\n\
             <tr><td class=\"l\">two\nlines</td><td class=\"bad\">slower</td></tr>\n\
             </table>\n"
        );
        assert_eq!(
            sample().markdown(),
            "| query | p99 ms |\n|---|---:|\n| `feed<a\\|b>` | 1.50 |\n| two lines | 🔴 slower |\n"
        );
    }
}
