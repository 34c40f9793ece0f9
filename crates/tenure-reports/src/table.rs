//! A report's result: named columns and rows of cells, written as CSV (the
//! column names exactly as documented), JSON (an array of objects) or an
//! aligned text table.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(u64),
    Float(f64),
    /// Several values: `;`-separated in CSV (as the users CSV takes
    /// groups), a JSON array, `,`-separated in a table.
    List(Vec<String>),
    /// Written as an empty CSV field, JSON `null`, and `-` in a table.
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Float(x) => format!("{x}"),
            Cell::List(items) => items.join(";"),
            Cell::Empty => String::new(),
        }
    }

    pub(crate) fn json(&self) -> Value {
        match self {
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(n) => Value::from(*n),
            Cell::Float(x) => Value::from(*x),
            Cell::List(items) => Value::from(items.clone()),
            Cell::Empty => Value::Null,
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
            out.write_record(row.iter().map(Cell::text))
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
                other => other.text(),
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
