//! A report's result: named columns and rows of cells, written as CSV (the
//! column names exactly as documented), JSON (an array of objects) or an
//! aligned text table.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
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
        serde_json::to_value(self).expect("a cell is plain JSON")
    }
}

/// A text cell as a JSON string, a number as a number (a float that is
/// not finite as `null`, as `serde_json` writes it), a list as an array,
/// an empty cell as `null`.
impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(s) => serializer.serialize_str(s),
            Cell::Shared(s) => serializer.serialize_str(s),
            Cell::Int(n) => serializer.serialize_u64(*n),
            Cell::Float(x) if x.is_finite() => serializer.serialize_f64(*x),
            Cell::List(items) => items.serialize(serializer),
            Cell::Float(_) | Cell::Empty => serializer.serialize_unit(),
        }
    }
}

/// The JSON form: an array with one object per row, keyed by column name
/// in name order (as a `serde_json::Map` orders them), written straight
/// from the cells: a report of half a million users never becomes a tree
/// of `serde_json::Value`s (which took about a gigabyte for `engagement`
/// on the large preset).
impl Serialize for Table {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Column indices in name order; of repeated names the last, as a
        // map built column by column keeps.
        let mut order: Vec<usize> = (0..self.columns.len()).collect();
        order.sort_by(|a, b| self.columns[*a].cmp(&self.columns[*b]).then(b.cmp(a)));
        order.dedup_by(|later, kept| self.columns[*later] == self.columns[*kept]);
        struct Row<'a>(&'a [String], &'a [usize], &'a [Cell]);
        impl Serialize for Row<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let Row(columns, order, cells) = self;
                let mut map = serializer.serialize_map(None)?;
                for &i in order.iter() {
                    if let Some(cell) = cells.get(i) {
                        map.serialize_entry(&columns[i], cell)?;
                    }
                }
                map.end()
            }
        }
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for row in &self.rows {
            seq.serialize_element(&Row(&self.columns, &order, row))?;
        }
        seq.end()
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

    /// The JSON form as a `serde_json::Value` (see the `Serialize`
    /// impl; write large tables with `serde_json::to_writer` instead).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a table is plain JSON")
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

    /// The JSON written straight from the cells is the text a tree of
    /// `serde_json::Value`s built row by row gives (keys in name order, a
    /// repeated name's last value, floats that are not finite as null).
    #[test]
    fn json_is_written_as_a_value_tree_would_be() {
        use serde_json::{Map, Value};
        let mut t = Table::new(&["z", "a", "m", "a", "f", "l"]);
        for x in [1.5, f64::NAN, f64::INFINITY, -0.25] {
            t.push(vec![
                (&Arc::<str>::from("shared")).into(),
                "first a".into(),
                7.into(),
                "second a".into(),
                Cell::Float(x),
                Cell::List(vec!["p".into(), "q\"r".into()]),
            ]);
        }
        t.push(vec![
            Cell::Empty,
            Cell::Empty,
            Cell::Int(u64::MAX),
            "é\n".into(),
            Cell::Empty,
            Cell::List(vec![]),
        ]);
        let tree = Value::Array(
            t.rows
                .iter()
                .map(|row| {
                    let mut object = Map::new();
                    for (column, cell) in t.columns.iter().zip(row) {
                        let value = match cell {
                            Cell::Text(s) => Value::from(s.clone()),
                            Cell::Shared(s) => Value::from(s.to_string()),
                            Cell::Int(n) => Value::from(*n),
                            Cell::Float(x) => Value::from(*x),
                            Cell::List(items) => Value::from(items.clone()),
                            Cell::Empty => Value::Null,
                        };
                        object.insert(column.clone(), value);
                    }
                    Value::Object(object)
                })
                .collect(),
        );
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            serde_json::to_string(&tree).unwrap()
        );
        assert_eq!(
            serde_json::to_string_pretty(&t).unwrap(),
            serde_json::to_string_pretty(&tree).unwrap()
        );
        assert_eq!(t.to_json(), tree);
        assert_eq!(t.to_json()[0]["a"], "second a");
        assert_eq!(t.to_json()[1]["f"], Value::Null);
    }
}
