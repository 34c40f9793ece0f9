//! A report's result: named columns and rows of cells, written as CSV (the
//! column names exactly as documented), JSON (an array of objects) or an
//! aligned text table.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    /// Text that many rows repeat (a category, its advice, a level): one
    /// allocation for the whole table instead of one per row. Reads,
    /// compares and writes as [`Cell::Text`].
    Shared(Arc<str>),
    Int(u64),
    Float(f64),
    /// Several values: `;`-separated in CSV (as the users CSV takes
    /// groups), a JSON array, `,`-separated in a table.
    List(Vec<String>),
    /// Written as an empty CSV field, JSON `null`, and `-` in a table.
    Empty,
}

impl Cell {
    /// The text of a text cell (`Text` or `Shared`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            Cell::Shared(s) => Some(s),
            _ => None,
        }
    }

    /// As written in CSV: text cells borrowed, the others formatted.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Shared(s) => Cow::Borrowed(s),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Float(x) => Cow::Owned(format!("{x}")),
            Cell::List(items) => Cow::Owned(items.join(";")),
            Cell::Empty => Cow::Borrowed(""),
        }
    }

    pub(crate) fn json(&self) -> Value {
        match self {
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Shared(s) => Value::String(s.to_string()),
            Cell::Int(n) => Value::from(*n),
            Cell::Float(x) => Value::from(*x),
            Cell::List(items) => Value::from(items.clone()),
            Cell::Empty => Value::Null,
        }
    }
}

/// Text cells are equal when their text is, shared or not.
impl PartialEq for Cell {
    fn eq(&self, other: &Self) -> bool {
        if let (Some(a), Some(b)) = (self.as_str(), other.as_str()) {
            return a == b;
        }
        match (self, other) {
            (Cell::Int(a), Cell::Int(b)) => a == b,
            (Cell::Float(a), Cell::Float(b)) => a == b,
            (Cell::List(a), Cell::List(b)) => a == b,
            (Cell::Empty, Cell::Empty) => true,
            _ => false,
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<&Arc<str>> for Cell {
    fn from(s: &Arc<str>) -> Self {
        Cell::Shared(Arc::clone(s))
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Int(n)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(columns: &[&str]) -> Self {
        Self {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The sum of the whole-number cells of `column` (0 when absent).
    pub fn sum(&self, column: &str) -> u64 {
        let Some(i) = self.columns.iter().position(|c| c == column) else {
            return 0;
        };
        self.rows
            .iter()
            .filter_map(|r| match r[i] {
                Cell::Int(n) => Some(n),
                _ => None,
            })
            .sum()
    }

    pub fn to_csv(&self) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(&self.columns)
            .expect("writing to memory cannot fail");
        for row in &self.rows {
            out.write_record(row.iter().map(|cell| match cell.text() {
                Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                Cow::Owned(s) => Cow::Owned(s.into_bytes()),
            }))
            .expect("writing to memory cannot fail");
        }
        String::from_utf8(out.into_inner().expect("flushing to memory cannot fail"))
            .expect("CSV of UTF-8 text is UTF-8")
    }

    pub fn to_json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let object: Map<String, Value> = self
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| (c.to_string(), v.json()))
                        .collect();
                    Value::Object(object)
                })
                .collect(),
        )
    }

    /// Columns padded to their widest cell; long text cut at 60 characters.
    pub fn to_text(&self) -> String {
        let show = |c: &Cell| {
            let t = match c {
                Cell::Empty => "-".into(),
                Cell::List(items) => items.join(","),
                other => other.text().into_owned(),
            };
            if t.chars().count() > 60 {
                t.chars().take(59).collect::<String>() + "…"
            } else {
                t
            }
        };
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(show).collect())
            .collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.columns[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |values: Vec<&str>| {
            values
                .iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
                + "\n"
        };
        let mut out = line(self.columns.iter().map(String::as_str).collect());
        for row in &cells {
            out += &line(row.iter().map(String::as_str).collect());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(category: Cell) -> Table {
        let mut t = Table::new(&["user_id", "category", "messages"]);
        t.push(vec!["u,1".into(), category, 3.into()]);
        t.push(vec![
            "u2".into(),
            Cell::Empty,
            Cell::List(vec!["a".into(), "b".into()]),
        ]);
        t
    }

    #[test]
    fn a_shared_cell_reads_compares_and_writes_as_text() {
        let shared = table((&Arc::<str>::from("engaging")).into());
        let owned = table("engaging".into());
        assert_eq!(shared, owned);
        assert_eq!(shared.rows[0][1].as_str(), Some("engaging"));
        assert_eq!(shared.to_csv(), owned.to_csv());
        assert_eq!(
            shared.to_csv(),
            "user_id,category,messages\n\"u,1\",engaging,3\nu2,,a;b\n"
        );
        assert_eq!(shared.to_json(), owned.to_json());
        assert_eq!(shared.to_json()[0]["category"], "engaging");
        assert_eq!(shared.to_text(), owned.to_text());
        assert_ne!(table("consuming".into()), shared);
        assert_ne!(Cell::Int(1), Cell::Float(1.0));
        assert_eq!(Cell::Int(3).as_str(), None);
    }
}
